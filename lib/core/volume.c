#include "medseg/volume.h"
#include "medseg/memory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef MEDSEG_VOXEL_LIMIT
#define MEDSEG_VOXEL_LIMIT 4294967296ULL
#endif

static uint64_t voxel_limit = MEDSEG_VOXEL_LIMIT;

void ms_set_voxel_limit(uint64_t n) { voxel_limit = n ? n : MEDSEG_VOXEL_LIMIT; }
uint64_t ms_voxel_limit(void) { return voxel_limit; }

static const struct {
    const char *name;
    size_t size;
    int integer;
    double lo, hi;
} dtypes[MS_DTYPE_COUNT] = {
    [MS_U8] = {"uint8", 1, 1, 0, 255},
    [MS_I16] = {"int16", 2, 1, -32768, 32767},
    [MS_U16] = {"uint16", 2, 1, 0, 65535},
    [MS_I32] = {"int32", 4, 1, -2147483648.0, 2147483647.0},
    [MS_F32] = {"float32", 4, 0, -3.4028234663852886e38, 3.4028234663852886e38},
    [MS_F64] = {"float64", 8, 0, -1.7976931348623157e308, 1.7976931348623157e308},
};

const char *ms_dtype_name(ms_dtype t) { return t < MS_DTYPE_COUNT ? dtypes[t].name : "?"; }
size_t ms_dtype_size(ms_dtype t) { return t < MS_DTYPE_COUNT ? dtypes[t].size : 0; }
int ms_dtype_is_integer(ms_dtype t) { return t < MS_DTYPE_COUNT && dtypes[t].integer; }

void ms_dtype_range(ms_dtype t, double *lo, double *hi)
{
    *lo = dtypes[t].lo;
    *hi = dtypes[t].hi;
}

int ms_dtype_parse(const char *s, ms_dtype *out)
{
    for (int t = 0; t < MS_DTYPE_COUNT; t++)
        if (strcmp(s, dtypes[t].name) == 0) {
            *out = (ms_dtype)t;
            return 1;
        }
    return 0;
}

ms_status ms_volume_size(const int64_t dim[3], ms_dtype t, size_t *nvox, size_t *nbytes,
                         const char *what)
{
    for (int a = 0; a < 3; a++)
        if (dim[a] < 1)
            return ms_fail(MS_ERR_INPUT, "%s: dimension %d is %lld, must be at least 1", what,
                           a + 1, (long long)dim[a]);
    size_t n, b;
    if (!ms_mul3_size((size_t)dim[0], (size_t)dim[1], (size_t)dim[2], &n) ||
        !ms_mul_size(n, ms_dtype_size(t), &b))
        return ms_fail(MS_ERR_INPUT, "%s: dimensions %lldx%lldx%lld overflow the address space",
                       what, (long long)dim[0], (long long)dim[1], (long long)dim[2]);
    if ((uint64_t)n > voxel_limit)
        return ms_fail(MS_ERR_INPUT,
                       "%s: %lldx%lldx%lld = %zu voxels exceeds the limit of %llu "
                       "(raise it with --max-voxels)",
                       what, (long long)dim[0], (long long)dim[1], (long long)dim[2], n,
                       (unsigned long long)voxel_limit);
    ms_status st = ms_memory_check((double)b, what);
    if (st) return st;
    if (nvox) *nvox = n;
    if (nbytes) *nbytes = b;
    return MS_OK;
}

static void identity(double a[4][4])
{
    memset(a, 0, sizeof(double) * 16);
    for (int i = 0; i < 4; i++) a[i][i] = 1.0;
}

static ms_status volume_alloc(ms_volume *v, const int64_t dim[3], ms_dtype t, int zero, const char *what)
{
    size_t n;
    memset(v, 0, sizeof *v);   /* callers may free v after a failure */
    ms_status st = ms_volume_size(dim, t, &n, NULL, what);
    if (st) return st;
    st = zero ? ms_alloc_array(&v->data, n, ms_dtype_size(t), 1, what)
              : ms_alloc_big(&v->data, n, ms_dtype_size(t), what);
    if (st) return st;
    memcpy(v->dim, dim, sizeof v->dim);
    v->dtype = t;
    identity(v->affine);
    for (int a = 0; a < 3; a++) v->spacing[a] = 1.0;
    return MS_OK;
}


