/* Distance queries: the CPU walk over points in parallel, or the CUDA
 * kernel (kernels/sdf.cu) with the same tree and arithmetic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/threads.h"
#include "sdf_internal.h"
#ifdef MEDSEG_HAVE_CUDA
#include "msk.h"
#endif

typedef double (*query_fn)(const ms_sdf_mesh *, const double *, int64_t, int64_t *);

static query_fn pick_query(void)
{
#ifdef MEDSEG_HAVE_AVX2_COPY
    if (__builtin_cpu_supports("avx2")) return ms_sdf_query_wide_avx2;
#endif
    return ms_sdf_query_wide;
}

typedef double (*nearest_fn)(ms_sdf_mesh *const *, int, const double *, int, int64_t, int *, int64_t *);

static nearest_fn pick_nearest(void)
{
#ifdef MEDSEG_HAVE_AVX2_COPY
    if (__builtin_cpu_supports("avx2")) return ms_sdf_nearest_wide_avx2;
#endif
    return ms_sdf_nearest_wide;
}

typedef struct {
    query_fn query;
    const ms_sdf_mesh *s;
    const float *pts;
    const int64_t *order;
    float *sdf;
    int32_t *nearest;
} eval_ctx;

/* Points in Morton order, each starting from its predecessor's triangle:
 * neighbours share answers, so most boxes are pruned at once. */
static void eval_range(void *arg, size_t b, size_t e)
{
    const eval_ctx *c = arg;
    int64_t hint = -1;
    for (size_t r = b; r < e; r++) {
        int64_t i = c->order[r];
        double p[3] = {c->pts[3 * i], c->pts[3 * i + 1], c->pts[3 * i + 2]};
        c->sdf[i] = (float)c->query(c->s, p, hint, &hint);
        if (c->nearest) c->nearest[i] = hint >= 0 ? c->s->source[hint] : -1;
    }
}

typedef struct {
    uint64_t key;
    int64_t idx;
} keyed;

/* Stable least-significant-digit radix sort by key, 11 bits a pass (a
 * pass where every key has the same digit is skipped); the result ends in
 * a. Stable, so equal keys keep the points' order. */
static void radix_sort(keyed *a, keyed *tmp, int64_t n)
{
    keyed *from = a, *to = tmp;
    if (n <= 0) return;
    for (int shift = 0; shift < 64; shift += 11) {
        int64_t count[2048] = {0};
        for (int64_t i = 0; i < n; i++) count[(from[i].key >> shift) & 2047]++;
        if (count[(from[0].key >> shift) & 2047] == n) continue;
        for (int64_t d = 0, sum = 0; d < 2048; d++) {
            int64_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (int64_t i = 0; i < n; i++) to[count[(from[i].key >> shift) & 2047]++] = from[i];
        keyed *t = from;
        from = to;
        to = t;
    }
    if (from != a) memcpy(a, from, (size_t)n * sizeof *a);
}

static uint64_t spread3(uint64_t v)
{
    v &= 0x1fffff;
    v = (v | v << 32) & 0x1f00000000ffffULL;
    v = (v | v << 16) & 0x1f0000ff0000ffULL;
    v = (v | v << 8) & 0x100f00f00f00f00fULL;
    v = (v | v << 4) & 0x10c30c30c30c30c3ULL;
    v = (v | v << 2) & 0x1249249249249249ULL;
    return v;
}

/* Morton order of the points over their bounding box (21 bits an axis). */
ms_status ms_sdf_order(const float *pts, int64_t n, int64_t *order)
{
    keyed *k;
    ms_status st = ms_alloc_array((void **)&k, (size_t)n, 2 * sizeof *k, 0, "query order");
    if (st) return st;
    float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int64_t i = 0; i < n; i++)
        for (int a = 0; a < 3; a++) {
            lo[a] = fminf(lo[a], pts[3 * i + a]);
            hi[a] = fmaxf(hi[a], pts[3 * i + a]);
        }
    for (int64_t i = 0; i < n; i++) {
        uint64_t key = 0;
        for (int a = 0; a < 3; a++) {
            double span = (double)hi[a] - lo[a], t = span > 0 ? ((double)pts[3 * i + a] - lo[a]) / span : 0;
            t = t >= 0 && t <= 1 ? t : 0;   /* NaN coordinates go first */
            key |= spread3((uint64_t)(t * 2097151.0)) << a;
        }
        k[i].key = key;
        k[i].idx = i;
    }
    radix_sort(k, k + n, n);
    for (int64_t i = 0; i < n; i++) order[i] = k[i].idx;
    free(k);
    return MS_OK;
}

