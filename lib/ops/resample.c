/* Resampling driver: builds the voxel map, picks the CPU or CUDA path and
 * stores rows in the output dtype. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/log.h"
#include "medseg/threads.h"
#include "resample_internal.h"
#include "sample_math.h"
#ifdef MEDSEG_HAVE_CUDA
#include "msk.h"
#endif

typedef struct store_ctx { ms_volume *out; size_t clamped; } store_ctx;

/* Rounds and clamps into integer dtypes (NaN becomes 0). */
#define DEFINE_STORE_INT(NAME, T, LO, HI)                                       \
    static size_t NAME(T *o, const double *row, int64_t n)                     \
    {                                                                            \
        size_t clamped = 0;                                                      \
        for (int64_t x = 0; x < n; x++) {                                        \
            double v = row[x];                                                   \
            v = v == v ? nearbyint(v) : 0;                                       \
            if (v < LO || v > HI) {                                              \
                clamped++;                                                       \
                v = v < LO ? LO : HI;                                            \
            }                                                                    \
            o[x] = (T)v;                                                         \
        }                                                                        \
        return clamped;                                                          \
    }
DEFINE_STORE_INT(store_u8, uint8_t, 0.0, 255.0)
DEFINE_STORE_INT(store_i16, int16_t, -32768.0, 32767.0)
DEFINE_STORE_INT(store_u16, uint16_t, 0.0, 65535.0)
DEFINE_STORE_INT(store_i32, int32_t, -2147483648.0, 2147483647.0)

static void store_row(ms_volume *out, size_t at, const double *row, int64_t n, size_t *clamped)
{
    switch (out->dtype) {
    case MS_U8: *clamped += store_u8((uint8_t *)out->data + at, row, n); break;
    case MS_I16: *clamped += store_i16((int16_t *)out->data + at, row, n); break;
    case MS_U16: *clamped += store_u16((uint16_t *)out->data + at, row, n); break;
    case MS_I32: *clamped += store_i32((int32_t *)out->data + at, row, n); break;
    case MS_F32:
        for (int64_t x = 0; x < n; x++) ((float *)out->data)[at + (size_t)x] = (float)row[x];
        break;
    default: memcpy((double *)out->data + at, row, (size_t)n * sizeof *row); break;
    }
}

typedef struct cpu_job {
    const rs_job *rs;
    ms_volume *out;
    size_t clamped;
    int failed;
} cpu_job;

/* Label votes need all eight neighbours, so they take the general path. */
static int separable(const rs_job *j)
{
    return j->diagonal && !(j->labels && j->interp == MS_INTERP_LINEAR);
}