void ms_volume_free(ms_volume *v)
{
    if (!v) return;
    free(v->data);
    if (v->nifti && v->nifti_ops) v->nifti_ops->free(v->nifti);
    memset(v, 0, sizeof *v);
}

size_t ms_volume_nvox(const ms_volume *v)
{
    return (size_t)v->dim[0] * (size_t)v->dim[1] * (size_t)v->dim[2];
}

void ms_volume_set_affine(ms_volume *v, const double a[4][4])
{
    memcpy(v->affine, a, sizeof v->affine);
    for (int c = 0; c < 3; c++)
        v->spacing[c] = sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
}

ms_status ms_affine_check(const double a[4][4], const char *what)
{
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            if (!isfinite(a[r][c]))
                return ms_fail(MS_ERR_INPUT, "%s: the voxel-to-world matrix holds NaN or infinity (row %d, column %d)",
                               what, r, c);
    double len[3];
    for (int c = 0; c < 3; c++) {
        len[c] = sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
        if (!(len[c] >= MS_SPACING_MIN && len[c] <= MS_SPACING_MAX))
            return ms_fail(MS_ERR_INPUT, "%s: voxel spacing along axis %d is %g mm, outside %g..%g mm", what, c, len[c],
                           MS_SPACING_MIN, MS_SPACING_MAX);
    }
    double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                 a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    /* |det| / (product of lengths) is the volume of the unit voxel axes:
     * 1 when orthogonal, 0 when two are parallel. */
    if (!(fabs(det) / (len[0] * len[1] * len[2]) > 1e-3))
        return ms_fail(MS_ERR_INPUT, "%s: the voxel axes are (nearly) parallel: the voxel-to-world matrix is singular", what);
    return MS_OK;
}

ms_status ms_volume_alloc(ms_volume *v, const int64_t dim[3], ms_dtype t, const char *what)
{
    return volume_alloc(v, dim, t, 1, what);
}

static ms_status volume_like(ms_volume *out, const ms_volume *like, ms_dtype t, int zero)
{
    ms_status st = volume_alloc(out, like->dim, t, zero, "volume");
    if (st) return st;
    ms_volume_set_affine(out, like->affine);
    out->nifti = like->nifti && like->nifti_ops ? like->nifti_ops->copy(like->nifti) : NULL;
    out->nifti_ops = out->nifti ? like->nifti_ops : NULL;
    return MS_OK;
}

ms_status ms_volume_like(ms_volume *out, const ms_volume *like, ms_dtype t)
{
    return volume_like(out, like, t, 1);
}

ms_status ms_volume_like_raw(ms_volume *out, const ms_volume *like, ms_dtype t)
{
    return volume_like(out, like, t, 0);
}

double ms_volume_get(const ms_volume *v, size_t i)
{
    switch (v->dtype) {
    case MS_U8: return ((const uint8_t *)v->data)[i];
    case MS_I16: return ((const int16_t *)v->data)[i];
    case MS_U16: return ((const uint16_t *)v->data)[i];
    case MS_I32: return ((const int32_t *)v->data)[i];
    case MS_F32: return ((const float *)v->data)[i];
    case MS_F64: return ((const double *)v->data)[i];
    default: return 0;
    }
}

void ms_volume_set(ms_volume *v, size_t i, double x)
{
    switch (v->dtype) {
    case MS_U8: ((uint8_t *)v->data)[i] = (uint8_t)x; break;
    case MS_I16: ((int16_t *)v->data)[i] = (int16_t)x; break;
    case MS_U16: ((uint16_t *)v->data)[i] = (uint16_t)x; break;
    case MS_I32: ((int32_t *)v->data)[i] = (int32_t)x; break;
    case MS_F32: ((float *)v->data)[i] = (float)x; break;
    case MS_F64: ((double *)v->data)[i] = x; break;
    default: break;
    }
}

#define READ_SPAN(T, O)                                                      \
    do {                                                                     \
        const T *s_ = (const T *)v->data + at;                               \
        for (size_t i = 0; i < n; i++) out[i] = (O)s_[(ptrdiff_t)i * stride]; \
    } while (0)
