/* Every label of two label maps at once. One sweep lists each label's
 * voxels (in both maps) and box; a label is then scored either densely on
 * its box (masks, cube codes, distance transforms: the per-label path) or,
 * when its voxels are few and scattered over a large box, sparsely: only
 * the 2x2x2 cubes that touch its voxels are coded, and the surfel distances
 * are found by direct search. Both give the same numbers; the choice only
 * bounds the cost, so 65,535 scattered labels cost about one sweep. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/log.h"
#include "medseg/metrics.h"
#include "seg_internal.h"

typedef struct label_set {
    int64_t *sorted;          /* labels ascending */
    int *slot;                /* sorted[k] is labels[slot[k]] */
    int n;
} label_set;

static int find_slot(const label_set *ls, double v)
{
    int64_t x = (int64_t)v;
    int a = 0, b = ls->n - 1;
    while (a <= b) {
        int m = a + (b - a) / 2;
        if (ls->sorted[m] == x) return ls->slot[m];
        if (ls->sorted[m] < x) a = m + 1;
        else b = m - 1;
    }
    return -1;
}

static int cmp_pair(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static ms_status label_set_make(const int64_t *labels, int n, label_set *ls)
{
    int64_t (*pair)[2] = NULL;
    memset(ls, 0, sizeof *ls);
    ms_status rc = ms_alloc_array((void **)&pair, (size_t)n, sizeof *pair, 0, "labels");
    if (!rc) rc = ms_alloc_array((void **)&ls->sorted, (size_t)n, sizeof *ls->sorted, 0, "labels");
    if (!rc) rc = ms_alloc_array((void **)&ls->slot, (size_t)n, sizeof *ls->slot, 0, "labels");
    for (int k = 0; !rc && k < n; k++) pair[k][0] = labels[k], pair[k][1] = k;
    if (!rc) qsort(pair, (size_t)n, sizeof *pair, cmp_pair);
    for (int k = 0; !rc && k < n; k++) ls->sorted[k] = pair[k][0], ls->slot[k] = (int)pair[k][1];
    ls->n = n;
    free(pair);
    return rc;
}

/* Voxel indices of each label in one map, grouped (CSR). */
typedef struct voxel_lists {
    int64_t *start;           /* n + 1 */
    int64_t *idx;
} voxel_lists;

static int slot_of(const label_set *ls, double val)
{
    if (val == 0 || val != floor(val) || fabs(val) > 9e15) return -1;
    return find_slot(ls, val);
}

/* slots[i] := the label slot of voxel at + i (-1: none), for m voxels. */
static void slots_of(const ms_volume *v, const label_set *ls, size_t at, size_t m, int *slots)
{
    double buf[4096];
    ms_volume_read_f64(v, at, 1, m, buf);
    for (size_t i = 0; i < m; i++) slots[i] = slot_of(ls, buf[i]);
}

static ms_status list_voxels(const ms_volume *v, const label_set *ls, voxel_lists *out)
{
    size_t nv = ms_volume_nvox(v);
    int n = ls->n;
    memset(out, 0, sizeof *out);
    ms_status rc = ms_alloc_array((void **)&out->start, (size_t)n + 1, sizeof *out->start, 1, "label voxels");
    int slots[4096];
    for (size_t at = 0; !rc && at < nv; at += 4096) {
        size_t m = nv - at < 4096 ? nv - at : 4096;
        slots_of(v, ls, at, m, slots);
        for (size_t i = 0; i < m; i++)
            if (slots[i] >= 0) out->start[slots[i] + 1]++;
    }
    for (int k = 0; !rc && k < n; k++) out->start[k + 1] += out->start[k];
    if (!rc) rc = ms_alloc_array((void **)&out->idx, (size_t)(out->start[n] ? out->start[n] : 1), sizeof *out->idx, 0,
                                 "label voxels");
    int64_t *fill = NULL;
    if (!rc) rc = ms_alloc_array((void **)&fill, (size_t)n, sizeof *fill, 0, "label voxels");
    if (!rc) memcpy(fill, out->start, (size_t)n * sizeof *fill);
    for (size_t at = 0; !rc && at < nv; at += 4096) {
        size_t m = nv - at < 4096 ? nv - at : 4096;
        slots_of(v, ls, at, m, slots);
        for (size_t i = 0; i < m; i++)
            if (slots[i] >= 0) out->idx[fill[slots[i]]++] = (int64_t)(at + i);
    }
    free(fill);
    return rc;
}

static void lists_free(voxel_lists *l)
{
    free(l->start);
    free(l->idx);
}

/* ---- the dense path: masks over the label's box ---- */

static void box_of(const ms_volume *v, const int64_t *a, int64_t na, const int64_t *b, int64_t nb, int64_t lo[3],
                   int64_t hi[3])
{
    lo[0] = lo[1] = lo[2] = INT64_MAX;
    hi[0] = hi[1] = hi[2] = -1;
    for (int side = 0; side < 2; side++) {
        const int64_t *p = side ? b : a;
        int64_t n = side ? nb : na;
        for (int64_t i = 0; i < n; i++) {
            int64_t c[3] = {p[i] % v->dim[0], p[i] / v->dim[0] % v->dim[1], p[i] / (v->dim[0] * v->dim[1])};
            for (int d = 0; d < 3; d++) {
                if (c[d] < lo[d]) lo[d] = c[d];
                if (c[d] > hi[d]) hi[d] = c[d];
            }
        }
    }
}

static void mark(const ms_volume *v, const int64_t *p, int64_t n, const int64_t lo[3], const int64_t dim[3], uint8_t *m)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t x = p[i] % v->dim[0] - lo[0], y = p[i] / v->dim[0] % v->dim[1] - lo[1],
                z = p[i] / (v->dim[0] * v->dim[1]) - lo[2];
        m[(z * dim[1] + y) * dim[0] + x] = 1;
    }
}

