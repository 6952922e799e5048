/* Row kernels of the CPU resampler. The separable path (axis-aligned map)
 * first blends the needed input rows along y and z into one line, then
 * interpolates along x; the general path samples each voxel in 3-D. */
#include <string.h>

#include "resample_internal.h"
#include "sample_math.h"

static inline double fetch(const void *d, ms_dtype t, size_t i)
{
    switch (t) {
    case MS_U8: return ((const uint8_t *)d)[i];
    case MS_I16: return ((const int16_t *)d)[i];
    case MS_U16: return ((const uint16_t *)d)[i];
    case MS_I32: return ((const int32_t *)d)[i];
    case MS_F32: return ((const float *)d)[i];
    default: return ((const double *)d)[i];
    }
}

/* Weighted sum of up to 16 input rows into tmp, one loop per dtype; the
 * one- and four-row cases (nearest, linear) get straight-line loops the
 * compiler vectorises. */
#define DEFINE_BLEND(NAME, T)                                                                    \
    static void NAME(const T *base, const size_t *off, const double *w, int nr, int64_t nx,      \
                     double *tmp)                                                                 \
    {                                                                                             \
        if (nr == 1) {                                                                            \
            const T *a = base + off[0];                                                           \
            for (int64_t x = 0; x < nx; x++) tmp[x] = (double)a[x];                               \
            return;                                                                               \
        }                                                                                         \
        if (nr == 4) {                                                                            \
            const T *a = base + off[0], *b = base + off[1], *c = base + off[2], *d = base + off[3]; \
            double wa = w[0], wb = w[1], wc = w[2], wd = w[3];                                    \
            for (int64_t x = 0; x < nx; x++)                                                      \
                tmp[x] = wa * (double)a[x] + wb * (double)b[x] + wc * (double)c[x] + wd * (double)d[x]; \
            return;                                                                               \
        }                                                                                         \
        for (int64_t x = 0; x < nx; x++) {                                                        \
            double s = 0;                                                                         \
            for (int r = 0; r < nr; r++) s += w[r] * (double)base[off[r] + (size_t)x];            \
            tmp[x] = s;                                                                           \
        }                                                                                         \
    }
DEFINE_BLEND(blend_u8, uint8_t)
DEFINE_BLEND(blend_i16, int16_t)
DEFINE_BLEND(blend_u16, uint16_t)
DEFINE_BLEND(blend_i32, int32_t)
DEFINE_BLEND(blend_f32, float)
DEFINE_BLEND(blend_f64, double)

static void blend(const void *d, ms_dtype t, const size_t *off, const double *w, int nr, int64_t nx, double *tmp)
{
    switch (t) {
    case MS_U8: blend_u8(d, off, w, nr, nx, tmp); break;
    case MS_I16: blend_i16(d, off, w, nr, nx, tmp); break;
    case MS_U16: blend_u16(d, off, w, nr, nx, tmp); break;
    case MS_I32: blend_i32(d, off, w, nr, nx, tmp); break;
    case MS_F32: blend_f32(d, off, w, nr, nx, tmp); break;
    default: blend_f64(d, off, w, nr, nx, tmp); break;
    }
}

static size_t row_offset(const ms_volume *in, int64_t y, int64_t z)
{
    return ((size_t)z * (size_t)in->dim[1] + (size_t)y) * (size_t)in->dim[0];
}

/* Input rows and weights along y and z for output row (oj, ok). */
static int yz_rows(const rs_job *j, int64_t oj, int64_t ok, size_t off[16], double w[16])
{
    const ms_volume *in = j->in;
    double cy = ms_coord(j->m + 4, 0, (double)oj, (double)ok), cz = ms_coord(j->m + 8, 0, (double)oj, (double)ok);
    if (j->interp == MS_INTERP_NEAREST) {
        off[0] = row_offset(in, ms_nearest_index(cy, in->dim[1]), ms_nearest_index(cz, in->dim[2]));
        w[0] = 1;
        return 1;
    }
    if (j->interp == MS_INTERP_LINEAR) {
        int64_t y0, y1, z0, z1;
        double ty, tz;
        ms_linear_index(cy, in->dim[1], &y0, &y1, &ty);
        ms_linear_index(cz, in->dim[2], &z0, &z1, &tz);
        int64_t ys[2] = {y0, y1}, zs[2] = {z0, z1};
        double wy[2] = {1 - ty, ty}, wz[2] = {1 - tz, tz};
        for (int b = 0; b < 2; b++)
            for (int a = 0; a < 2; a++) {
                off[b * 2 + a] = row_offset(in, ys[a], zs[b]);
                w[b * 2 + a] = wy[a] * wz[b];
            }
        return 4;
    }
    double wy[4], wz[4];
    int64_t y0 = ms_cubic_weights(cy, wy), z0 = ms_cubic_weights(cz, wz);
    for (int b = 0; b < 4; b++)
        for (int a = 0; a < 4; a++) {
            off[b * 4 + a] = row_offset(in, ms_mirror_index(y0 + a, in->dim[1]), ms_mirror_index(z0 + b, in->dim[2]));
            w[b * 4 + a] = wy[a] * wz[b];
        }
    return 16;
}