#define READ_ANY(O)                                   \
    switch (v->dtype) {                               \
    case MS_U8: READ_SPAN(uint8_t, O); break;         \
    case MS_I16: READ_SPAN(int16_t, O); break;        \
    case MS_U16: READ_SPAN(uint16_t, O); break;       \
    case MS_I32: READ_SPAN(int32_t, O); break;        \
    case MS_F32: READ_SPAN(float, O); break;          \
    case MS_F64: READ_SPAN(double, O); break;         \
    default: memset(out, 0, n * sizeof *out); break;  \
    }

void ms_volume_read_f64(const ms_volume *v, size_t at, ptrdiff_t stride, size_t n, double *out) { READ_ANY(double) }
void ms_volume_read_f32(const ms_volume *v, size_t at, ptrdiff_t stride, size_t n, float *out) { READ_ANY(float) }
#undef READ_ANY
#undef READ_SPAN

#define WRITE_SPAN(T)                                              \
    do {                                                           \
        T *d_ = (T *)v->data + at;                                 \
        for (size_t i = 0; i < n; i++) d_[i] = (T)in[i];           \
    } while (0)

void ms_volume_write_f64(ms_volume *v, size_t at, size_t n, const double *in)
{
    switch (v->dtype) {
    case MS_U8: WRITE_SPAN(uint8_t); break;
    case MS_I16: WRITE_SPAN(int16_t); break;
    case MS_U16: WRITE_SPAN(uint16_t); break;
    case MS_I32: WRITE_SPAN(int32_t); break;
    case MS_F32: WRITE_SPAN(float); break;
    case MS_F64: WRITE_SPAN(double); break;
    default: break;
    }
}
#undef WRITE_SPAN

ms_status ms_volume_cast(ms_volume *out, const ms_volume *in, ms_dtype t, size_t *clamped)
{
    ms_status st = ms_volume_like(out, in, t);
    if (st) return st;
    double lo, hi;
    ms_dtype_range(t, &lo, &hi);
    int integer = ms_dtype_is_integer(t);
    size_t n = ms_volume_nvox(in), bad = 0;
    double buf[4096];
    for (size_t at = 0; at < n; at += 4096) {
        size_t m = n - at < 4096 ? n - at : 4096;
        ms_volume_read_f64(in, at, 1, m, buf);
        for (size_t i = 0; i < m; i++) {
            double x = buf[i];
            if (integer) x = isnan(x) ? 0 : nearbyint(x);
            else if (!isfinite(x)) continue;   /* NaN and infinities stay what they are */
            if (x < lo || x > hi) {
                bad++;
                x = x < lo ? lo : hi;
            }
            buf[i] = x;
        }
        ms_volume_write_f64(out, at, m, buf);
    }
    if (clamped) *clamped = bad;
    return MS_OK;
}

/* Integer types: two comparisons per voxel in the stored type. */
#define MINMAX_INT(T)                                 \
    do {                                              \
        const T *d_ = v->data;                        \
        T a_ = d_[0], b_ = d_[0];                     \
        for (size_t i = 1; i < n; i++) {              \
            a_ = d_[i] < a_ ? d_[i] : a_;             \
            b_ = d_[i] > b_ ? d_[i] : b_;             \
        }                                             \
        *lo = a_, *hi = b_;                           \
    } while (0)
/* Floats: finite values only (NaN and infinities are counted apart). */
#define MINMAX_FLOAT(T)                               \
    do {                                              \
        const T *d_ = v->data;                        \
        double a_ = INFINITY, b_ = -INFINITY;         \
        for (size_t i = 0; i < n; i++)                \
            if (isfinite(d_[i])) {                    \
                a_ = d_[i] < a_ ? d_[i] : a_;         \
                b_ = d_[i] > b_ ? d_[i] : b_;         \
            }                                         \
        *lo = a_, *hi = b_;                           \
    } while (0)

