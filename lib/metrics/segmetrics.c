/* Segmentation metrics for one label: overlap from voxel counts, surface
 * distances from surfels (surface.c) and distance transforms (edt.c) on
 * the union's bounding box plus one voxel, the smallest grid that holds
 * every surfel of both masks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/metrics.h"

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

/* Walks a volume's voxels as whole numbers; `fn` sees runs of one value. */
#define FOR_EACH_VALUE(v, body)                                                        \
    do {                                                                               \
        size_t n_ = ms_volume_nvox(v);                                                 \
        for (size_t i_ = 0; i_ < n_; i_++) {                                           \
            double value = ms_volume_get(v, i_);                                       \
            body                                                                       \
        }                                                                              \
    } while (0)

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

ms_status ms_labels_present(const ms_volume *a, const ms_volume *b, int64_t **labels, int *n)
{
    int cap = 16;
    *n = 0;
    *labels = malloc((size_t)cap * sizeof **labels);
    if (!*labels) return ms_fail(MS_ERR_NOMEM, "labels: out of memory");
    const ms_volume *vs[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        double last = 0;
        int ok = 1;
        FOR_EACH_VALUE(vs[k], {
            if (value != 0 && value != last && ok) {
                if (value != floor(value) || fabs(value) > 9e15) ok = -1;
                else if (!add_label(labels, n, &cap, (int64_t)value)) ok = 0;
                last = value;
            }
        });
        if (ok <= 0) {
            free(*labels);
            *labels = NULL;
            return ms_fail(MS_ERR_INPUT, ok < 0 ? "a label map holds a value that is not a whole number"
                                                : "more than 65536 distinct labels; name them with --labels");
        }
    }
    return MS_OK;
}

typedef struct block {
    int64_t lo[3], dim[3];    /* voxel box with one voxel of padding */
    int64_t cdim[3];          /* cube grid: dim - 1 */
} block;

static int find_box(const ms_volume *p, const ms_volume *r, int64_t label, int64_t lo[3], int64_t hi[3],
                    int64_t cnt[3])
{
    int64_t nx = p->dim[0], ny = p->dim[1];
    lo[0] = lo[1] = lo[2] = INT64_MAX;
    hi[0] = hi[1] = hi[2] = -1;
    cnt[0] = cnt[1] = cnt[2] = 0;
    size_t n = ms_volume_nvox(p);
    for (size_t i = 0; i < n; i++) {
        int a = ms_volume_get(p, i) == (double)label, b = ms_volume_get(r, i) == (double)label;
        cnt[0] += a;
        cnt[1] += b;
        cnt[2] += a && b;
        if (!a && !b) continue;
        int64_t c[3] = {(int64_t)i % nx, (int64_t)i / nx % ny, (int64_t)i / (nx * ny)};
        for (int k = 0; k < 3; k++) {
            if (c[k] < lo[k]) lo[k] = c[k];
            if (c[k] > hi[k]) hi[k] = c[k];
        }
    }
    return hi[0] >= 0;
}

/* Corner codes of every cube of the block for voxels equal to label. */
static void cube_codes(const ms_volume *v, int64_t label, const block *b, uint8_t *mask, uint8_t *code)
{
    const int64_t *d = b->dim, *c = b->cdim;
    for (int64_t z = 0; z < d[2]; z++)
        for (int64_t y = 0; y < d[1]; y++)
            for (int64_t x = 0; x < d[0]; x++) {
                int64_t gx = b->lo[0] + x, gy = b->lo[1] + y, gz = b->lo[2] + z;
                int in = gx >= 0 && gy >= 0 && gz >= 0 && gx < v->dim[0] && gy < v->dim[1] && gz < v->dim[2] &&
                         ms_volume_get(v, (size_t)((gz * v->dim[1] + gy) * v->dim[0] + gx)) == (double)label;
                mask[(z * d[1] + y) * d[0] + x] = (uint8_t)in;
            }
    for (int64_t z = 0; z < c[2]; z++)
        for (int64_t y = 0; y < c[1]; y++)
            for (int64_t x = 0; x < c[0]; x++) {
                int k = 0;
                for (int bit = 0; bit < 8; bit++)
                    k |= mask[((z + (bit >> 2)) * d[1] + y + (bit >> 1 & 1)) * d[0] + x + (bit & 1)] << bit;
                code[(z * c[1] + y) * c[0] + x] = (uint8_t)k;
            }
}

