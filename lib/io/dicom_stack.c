/* A series' ordered slices into one volume: read in parallel (each file
 * once; a compressed multi-frame file decoded once), rescaled per slice,
 * and interpolated linearly along the stacking line when the gaps are
 * uneven. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dicom_pixels.h"
#include "dicom_stack.h"
#include "medseg/log.h"
#include "medseg/memory.h"
#include "medseg/threads.h"

typedef struct {
    slice *sl;
    ms_volume *stack;
    size_t per_slice;
    ms_status st;
    int err_slice;
    char err[1024];
    pthread_mutex_t lock;
    ms_dcm_frame_cache cache;
} pixel_job;

static void read_slices(void *ctx, size_t b, size_t e)
{
    pixel_job *j = ctx;
    size_t bytes = j->per_slice * ms_dtype_size(j->stack->dtype);
    for (size_t s = b; s < e; s++) {
        void *dst = (char *)j->stack->data + s * bytes;
        ms_status st = ms_dcm_read_slice(j->sl[s].path, j->sl[s].h, dst, j->stack->dtype, &j->cache);
        if (st) {
            /* Keep the error of the lowest slice so the message is stable. */
            pthread_mutex_lock(&j->lock);
            if (j->err_slice < 0 || (int)s < j->err_slice) {
                j->err_slice = (int)s;
                j->st = st;
                snprintf(j->err, sizeof j->err, "%s", ms_last_error());
            }
            pthread_mutex_unlock(&j->lock);
        }
    }
}

static ms_status check_pixel_format(const char *path, const ms_dcm_header *h)
{
    if (h->samples != 1 && h->samples != 3)
        return ms_fail(MS_ERR_INPUT, "%s: %d samples per pixel is not supported (1, or 3 for colour)", path, h->samples);
    if (h->bits_alloc != 8 && h->bits_alloc != 16 && h->bits_alloc != 32)
        return ms_fail(MS_ERR_INPUT, "%s: BitsAllocated %d is not supported (8, 16 or 32)", path, h->bits_alloc);
    return MS_OK;
}

static ms_status rescale(const char *path, const slice *sl, int n, ms_volume *stack)
{
    double *m = NULL, *c = NULL;
    ms_status st = ms_alloc_array((void **)&m, (size_t)n, sizeof *m, 0, path);
    if (!st) st = ms_alloc_array((void **)&c, (size_t)n, sizeof *c, 0, path);
    int u32 = 1;
    for (int s = 0; !st && s < n; s++) {
        m[s] = sl[s].h->slope, c[s] = sl[s].h->intercept;
        u32 &= sl[s].h->bits_alloc == 32 && sl[s].h->pixel_rep != 1;
    }
    if (!st) st = ms_dcm_rescale(path, m, c, u32, stack);
    free(m);
    free(c);
    return st;
}

/* Linear interpolation along the stacking line onto an even grid, one
 * typed loop per dtype. */
#define LERP(T, ROUND)                                                                  \
    do {                                                                                \
        const T *a_ = (const T *)in->data + (size_t)s * per, *b_ = a_ + per;            \
        T *o_ = (T *)out->data + (size_t)k * per;                                       \
        for (size_t i = 0; i < per; i++) o_[i] = (T)ROUND((1 - w) * a_[i] + w * b_[i]); \
    } while (0)

static void lerp_slice(const ms_volume *in, int s, double w, ms_volume *out, int k, size_t per)
{
    switch (in->dtype) {
    case MS_U8: LERP(uint8_t, nearbyint); break;
    case MS_I16: LERP(int16_t, nearbyint); break;
    case MS_U16: LERP(uint16_t, nearbyint); break;
    case MS_I32: LERP(int32_t, nearbyint); break;
    case MS_F32: LERP(float, ); break;
    default: LERP(double, ); break;
    }
}
#undef LERP

static ms_status resample_even(const char *path, const ms_volume *in, const geometry *g, int n_in, ms_volume *out)
{
    int64_t dim[3] = {in->dim[0], in->dim[1], g->n_out};
    ms_status st = ms_volume_alloc(out, dim, in->dtype, path);
    if (st) return st;
    size_t per = (size_t)in->dim[0] * (size_t)in->dim[1];
    int s = 0;
    for (int k = 0; k < g->n_out; k++) {
        double u = k * g->step;
        while (s < n_in - 2 && g->u[s + 1] < u) s++;
        double w = (u - g->u[s]) / (g->u[s + 1] - g->u[s]);
        lerp_slice(in, s, fmin(1.0, fmax(0.0, w)), out, k, per);
    }
    return MS_OK;
}

ms_status dicom_read_stack(const char *path, slice *sl, int n, const geometry *g, ms_volume *v)
{
    const ms_dcm_header **hs = NULL;
    ms_status st = ms_alloc_array((void **)&hs, (size_t)n, sizeof *hs, 0, path);
    for (int s = 0; !st && s < n; s++) st = check_pixel_format(sl[s].path, hs[s] = sl[s].h);
    ms_dtype stage = st ? MS_I16 : ms_dcm_stage_type(hs, n);
    free(hs);
    if (st) return st;
    /* The stack, the output when the rescale fits its type, else a second
     * volume of the output type while converting. */
    int64_t dim[3] = {sl[0].h->cols, sl[0].h->rows, n};
    size_t nvox;
    st = ms_volume_size(dim, stage, &nvox, NULL, path);
    double mm3 = g->step * (sl[0].h->has_spacing ? sl[0].h->pixel_spacing[0] * sl[0].h->pixel_spacing[1] : 1);
    if (!st) st = ms_memory_check_input(nvox, ms_dtype_size(stage) + sizeof(float), mm3, path);
    ms_volume stack = {0};
    if (!st) st = ms_volume_alloc(&stack, dim, stage, path);
    if (st) return st;
    pixel_job j = {sl, &stack, (size_t)dim[0] * (size_t)dim[1], MS_OK, -1, "", PTHREAD_MUTEX_INITIALIZER,
                   {PTHREAD_MUTEX_INITIALIZER, NULL, NULL}};
    ms_parallel_for((size_t)n, 1, read_slices, &j);
    ms_dcm_frame_cache_free(&j.cache);
    if (j.err_slice >= 0) st = ms_fail(j.st, "%s", j.err);
    else st = rescale(path, sl, n, &stack);
    if (st || g->n_out == n) {
        if (st) ms_volume_free(&stack);
        else *v = stack;
        return st;
    }
    st = resample_even(path, &stack, g, n, v);
    ms_volume_free(&stack);
    return st;
}