static ms_status score_dense(const ms_volume *pred, const int64_t *a, int64_t na, const int64_t *b, int64_t nb,
                             const int64_t lo[3], const int64_t hi[3], ms_seg_metrics *m)
{
    ms_volume crop = *pred;
    for (int d = 0; d < 3; d++) crop.dim[d] = hi[d] - lo[d] + 1;
    size_t n = (size_t)(crop.dim[0] * crop.dim[1] * crop.dim[2]);
    uint8_t *pm = NULL, *rm = NULL;
    ms_status rc = ms_alloc_array((void **)&pm, n, 1, 1, "label mask");
    if (!rc) rc = ms_alloc_array((void **)&rm, n, 1, 1, "label mask");
    if (!rc) {
        mark(pred, a, na, lo, crop.dim, pm);
        mark(pred, b, nb, lo, crop.dim, rm);
        rc = seg_metrics_from_masks(&crop, pm, rm, m);
    }
    free(pm);
    free(rm);
    return rc;
}

/* ---- the sparse path: cubes touching the voxels, direct search ---- */

typedef struct surfels {
    double (*c)[3];           /* cube centres, mm (grid units times spacing) */
    double *area, *d;
    int64_t n;
} surfels;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Cube (cx, cy, cz) has corners cx..cx+1 (etc.), cx from -1: key shifted by 1. */
static int64_t cube_key(const int64_t cd[3], int64_t x, int64_t y, int64_t z)
{
    return ((z + 1) * cd[1] + y + 1) * cd[0] + x + 1;
}

static int inside(const ms_volume *v, const int64_t *sorted, int64_t n, int64_t x, int64_t y, int64_t z)
{
    if (x < 0 || y < 0 || z < 0 || x >= v->dim[0] || y >= v->dim[1] || z >= v->dim[2]) return 0;
    int64_t key = (z * v->dim[1] + y) * v->dim[0] + x;
    return bsearch(&key, sorted, (size_t)n, sizeof key, cmp_i64) != NULL;
}

static ms_status make_surfels(const ms_volume *v, const int64_t *vox, int64_t n, const double area[256], surfels *s)
{
    const int64_t cd[3] = {v->dim[0] + 1, v->dim[1] + 1, v->dim[2] + 1};
    int64_t *keys = NULL;
    memset(s, 0, sizeof *s);
    ms_status rc = ms_alloc_array((void **)&keys, (size_t)(8 * n + 1), sizeof *keys, 0, "surfels");
    int64_t nk = 0;
    for (int64_t i = 0; !rc && i < n; i++) {
        int64_t x = vox[i] % v->dim[0], y = vox[i] / v->dim[0] % v->dim[1], z = vox[i] / (v->dim[0] * v->dim[1]);
        for (int c = 0; c < 8; c++) keys[nk++] = cube_key(cd, x - (c & 1), y - (c >> 1 & 1), z - (c >> 2 & 1));
    }
    if (!rc) qsort(keys, (size_t)nk, sizeof *keys, cmp_i64);
    if (!rc) rc = ms_alloc_array((void **)&s->c, (size_t)(nk ? nk : 1), sizeof *s->c, 0, "surfels");
    if (!rc) rc = ms_alloc_array((void **)&s->area, (size_t)(nk ? nk : 1), 2 * sizeof *s->area, 0, "surfels");
    for (int64_t i = 0; !rc && i < nk; i++) {
        if (i && keys[i] == keys[i - 1]) continue;
        int64_t cx = keys[i] % cd[0] - 1, cy = keys[i] / cd[0] % cd[1] - 1, cz = keys[i] / (cd[0] * cd[1]) - 1;
        int code = 0;
        for (int c = 0; c < 8; c++) code |= inside(v, vox, n, cx + (c & 1), cy + (c >> 1 & 1), cz + (c >> 2 & 1)) << c;
        if (code == 0 || code == 255) continue;
        s->c[s->n][0] = (double)cx * v->spacing[0];
        s->c[s->n][1] = (double)cy * v->spacing[1];
        s->c[s->n][2] = (double)cz * v->spacing[2];
        s->area[s->n++] = area[code];
    }
    if (!rc) s->d = s->area + (nk ? nk : 1);
    free(keys);
    return rc;
}