static ms_status eval_cuda(const ms_sdf_mesh *s, const float *pts, int64_t n, float *sdf, int32_t *nearest)
{
#ifdef MEDSEG_HAVE_CUDA
    char err[256];
    int32_t *tri = NULL;
    if (nearest && !(tri = malloc((size_t)n * sizeof *tri))) return ms_fail(MS_ERR_NOMEM, "out of memory for SDF");
    if (msk_sdf(s->nodes, s->n_nodes, s->tris, s->n_tris, pts, n, sdf, tri, err, sizeof err)) {
        free(tri);
        return ms_fail(MS_ERR_INTERNAL, "CUDA SDF: %s", err);
    }
    for (int64_t i = 0; nearest && i < n; i++) nearest[i] = tri[i] >= 0 ? s->source[tri[i]] : -1;
    free(tri);
    return MS_OK;
#else
    (void)s, (void)pts, (void)n, (void)sdf, (void)nearest;
    return ms_fail(MS_ERR_NODEVICE, "this medseg was built without CUDA");
#endif
}

ms_status ms_sdf_eval_ordered(const ms_sdf_mesh *s, const float *pts, const int64_t *order, int64_t n, ms_device dev,
                              float *sdf, int32_t *nearest)
{
    if (n <= 0) return MS_OK;
    if (dev == MS_DEVICE_CUDA) return eval_cuda(s, pts, n, sdf, nearest);
    eval_ctx c = {pick_query(), s, pts, order, sdf, nearest};
    ms_parallel_for((size_t)n, 256, eval_range, &c);
    return MS_OK;
}

ms_status ms_sdf_eval(const ms_sdf_mesh *s, const float *pts, int64_t n, ms_device dev, float *sdf, int32_t *nearest)
{
    if (n <= 0) return MS_OK;
    if (dev == MS_DEVICE_CUDA) return eval_cuda(s, pts, n, sdf, nearest);
    int64_t *order;
    ms_status st = ms_alloc_array((void **)&order, (size_t)n, sizeof *order, 0, "query order");
    if (!st) st = ms_sdf_order(pts, n, order);
    if (!st) st = ms_sdf_eval_ordered(s, pts, order, n, dev, sdf, nearest);
    free(order);
    return st;
}

typedef struct {
    nearest_fn nearest;
    ms_sdf_mesh *const *parts;
    int n;
    const float *pts;
    const int64_t *order;
    float *sdf;
    int32_t *part;
} nearest_ctx;

static void nearest_range(void *arg, size_t b, size_t e)
{
    const nearest_ctx *c = arg;
    int hint_part = 0;
    int64_t hint = -1;
    for (size_t r = b; r < e; r++) {
        int64_t i = c->order[r];
        double p[3] = {c->pts[3 * i], c->pts[3 * i + 1], c->pts[3 * i + 2]};
        int k;
        c->sdf[i] = (float)c->nearest(c->parts, c->n, p, hint_part, hint, &k, &hint);
        c->part[i] = k;
        hint_part = k >= 0 ? k : 0;
    }
}

/* The GPU walks the merged tree; its triangles are numbered part by part. */
static ms_status nearest_cuda(ms_sdf_mesh *const *parts, int n, const float *pts, int64_t count, float *sdf,
                              int32_t *part)
{
    ms_sdf_mesh *all;
    ms_status st = ms_sdf_merge(parts, n, &all);
    if (!st) st = eval_cuda(all, pts, count, sdf, part);
    ms_sdf_free(all);
    for (int64_t i = 0; !st && i < count; i++) {
        int64_t t = part[i];
        int k = 0;
        while (k < n && t >= parts[k]->n_tris) t -= parts[k++]->n_tris;
        part[i] = part[i] >= 0 && k < n ? k : -1;
    }
    return st;
}

ms_status ms_sdf_eval_nearest(ms_sdf_mesh *const *parts, int n, const float *pts, const int64_t *order, int64_t count,
                              ms_device dev, float *sdf, int32_t *part)
{
    if (n < 1 || n > MS_SDF_MERGE_MAX) return ms_fail(MS_ERR_USAGE, "can query 1 to %d meshes, not %d", MS_SDF_MERGE_MAX, n);
    if (count <= 0) return MS_OK;
    if (dev == MS_DEVICE_CUDA) return nearest_cuda(parts, n, pts, count, sdf, part);
    nearest_ctx c = {pick_nearest(), parts, n, pts, order, sdf, part};
    ms_parallel_for((size_t)count, 256, nearest_range, &c);
    return MS_OK;
}
