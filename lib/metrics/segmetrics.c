/* Segmentation metrics for one label: overlap from voxel counts, surface
 * distances from surfels (surface.c) and distance transforms (edt.c) on
 * the union's bounding box plus one voxel, the smallest grid that holds
 * every surfel of both masks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/log.h"
#include "medseg/metrics.h"
#include "seg_internal.h"
#include "medseg/threads.h"

ms_status ms_grid_check(const ms_volume *a, const ms_volume *b, double tol, const char *wa, const char *wb)
{
    for (int i = 0; i < 3; i++)
        if (a->dim[i] != b->dim[i])
            return ms_fail(MS_ERR_INPUT, "%s is %lldx%lldx%lld but %s is %lldx%lldx%lld: not the same grid", wa,
                           (long long)a->dim[0], (long long)a->dim[1], (long long)a->dim[2], wb,
                           (long long)b->dim[0], (long long)b->dim[1], (long long)b->dim[2]);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            if (!(fabs(a->affine[r][c] - b->affine[r][c]) <= tol))
                return ms_fail(MS_ERR_INPUT, "%s and %s have different voxel-to-world matrices (entry %d,%d: %g vs %g)",
                               wa, wb, r, c, a->affine[r][c], b->affine[r][c]);
    return MS_OK;
}

static int add_label(int64_t **set, int *n, int *cap, int64_t v)
{
    int lo = 0, hi = *n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if ((*set)[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    if (lo < *n && (*set)[lo] == v) return 1;
    if (*n == *cap) {
        if (*cap >= 65536) return 0;
        int64_t *g = realloc(*set, (size_t)(*cap * 2) * sizeof *g);
        if (!g) return 0;
        *set = g;
        *cap *= 2;
    }
    memmove(*set + lo + 1, *set + lo, (size_t)(*n - lo) * sizeof **set);
    (*set)[lo] = v;
    (*n)++;
    return 1;
}

/* Small integer types: mark values in a table indexed by value + offset. */
static void mark_small(const ms_volume *v, uint8_t *seen)
{
    size_t n = ms_volume_nvox(v);
    if (v->dtype == MS_U8) {
        const uint8_t *d = v->data;
        for (size_t i = 0; i < n; i++) seen[d[i]] = 1;
    } else if (v->dtype == MS_I16) {
        const int16_t *d = v->data;
        for (size_t i = 0; i < n; i++) seen[d[i] + 32768] = 1;
    } else {
        const uint16_t *d = v->data;
        for (size_t i = 0; i < n; i++) seen[d[i]] = 1;
    }
}

/* Other types: every run of a new nonzero value goes into the sorted set;
 * returns -1 on a fraction, 0 when the set is full or memory runs out. */
static int collect_values(const ms_volume *v, int64_t **set, int *n, int *cap)
{
    size_t nv = ms_volume_nvox(v);
    double last = 0, buf[4096];
    for (size_t at = 0; at < nv; at += 4096) {
        size_t m = nv - at < 4096 ? nv - at : 4096;
        ms_volume_read_f64(v, at, 1, m, buf);
        for (size_t i = 0; i < m; i++) {
            double x = buf[i];
            if (x == 0 || x == last) continue;
            if (x != floor(x) || fabs(x) > 9e15) return -1;
            if (!add_label(set, n, cap, (int64_t)x)) return 0;
            last = x;
        }
    }
    return 1;
}

static int small_type(ms_dtype t) { return t == MS_U8 || t == MS_I16 || t == MS_U16; }

ms_status ms_labels_present(const ms_volume *a, const ms_volume *b, int64_t **labels, int *n)
{
    int cap = 16, ok = 1;
    *n = 0;
    *labels = malloc((size_t)cap * sizeof **labels);
    uint8_t *seen = calloc(65536, 1);
    if (!*labels || !seen) ok = 0;
    const ms_volume *vs[2] = {a, b};
    for (int k = 0; k < 2 && ok > 0; k++) {
        if (!small_type(vs[k]->dtype)) {
            ok = collect_values(vs[k], labels, n, &cap);
            continue;
        }
        memset(seen, 0, 65536);
        mark_small(vs[k], seen);
        int64_t off = vs[k]->dtype == MS_I16 ? 32768 : 0;
        for (int64_t i = 0; i < 65536 && ok > 0; i++)
            if (seen[i] && i != off) ok = add_label(labels, n, &cap, i - off);
    }
    free(seen);
    if (ok <= 0) {
        free(*labels);
        *labels = NULL;
        return ms_fail(ok < 0 ? MS_ERR_INPUT : MS_ERR_NOMEM,
                       ok < 0 ? "a label map holds a value that is not a whole number"
                              : "too many distinct labels (over 65536) or out of memory; name them with --labels");
    }
    return MS_OK;
}