static void nearest(surfels *from, const surfels *to)
{
    for (int64_t i = 0; i < from->n; i++) {
        double best = INFINITY;
        for (int64_t j = 0; j < to->n; j++) {
            double dx = from->c[i][0] - to->c[j][0], dy = from->c[i][1] - to->c[j][1], dz = from->c[i][2] - to->c[j][2];
            double d2 = dx * dx + dy * dy + dz * dz;
            if (d2 < best) best = d2;
        }
        from->d[i] = sqrt(best);
    }
}

static int64_t overlap(const int64_t *a, int64_t na, const int64_t *b, int64_t nb)
{
    int64_t i = 0, j = 0, both = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) both++, i++, j++;
        else if (a[i] < b[j]) i++;
        else j++;
    }
    return both;
}

static ms_status score_sparse(const ms_volume *pred, const int64_t *a, int64_t na, const int64_t *b, int64_t nb,
                              ms_seg_metrics *m)
{
    double ml = pred->spacing[0] * pred->spacing[1] * pred->spacing[2] / 1000.0, area[256];
    m->n_pred = na;
    m->n_ref = nb;
    m->n_both = overlap(a, na, b, nb);
    m->vol_pred_ml = (double)na * ml;
    m->vol_ref_ml = (double)nb * ml;
    m->dice = 2.0 * (double)m->n_both / (double)(na + nb);
    m->jaccard = (double)m->n_both / (double)(na + nb - m->n_both);
    ms_surfel_areas(pred->spacing, area);
    surfels p, r;
    ms_status rc = make_surfels(pred, a, na, area, &p);
    if (!rc) rc = make_surfels(pred, b, nb, area, &r);
    if (!rc) {
        nearest(&p, &r);
        nearest(&r, &p);
        seg_summarise(p.d, p.area, p.n, r.d, r.area, r.n, m);
    }
    free(p.c);
    free(p.area);
    free(r.c);
    free(r.area);
    return rc;
}

/* Direct search costs about (8 na)(8 nb) distance evaluations, the dense
 * path a few passes over the box: take the cheaper. */
static int sparse_is_cheaper(int64_t na, int64_t nb, const int64_t lo[3], const int64_t hi[3])
{
    double box = (double)(hi[0] - lo[0] + 3) * (double)(hi[1] - lo[1] + 3) * (double)(hi[2] - lo[2] + 3);
    return 64.0 * (double)na * (double)nb < 20.0 * box;
}

static ms_status score_one(const ms_volume *pred, int64_t label, const int64_t *a, int64_t na, const int64_t *b,
                           int64_t nb, ms_seg_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->label = label;
    if (!na && !nb) return seg_metrics_from_masks(pred, NULL, NULL, m);
    int64_t lo[3], hi[3];
    box_of(pred, a, na, b, nb, lo, hi);
    return na && nb && sparse_is_cheaper(na, nb, lo, hi) ? score_sparse(pred, a, na, b, nb, m)
                                                         : score_dense(pred, a, na, b, nb, lo, hi, m);
}

ms_status ms_seg_metrics_all(const ms_volume *pred, const ms_volume *ref, const int64_t *labels, int n,
                             ms_seg_metrics *out)
{
    label_set ls;
    voxel_lists p = {0}, r = {0};
    ms_status rc = label_set_make(labels, n, &ls);
    if (!rc) rc = list_voxels(pred, &ls, &p);
    if (!rc) rc = list_voxels(ref, &ls, &r);
    for (int k = 0; !rc && k < n; k++)
        rc = score_one(pred, labels[k], p.idx + p.start[k], p.start[k + 1] - p.start[k], r.idx + r.start[k],
                       r.start[k + 1] - r.start[k], &out[k]);
    lists_free(&p);
    lists_free(&r);
    free(ls.sorted);
    free(ls.slot);
    return rc;
}