static void x_pass(const rs_job *j, double *row, const double *tmp)
{
    int64_t onx = j->odim[0], nx = j->in->dim[0];
    if (j->interp == MS_INTERP_NEAREST) {
        for (int64_t x = 0; x < onx; x++) row[x] = j->xin[x] ? tmp[j->x0[x]] : j->fill;
    } else if (j->interp == MS_INTERP_LINEAR) {
        for (int64_t x = 0; x < onx; x++)
            row[x] = j->xin[x] ? tmp[j->x0[x]] * (1 - j->xw[x]) + tmp[j->x1[x]] * j->xw[x] : j->fill;
    } else {
        for (int64_t x = 0; x < onx; x++) {
            const double *wx = j->xw + 4 * x;
            double s = 0;
            for (int a = 0; a < 4; a++) s += wx[a] * tmp[ms_mirror_index(j->x0[x] + a, nx)];
            row[x] = j->xin[x] ? s : j->fill;
        }
    }
}

void rs_row_separable(const rs_job *j, int64_t oj, int64_t ok, double *row, double *tmp)
{
    const ms_volume *in = j->in;
    int64_t onx = j->odim[0], nx = in->dim[0];
    double cy = ms_coord(j->m + 4, 0, (double)oj, (double)ok), cz = ms_coord(j->m + 8, 0, (double)oj, (double)ok);
    if (!ms_inside(cy, in->dim[1]) || !ms_inside(cz, in->dim[2])) {
        for (int64_t x = 0; x < onx; x++) row[x] = j->fill;
        return;
    }
    size_t off[16];
    double w[16];
    int nr = yz_rows(j, oj, ok, off, w);
    if (j->interp == MS_INTERP_CUBIC) {
        for (int64_t x = 0; x < nx; x++) {
            double s = 0;
            for (int r = 0; r < nr; r++) s += w[r] * (double)j->coef[off[r] + (size_t)x];
            tmp[x] = s;
        }
    } else {
        blend(in->data, in->dtype, off, w, nr, nx, tmp);
    }
    x_pass(j, row, tmp);
}

/* Value at corner n of the cell (i0, i1) (bits as ms_corner_weight). */
static double corner(const ms_volume *in, const int64_t i0[3], const int64_t i1[3], int n)
{
    size_t r = row_offset(in, n & 2 ? i1[1] : i0[1], n & 4 ? i1[2] : i0[2]);
    return fetch(in->data, in->dtype, r + (size_t)(n & 1 ? i1[0] : i0[0]));
}

static double sample_voxel(const rs_job *j, const double c[3])
{
    const ms_volume *in = j->in;
    if (j->interp == MS_INTERP_NEAREST) {
        size_t i = row_offset(in, ms_nearest_index(c[1], in->dim[1]), ms_nearest_index(c[2], in->dim[2]));
        return fetch(in->data, in->dtype, i + (size_t)ms_nearest_index(c[0], in->dim[0]));
    }
    if (j->interp == MS_INTERP_LINEAR) {
        int64_t i0[3], i1[3];
        double t[3], v[8], w[8], s = 0;
        for (int a = 0; a < 3; a++) ms_linear_index(c[a], in->dim[a], &i0[a], &i1[a], &t[a]);
        for (int n = 0; n < 8; n++) {
            v[n] = corner(in, i0, i1, n);
            w[n] = ms_corner_weight(n, t);
            s += w[n] * v[n];
        }
        return j->labels ? ms_label_vote(v, w) : s;
    }
    double w[3][4], s = 0;
    int64_t f[3];
    for (int a = 0; a < 3; a++) f[a] = ms_cubic_weights(c[a], w[a]);
    for (int cz = 0; cz < 4; cz++)
        for (int cy = 0; cy < 4; cy++) {
            size_t r = row_offset(in, ms_mirror_index(f[1] + cy, in->dim[1]), ms_mirror_index(f[2] + cz, in->dim[2]));
            double wyz = w[1][cy] * w[2][cz];
            for (int cx = 0; cx < 4; cx++)
                s += wyz * w[0][cx] * (double)j->coef[r + (size_t)ms_mirror_index(f[0] + cx, in->dim[0])];
        }
    return s;
}

void rs_row_general(const rs_job *j, int64_t oj, int64_t ok, double *row)
{
    for (int64_t x = 0; x < j->odim[0]; x++) {
        double c[3];
        int inside = 1;
        for (int a = 0; a < 3; a++) {
            c[a] = ms_coord(j->m + 4 * a, (double)x, (double)oj, (double)ok);
            inside &= ms_inside(c[a], j->in->dim[a]);
        }
        row[x] = inside ? sample_voxel(j, c) : j->fill;
    }
}