static void cpu_rows(void *ctx, size_t b, size_t e)
{
    cpu_job *c = ctx;
    const rs_job *j = c->rs;
    double *row = malloc((size_t)(j->odim[0] + j->in->dim[0]) * sizeof *row);
    if (!row) {
        __atomic_store_n(&c->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    size_t clamped = 0;
    for (size_t r = b; r < e; r++) {
        int64_t oj = (int64_t)r % j->odim[1], ok = (int64_t)r / j->odim[1];
        if (separable(j)) rs_row_separable(j, oj, ok, row, row + j->odim[0]);
        else rs_row_general(j, oj, ok, row);
        store_row(c->out, r * (size_t)j->odim[0], row, j->odim[0], &clamped);
    }
    __atomic_fetch_add(&c->clamped, clamped, __ATOMIC_RELAXED);
    free(row);
}

/* Per-output-x indices and weights of the separable path. */
static ms_status x_tables(rs_job *j)
{
    size_t n = (size_t)j->odim[0];
    ms_status st = ms_alloc_array((void **)&j->x0, n, sizeof *j->x0, 0, "resampling tables");
    if (!st) st = ms_alloc_array((void **)&j->x1, n, sizeof *j->x1, 0, "resampling tables");
    if (!st) st = ms_alloc_array((void **)&j->xw, n, 4 * sizeof *j->xw, 0, "resampling tables");
    if (!st) st = ms_alloc_array((void **)&j->xin, n, 1, 0, "resampling tables");
    if (st) return st;
    int64_t nx = j->in->dim[0];
    for (size_t x = 0; x < n; x++) {
        double c = ms_coord(j->m, (double)x, 0, 0);
        j->xin[x] = (uint8_t)ms_inside(c, nx);
        if (j->interp == MS_INTERP_NEAREST) j->x0[x] = ms_nearest_index(c, nx);
        else if (j->interp == MS_INTERP_LINEAR) ms_linear_index(c, nx, &j->x0[x], &j->x1[x], &j->xw[x]);
        else j->x0[x] = ms_cubic_weights(c, j->xw + 4 * x);
    }
    return MS_OK;
}

static void rs_free(rs_job *j)
{
    free(j->x0);
    free(j->x1);
    free(j->xw);
    free(j->xin);
}

static ms_status resample_cpu(rs_job *j, ms_volume *out, size_t *clamped)
{
    ms_status st = separable(j) ? x_tables(j) : MS_OK;
    if (!st) {
        cpu_job c = {j, out, 0, 0};
        ms_parallel_for((size_t)j->odim[1] * (size_t)j->odim[2], 4, cpu_rows, &c);
        if (c.failed) st = ms_fail(MS_ERR_NOMEM, "out of memory resampling rows");
        *clamped = c.clamped;
    }
    rs_free(j);
    return st;
}

#ifdef MEDSEG_HAVE_CUDA
/* The device writes double for nearest and label votes (exact for every
 * input dtype and fill) and float for linear and cubic. */
static ms_status resample_cuda(rs_job *j, ms_volume *out, size_t *clamped)
{
    size_t n = ms_volume_nvox(out);
    char err[256];
    int interp = j->interp == MS_INTERP_LINEAR && j->labels ? 2 : (int)j->interp;
    int exact = interp == 0 || interp == 2;
    const void *src = j->interp == MS_INTERP_CUBIC ? (const void *)j->coef : j->in->data;
    int src_dtype = j->interp == MS_INTERP_CUBIC ? MS_F32 : (int)j->in->dtype;
    void *buf;
    ms_status st = ms_alloc_array(&buf, n, exact ? sizeof(double) : sizeof(float), 0, "resampled volume");
    if (st) return st;
    if (msk_resample(src, src_dtype, j->in->dim, j->m, interp, j->fill, out->dim, buf, err, sizeof err)) {
        free(buf);
        return ms_fail(MS_ERR_INTERNAL, "CUDA resampling: %s", err);
    }
    ms_volume tmp = {.dim = {out->dim[0], out->dim[1], out->dim[2]}, .dtype = exact ? MS_F64 : MS_F32, .data = buf};
    double *row = malloc((size_t)out->dim[0] * sizeof *row);
    if (!row) st = ms_fail(MS_ERR_NOMEM, "out of memory storing resampled rows");
    for (size_t r = 0; !st && r < n / (size_t)out->dim[0]; r++) {
        size_t at = r * (size_t)out->dim[0];
        ms_volume_read_f64(&tmp, at, 1, (size_t)out->dim[0], row);
        store_row(out, at, row, out->dim[0], clamped);
    }
    free(row);
    free(buf);
    return st;
}
#endif

static ms_status check_opts(const ms_volume *in, const ms_resample_opts *o)
{
    if (o->interp != MS_INTERP_NEAREST && o->interp != MS_INTERP_LINEAR && o->interp != MS_INTERP_CUBIC)
        return ms_fail(MS_ERR_USAGE, "unknown interpolation %d", (int)o->interp);
    if (o->labels && o->interp == MS_INTERP_CUBIC)
        return ms_fail(MS_ERR_USAGE, "--labels takes nearest or linear (label-aware) interpolation, not cubic");
    double bad;
    if (o->labels && ms_volume_find_fraction(in, &bad))
        return ms_fail(MS_ERR_INPUT, "--labels: the input holds a non-integer value %g", bad);
    if (!isfinite(o->fill)) return ms_fail(MS_ERR_USAGE, "--fill must be a finite number");
    return MS_OK;
}

ms_status ms_resample(const ms_volume *in, const ms_grid *g, const ms_resample_opts *o, ms_volume *out,
                      size_t *clamped)
{
    size_t dummy = 0;
    if (!clamped) clamped = &dummy;
    *clamped = 0;
    rs_job j = {.in = in, .interp = o->interp, .labels = o->labels, .fill = o->fill};
    memcpy(j.odim, g->dim, sizeof j.odim);
    ms_status st = check_opts(in, o);
    if (!st) st = ms_resample_map(in, g, j.m);
    if (st) return st;
    j.diagonal = j.m[1] == 0 && j.m[2] == 0 && j.m[4] == 0 && j.m[6] == 0 && j.m[8] == 0 && j.m[9] == 0;
    float *coef = NULL;
    if (o->interp == MS_INTERP_CUBIC && (st = ms_bspline_coefficients(in, &coef))) return st;
    j.coef = coef;
    ms_volume like = {.dim = {g->dim[0], g->dim[1], g->dim[2]}, .dtype = in->dtype, .nifti = in->nifti, .nifti_ops = in->nifti_ops};
    memcpy(like.affine, g->affine, sizeof like.affine);
    st = ms_volume_like(out, &like, o->out_dtype);   /* takes g's affine, keeps in's header */
#ifdef MEDSEG_HAVE_CUDA
    if (!st && o->device == MS_DEVICE_CUDA) st = resample_cuda(&j, out, clamped);
    else
#endif
    if (!st) st = resample_cpu(&j, out, clamped);
    if (st && out->data) ms_volume_free(out);
    free(coef);
    return st;
}