typedef struct side {
    uint8_t *code, *border;
    double *d, *a;            /* per surfel: distance to the other side, area */
    int64_t n;
} side;

static ms_status gather(const side *from, const side *to, const block *b, const double area[256], const double s[3],
                        double *d2, side *out)
{
    ms_status rc = ms_edt_squared(to->border, b->cdim, s, d2);
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

static void summarise(const side *pr, const side *rp, ms_seg_metrics *m)
{
    double sp = 0, sr = 0, ap = 0, ar = 0, mx = 0;
    for (int64_t i = 0; i < pr->n; i++) { sp += pr->d[i] * pr->a[i]; ap += pr->a[i]; mx = pr->d[i] > mx ? pr->d[i] : mx; }
    for (int64_t i = 0; i < rp->n; i++) { sr += rp->d[i] * rp->a[i]; ar += rp->a[i]; mx = rp->d[i] > mx ? rp->d[i] : mx; }
    m->area_pred_mm2 = ap;
    m->area_ref_mm2 = ar;
    m->hd = mx;
    m->asd_pred_to_ref = sp / ap;
    m->asd_ref_to_pred = sr / ar;
    m->assd = (sp + sr) / (ap + ar);
    m->hd95_pred_to_ref = ms_surfel_percentile(pr->d, pr->a, pr->n, 95);
    m->hd95_ref_to_pred = ms_surfel_percentile(rp->d, rp->a, rp->n, 95);
    m->hd95 = m->hd95_pred_to_ref > m->hd95_ref_to_pred ? m->hd95_pred_to_ref : m->hd95_ref_to_pred;
}

static ms_status surface_distances(const ms_volume *pred, const ms_volume *ref, int64_t label, const block *b,
                                   ms_seg_metrics *m)
{
    size_t nv = (size_t)(b->dim[0] * b->dim[1] * b->dim[2]), nc = (size_t)(b->cdim[0] * b->cdim[1] * b->cdim[2]);
    uint8_t *buf = NULL;
    double *d2 = NULL, *da = NULL;
    ms_status rc = ms_alloc_array((void **)&buf, nv + 4 * nc, 1, 0, "surface distances");
    if (!rc) rc = ms_alloc_array((void **)&d2, nc, sizeof *d2, 0, "surface distances");
    if (!rc) rc = ms_alloc_array((void **)&da, nc, 2 * sizeof *da, 0, "surface distances");
    if (rc) goto done;
    side p = {buf + nv, buf + nv + nc, 0, 0, 0}, r = {buf + nv + 2 * nc, buf + nv + 3 * nc, 0, 0, 0}, pr, rp;
    cube_codes(pred, label, b, buf, p.code);
    cube_codes(ref, label, b, buf, r.code);
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
    if (!rc) summarise(&pr, &rp, m);
    free(keep);
done:
    free(buf);
    free(d2);
    free(da);
    return rc;
}

ms_status ms_seg_metrics_compute(const ms_volume *pred, const ms_volume *ref, int64_t label, ms_seg_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->label = label;
    int64_t lo[3], hi[3], cnt[3];
    int any = find_box(pred, ref, label, lo, hi, cnt);
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
    size_t nv;
    if (!ms_mul3_size((size_t)b.dim[0], (size_t)b.dim[1], (size_t)b.dim[2], &nv))
        return ms_fail(MS_ERR_NOMEM, "surface distances: volume too large");
    return surface_distances(pred, ref, label, &b, m);
}