typedef struct block {
    int64_t lo[3], dim[3];    /* voxel box with one voxel of padding */
    int64_t cdim[3];          /* cube grid: dim - 1 */
} block;

/* m[i] = (v[i] == label), one typed loop per dtype. */
static void label_mask(const ms_volume *v, int64_t label, uint8_t *m)
{
    size_t n = ms_volume_nvox(v);
    double lo, hi, l = (double)label;
    ms_dtype_range(v->dtype, &lo, &hi);
    if (l < lo || l > hi) {
        memset(m, 0, n);
        return;
    }
#define MATCH(T)                                                            \
    {                                                                       \
        const T *d = v->data;                                               \
        for (size_t i = 0; i < n; i++) m[i] = d[i] == (T)l;                 \
    }                                                                       \
    break;
    switch (v->dtype) {
    case MS_U8: MATCH(uint8_t)
    case MS_I16: MATCH(int16_t)
    case MS_U16: MATCH(uint16_t)
    case MS_I32: MATCH(int32_t)
    case MS_F32: MATCH(float)
    case MS_F64: MATCH(double)
    default: memset(m, 0, n);
    }
#undef MATCH
}

/* Voxel counts and the union's bounding box; 0 when both are empty. */
static int find_box(const ms_volume *v, const uint8_t *p, const uint8_t *r, int64_t lo[3], int64_t hi[3],
                    int64_t cnt[3])
{
    int64_t nx = v->dim[0], rows = v->dim[1] * v->dim[2];
    lo[0] = lo[1] = lo[2] = INT64_MAX;
    hi[0] = hi[1] = hi[2] = -1;
    cnt[0] = cnt[1] = cnt[2] = 0;
    for (int64_t row = 0; row < rows; row++) {
        const uint8_t *a = p + row * nx, *b = r + row * nx;
        int64_t first = -1, last = -1, ca = 0, cb = 0, cab = 0;
        for (int64_t x = 0; x < nx; x++) {
            ca += a[x];
            cb += b[x];
            cab += a[x] & b[x];
            if (a[x] | b[x]) {
                if (first < 0) first = x;
                last = x;
            }
        }
        cnt[0] += ca; cnt[1] += cb; cnt[2] += cab;
        if (first < 0) continue;
        int64_t y = row % v->dim[1], z = row / v->dim[1];
        if (first < lo[0]) lo[0] = first;
        if (last > hi[0]) hi[0] = last;
        if (y < lo[1]) lo[1] = y;
        if (y > hi[1]) hi[1] = y;
        if (z < lo[2]) lo[2] = z;
        if (z > hi[2]) hi[2] = z;
    }
    return hi[0] >= 0;
}

typedef struct code_job {
    const ms_volume *v;
    const uint8_t *full;
    const block *b;
    uint8_t *blk, *code;
} code_job;

/* Planes of the block, zero outside the volume. */
static void copy_planes(void *ctx, size_t z0, size_t z1)
{
    const code_job *j = ctx;
    const int64_t *d = j->b->dim, *lo = j->b->lo, *vd = j->v->dim;
    int64_t x0 = lo[0] < 0 ? 1 : 0, x1 = lo[0] + d[0] > vd[0] ? d[0] - 1 : d[0];
    for (int64_t z = (int64_t)z0; z < (int64_t)z1; z++)
        for (int64_t y = 0; y < d[1]; y++) {
            uint8_t *dst = j->blk + (z * d[1] + y) * d[0];
            int64_t gy = lo[1] + y, gz = lo[2] + z;
            memset(dst, 0, (size_t)d[0]);
            if (gy >= 0 && gz >= 0 && gy < vd[1] && gz < vd[2])
                memcpy(dst + x0, j->full + (gz * vd[1] + gy) * vd[0] + lo[0] + x0, (size_t)(x1 - x0));
        }
}