void ms_volume_minmax(const ms_volume *v, double *lo, double *hi)
{
    size_t n = ms_volume_nvox(v);
    *lo = INFINITY, *hi = -INFINITY;
    if (n == 0) return;
    switch (v->dtype) {
    case MS_U8: MINMAX_INT(uint8_t); break;
    case MS_I16: MINMAX_INT(int16_t); break;
    case MS_U16: MINMAX_INT(uint16_t); break;
    case MS_I32: MINMAX_INT(int32_t); break;
    case MS_F32: MINMAX_FLOAT(float); break;
    default: MINMAX_FLOAT(double); break;
    }
}
#undef MINMAX_INT
#undef MINMAX_FLOAT

ms_status ms_label_map_check(const ms_volume *v, const char *what)
{
    if (v->nonfinite)
        return ms_fail(MS_ERR_INPUT, "%s: a label map holding NaN or infinity (%lld voxels)", what, (long long)v->nonfinite);
    size_t n = ms_volume_nvox(v);
    if (v->dtype == MS_F32) {
        const float *d = v->data;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(d[i])) return ms_fail(MS_ERR_INPUT, "%s: a label map holding %g (voxel %zu)", what, d[i], i);
    } else if (v->dtype == MS_F64) {
        const double *d = v->data;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(d[i])) return ms_fail(MS_ERR_INPUT, "%s: a label map holding %g (voxel %zu)", what, d[i], i);
    }
    return MS_OK;
}

int ms_volume_find_fraction(const ms_volume *v, double *bad)
{
    if (ms_dtype_is_integer(v->dtype)) return 0;
    size_t n = ms_volume_nvox(v);
    double buf[4096];
    for (size_t at = 0; at < n; at += 4096) {
        size_t m = n - at < 4096 ? n - at : 4096;
        ms_volume_read_f64(v, at, 1, m, buf);
        for (size_t i = 0; i < m; i++)
            if (buf[i] != floor(buf[i])) {   /* NaN and infinities too */
                *bad = buf[i];
                return 1;
            }
    }
    return 0;
}

int ms_world_to_voxel(const ms_volume *v, const double xyz[3], double ijk[3])
{
    const double (*m)[4] = v->affine;
    double a = m[0][0], b = m[0][1], c = m[0][2], d = m[1][0], e = m[1][1], f = m[1][2], g = m[2][0], h = m[2][1],
           i = m[2][2];
    double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    if (fabs(det) < 1e-12) return 0;
    double r[3] = {xyz[0] - m[0][3], xyz[1] - m[1][3], xyz[2] - m[2][3]};
    ijk[0] = ((e * i - f * h) * r[0] - (b * i - c * h) * r[1] + (b * f - c * e) * r[2]) / det;
    ijk[1] = (-(d * i - f * g) * r[0] + (a * i - c * g) * r[1] - (a * f - c * d) * r[2]) / det;
    ijk[2] = ((d * h - e * g) * r[0] - (a * h - b * g) * r[1] + (a * e - b * d) * r[2]) / det;
    return 1;
}

void ms_voxel_to_world(const ms_volume *v, const double ijk[3], double xyz[3])
{
    for (int r = 0; r < 3; r++)
        xyz[r] = v->affine[r][0] * ijk[0] + v->affine[r][1] * ijk[1] + v->affine[r][2] * ijk[2] +
                 v->affine[r][3];
}

void ms_orientation_code(const double a[4][4], char code[4])
{
    /* LPS world: +x Left, +y Posterior, +z Superior. Each voxel axis gets the
     * world axis it is most aligned with, taken greedily by largest cosine
     * so no world axis is used twice. */
    static const char pos[3] = {'L', 'P', 'S'}, neg[3] = {'R', 'A', 'I'};
    int used[3] = {0, 0, 0}, done[3] = {0, 0, 0};
    for (int pass = 0; pass < 3; pass++) {
        int bc = -1, br = -1;
        double best = -1;
        for (int c = 0; c < 3; c++) {
            if (done[c]) continue;
            double len = sqrt(a[0][c] * a[0][c] + a[1][c] * a[1][c] + a[2][c] * a[2][c]);
            for (int r = 0; r < 3; r++) {
                if (used[r]) continue;
                double cosv = len > 0 ? fabs(a[r][c]) / len : 0;
                if (cosv > best) best = cosv, bc = c, br = r;
            }
        }
        done[bc] = used[br] = 1;
        code[bc] = a[br][bc] >= 0 ? pos[br] : neg[br];
    }
    code[3] = '\0';
}