/* Corner codes: bit b is the voxel at offset (b & 1, b >> 1 & 1, b >> 2 & 1). */
static void code_planes(void *ctx, size_t z0, size_t z1)
{
    const code_job *j = ctx;
    const int64_t *d = j->b->dim, *c = j->b->cdim;
    for (int64_t z = (int64_t)z0; z < (int64_t)z1; z++)
        for (int64_t y = 0; y < c[1]; y++) {
            const uint8_t *r00 = j->blk + (z * d[1] + y) * d[0], *r01 = r00 + d[0], *r10 = r00 + d[0] * d[1],
                          *r11 = r10 + d[0];
            uint8_t *out = j->code + (z * c[1] + y) * c[0];
            for (int64_t x = 0; x < c[0]; x++)
                out[x] = (uint8_t)(r00[x] | r00[x + 1] << 1 | r01[x] << 2 | r01[x + 1] << 3 | r10[x] << 4 |
                                   r10[x + 1] << 5 | r11[x] << 6 | r11[x + 1] << 7);
        }
}

static void cube_codes(const ms_volume *v, const uint8_t *full, const block *b, uint8_t *blk, uint8_t *code)
{
    code_job j = {v, full, b, blk, code};
    ms_parallel_for((size_t)b->dim[2], 4, copy_planes, &j);
    ms_parallel_for((size_t)b->cdim[2], 4, code_planes, &j);
}

typedef struct side {
    uint8_t *code, *border;
    double *d, *a;            /* per surfel: distance to the other side, area */
    int64_t n;
} side;

static ms_status gather(const side *from, const side *to, const block *b, const double area[256], const double s[3],
                        double *d2, side *out)
{
    ms_status rc = ms_edt_squared(to->border, b->cdim, s, from->border, d2);
    if (rc) return rc;
    size_t nc = (size_t)(b->cdim[0] * b->cdim[1] * b->cdim[2]);
    out->n = 0;
    for (size_t i = 0; i < nc; i++)
        if (from->border[i]) {
            out->d[out->n] = sqrt(d2[i]);
            out->a[out->n++] = area[from->code[i]];
        }
    return MS_OK;
}

void seg_summarise(const double *pd, const double *pa, int64_t pn, const double *rd, const double *ra, int64_t rn,
                   ms_seg_metrics *m)
{
    double sp = 0, sr = 0, ap = 0, ar = 0, mx = 0;
    for (int64_t i = 0; i < pn; i++) { sp += pd[i] * pa[i]; ap += pa[i]; mx = pd[i] > mx ? pd[i] : mx; }
    for (int64_t i = 0; i < rn; i++) { sr += rd[i] * ra[i]; ar += ra[i]; mx = rd[i] > mx ? rd[i] : mx; }
    m->area_pred_mm2 = ap;
    m->area_ref_mm2 = ar;
    m->hd = mx;
    m->asd_pred_to_ref = sp / ap;
    m->asd_ref_to_pred = sr / ar;
    m->assd = (sp + sr) / (ap + ar);
    m->hd95_pred_to_ref = ms_surfel_percentile(pd, pa, pn, 95);
    m->hd95_ref_to_pred = ms_surfel_percentile(rd, ra, rn, 95);
    m->hd95 = m->hd95_pred_to_ref > m->hd95_ref_to_pred ? m->hd95_pred_to_ref : m->hd95_ref_to_pred;
}

static ms_status surface_distances(const ms_volume *pred, const uint8_t *pm, const uint8_t *rm, const block *b,
                                   ms_seg_metrics *m)
{
    size_t nv = (size_t)(b->dim[0] * b->dim[1] * b->dim[2]), nc = (size_t)(b->cdim[0] * b->cdim[1] * b->cdim[2]);
    uint8_t *buf = NULL;
    double *d2 = NULL, *da = NULL;
    ms_status rc = ms_alloc_big((void **)&buf, nv + 4 * nc, 1, "surface distances");
    if (!rc) rc = ms_alloc_big((void **)&d2, nc, sizeof *d2, "surface distances");
    if (!rc) rc = ms_alloc_array((void **)&da, nc, 2 * sizeof *da, 0, "surface distances");
    if (rc) goto done;
    side p = {buf + nv, buf + nv + nc, 0, 0, 0}, r = {buf + nv + 2 * nc, buf + nv + 3 * nc, 0, 0, 0}, pr, rp;
    double t0 = ms_now();
    cube_codes(pred, pm, b, buf, p.code);
    cube_codes(pred, rm, b, buf, r.code);
    ms_debug("surfels: codes %.3f s", ms_now() - t0);
    for (size_t i = 0; i < nc; i++) {
        p.border[i] = p.code[i] != 0 && p.code[i] != 255;
        r.border[i] = r.code[i] != 0 && r.code[i] != 255;
    }
    double area[256];
    ms_surfel_areas(pred->spacing, area);
    /* One distance buffer serves both directions in turn; surfel lists
     * share `da` (a surfel count never exceeds the cube count). */
    pr = (side){0, 0, da, da + nc, 0};
    rc = gather(&p, &r, b, area, pred->spacing, d2, &pr);
    if (rc) goto done;
    double *keep = malloc((size_t)pr.n * 2 * sizeof *keep);
    if (!keep) { rc = ms_fail(MS_ERR_NOMEM, "surface distances: out of memory"); goto done; }
    memcpy(keep, pr.d, (size_t)pr.n * sizeof *keep);
    memcpy(keep + pr.n, pr.a, (size_t)pr.n * sizeof *keep);
    pr.d = keep;
    pr.a = keep + pr.n;
    rp = (side){0, 0, da, da + nc, 0};
    rc = gather(&r, &p, b, area, pred->spacing, d2, &rp);
    ms_debug("surfels: distance transforms %.3f s", ms_now() - t0);
    if (!rc) seg_summarise(pr.d, pr.a, pr.n, rp.d, rp.a, rp.n, m);
    free(keep);
done:
    free(buf);
    free(d2);
    free(da);
    return rc;
}

ms_status seg_metrics_from_masks(const ms_volume *pred, const uint8_t *pm, const uint8_t *rm, ms_seg_metrics *m)
{
    int64_t lo[3], hi[3], cnt[3] = {0, 0, 0};
    double t0 = ms_now();
    int any = pm && rm && find_box(pred, pm, rm, lo, hi, cnt);
    ms_debug("label %lld: counts and box %.3f s", (long long)m->label, ms_now() - t0);
    double ml = pred->spacing[0] * pred->spacing[1] * pred->spacing[2] / 1000.0;
    m->n_pred = cnt[0];
    m->n_ref = cnt[1];
    m->n_both = cnt[2];
    m->vol_pred_ml = (double)cnt[0] * ml;
    m->vol_ref_ml = (double)cnt[1] * ml;
    if (!any) {
        m->dice = m->jaccard = m->hd = m->hd95 = m->assd = NAN;
        m->hd95_pred_to_ref = m->hd95_ref_to_pred = m->asd_pred_to_ref = m->asd_ref_to_pred = NAN;
        return MS_OK;
    }
    m->dice = 2.0 * (double)cnt[2] / (double)(cnt[0] + cnt[1]);
    m->jaccard = (double)cnt[2] / (double)(cnt[0] + cnt[1] - cnt[2]);
    if (!cnt[0] || !cnt[1]) {
        m->hd = m->hd95 = m->assd = INFINITY;
        m->hd95_pred_to_ref = m->hd95_ref_to_pred = m->asd_pred_to_ref = m->asd_ref_to_pred = INFINITY;
        return MS_OK;
    }
    block b;
    for (int k = 0; k < 3; k++) {
        b.lo[k] = lo[k] - 1;
        b.dim[k] = hi[k] - lo[k] + 3;
        b.cdim[k] = b.dim[k] - 1;
    }
    return surface_distances(pred, pm, rm, &b, m);
}

ms_status ms_seg_metrics_compute(const ms_volume *pred, const ms_volume *ref, int64_t label, ms_seg_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->label = label;
    size_t n = ms_volume_nvox(pred);
    uint8_t *pm = NULL, *rm = NULL;
    ms_status rc = ms_alloc_big((void **)&pm, n, 1, "label mask");
    if (!rc) rc = ms_alloc_big((void **)&rm, n, 1, "label mask");
    if (!rc) {
        label_mask(pred, label, pm);
        label_mask(ref, label, rm);
        rc = seg_metrics_from_masks(pred, pm, rm, m);
    }
    free(pm);
    free(rm);
    return rc;
}

