/* Propagation: from each key slice, segment the next slice prompted by the
 * previous slice's result (its box enlarged by 10% and its mask as a
 * prior), until the structure vanishes or a limit is reached. Passes that
 * meet between two key slices are intersected. */
#include <stdlib.h>
#include <string.h>

#include "medseg/components.h"
#include "medseg/log.h"
#include "medseg/seg.h"

#define STEP_ENLARGE 0.10

typedef struct prop_ctx {
    const ms_volume *img;
    const ms_propagate_opts *o;
    ms_volume *count;       /* passes that found each voxel */
    uint8_t *cover;         /* passes that covered each slice */
    int64_t w, h, done, total;
} prop_ctx;

static ms_status segment_step(prop_ctx *c, const ms_slice *prev, const uint8_t *prev_mask, const ms_slice *s,
                              uint8_t *m)
{
    ms_prompt p;
    memset(&p, 0, sizeof p);
    p.has_box = 1;
    ms_mask2d_box(prev_mask, c->w, c->h, p.box);
    ms_box_enlarge(p.box, STEP_ENLARGE, 1, c->w, c->h);
    ms_seg_prior prior = {prev, prev_mask};
    ms_seg2d_fn seg = c->o->seg ? c->o->seg : ms_graphcut_segment;
    return seg(c->o->seg_ctx, s, &p, &prior, m);
}

/* One pass from key slice k0 (mask key) in direction dir up to `limit`. */
static ms_status run_pass(prop_ctx *c, int64_t k0, const uint8_t *key, int dir, int64_t limit)
{
    size_t n = (size_t)(c->w * c->h);
    ms_slice prev, cur;
    uint8_t *pm = malloc(n), *m = malloc(n);
    ms_status rc = pm && m ? ms_slice_get(c->img, c->o->axis, k0, &prev) : ms_fail(MS_ERR_NOMEM, "propagate");
    if (rc) { free(pm); free(m); return rc; }
    memcpy(pm, key, n);
    int alive = 1;
    for (int64_t k = k0 + dir; !rc && (dir > 0 ? k <= limit : k >= limit); k += dir) {
        c->cover[k]++;
        ms_progress("propagate", (double)++c->done / (double)c->total);
        if (!alive) continue;
        if ((rc = ms_slice_get(c->img, c->o->axis, k, &cur))) break;
        rc = segment_step(c, &prev, pm, &cur, m);
        ms_slice_free(&prev);
        prev = cur;
        if (rc) break;
        if (ms_mask2d_count(m, c->w, c->h) == 0) {
            ms_debug("propagate: pass from slice %lld ends at %lld (vanished)", (long long)k0, (long long)k);
            alive = 0;
            continue;
        }
        ms_slice_add(c->count, c->o->axis, k, m);
        memcpy(pm, m, n);
    }
    ms_slice_free(&prev);
    free(pm);
    free(m);
    return rc;
}

/* Turns pass counts into labels: 1 found by every covering pass, 2 by some. */
static void finish_labels(prop_ctx *c)
{
    int xa, ya, za;
    ms_axis_map(c->o->axis, &xa, &ya, &za);
    int64_t stride[3] = {1, c->img->dim[0], c->img->dim[0] * c->img->dim[1]};
    uint8_t *d = c->count->data;
    size_t nv = ms_volume_nvox(c->count);
    for (size_t i = 0; i < nv; i++) {
        if (!d[i]) continue;
        int64_t k = ((int64_t)i / stride[za]) % c->img->dim[za];
        d[i] = d[i] >= c->cover[k] ? 1 : 2;
    }
}

static ms_status keep_largest(ms_volume *lab, ms_device dev)
{
    ms_volume fg;
    ms_status rc = ms_volume_like(&fg, lab, MS_U8);
    if (rc) return rc;
    size_t nv = ms_volume_nvox(lab);
    uint8_t *l = lab->data, *f = fg.data;
    for (size_t i = 0; i < nv; i++) f[i] = l[i] != 0;
    rc = ms_keep_largest_component(&fg, 26, dev, NULL);
    for (size_t i = 0; !rc && i < nv; i++)
        if (!f[i]) l[i] = 0;
    ms_volume_free(&fg);
    return rc;
}

static void stats(const prop_ctx *c, ms_propagate_stats *st)
{
    int xa, ya, za;
    ms_axis_map(c->o->axis, &xa, &ya, &za);
    int64_t stride[3] = {1, c->img->dim[0], c->img->dim[0] * c->img->dim[1]};
    const uint8_t *d = c->count->data;
    size_t nv = ms_volume_nvox(c->count);
    st->voxels = st->both = st->single = 0;
    st->first = st->last = -1;
    for (size_t i = 0; i < nv; i++) {
        if (!d[i]) continue;
        int64_t k = ((int64_t)i / stride[za]) % c->img->dim[za];
        st->voxels++;
        st->both += d[i] == 1;
        st->single += d[i] == 2;
        if (st->first < 0 || k < st->first) st->first = k;
        if (k > st->last) st->last = k;
    }
}

static ms_status find_keys(prop_ctx *c, const ms_volume *keys, int64_t lo, int64_t hi, int64_t **ks, int *nk)
{
    size_t n = (size_t)(c->w * c->h);
    uint8_t *m = malloc(n);
    int64_t *list = malloc((size_t)(hi - lo + 1) * sizeof *list);
    if (!m || !list) { free(m); free(list); return ms_fail(MS_ERR_NOMEM, "propagate: out of memory"); }
    *nk = 0;
    for (int64_t k = lo; k <= hi; k++) {
        ms_slice_mask(keys, c->o->axis, k, m);
        if (ms_mask2d_count(m, c->w, c->h)) list[(*nk)++] = k;
    }
    free(m);
    *ks = list;
    if (*nk == 0) {
        free(list);
        *ks = NULL;
        return ms_fail(MS_ERR_INPUT, "the key mask is empty within slices %lld..%lld", (long long)lo, (long long)hi);
    }
    return MS_OK;
}

static ms_status run_all(prop_ctx *c, const ms_volume *keys, const int64_t *ks, int nk, int64_t lo, int64_t hi)
{
    size_t n = (size_t)(c->w * c->h);
    uint8_t *m = malloc(n);
    if (!m) return ms_fail(MS_ERR_NOMEM, "propagate: out of memory");
    c->total = hi - lo + 1 - nk;
    if (nk > 1) c->total += ks[nk - 1] - ks[0] - 1 - (nk - 2);
    ms_status rc = MS_OK;
    for (int q = 0; q < nk && !rc; q++) {
        ms_slice_mask(keys, c->o->axis, ks[q], m);
        ms_slice_add(c->count, c->o->axis, ks[q], m);
        c->cover[ks[q]]++;
        rc = run_pass(c, ks[q], m, -1, q > 0 ? ks[q - 1] + 1 : lo);
        if (!rc) rc = run_pass(c, ks[q], m, +1, q < nk - 1 ? ks[q + 1] - 1 : hi);
    }
    free(m);
    return rc;
}

ms_status ms_propagate(const ms_volume *img, const ms_volume *keys, const ms_propagate_opts *o, ms_volume *out,
                       ms_propagate_stats *st)
{
    double t0 = ms_now();
    int xa, ya, za;
    ms_axis_map(o->axis, &xa, &ya, &za);
    for (int a = 0; a < 3; a++)
        if (keys->dim[a] != img->dim[a])
            return ms_fail(MS_ERR_INPUT, "the key mask is %lldx%lldx%lld but the image %lldx%lldx%lld",
                           (long long)keys->dim[0], (long long)keys->dim[1], (long long)keys->dim[2],
                           (long long)img->dim[0], (long long)img->dim[1], (long long)img->dim[2]);
    int64_t lo = o->lo < 0 ? 0 : o->lo, hi = o->hi < 0 || o->hi >= img->dim[za] ? img->dim[za] - 1 : o->hi;
    if (lo > hi) return ms_fail(MS_ERR_INPUT, "the slice range %lld:%lld is empty", (long long)lo, (long long)hi);
    prop_ctx c = {img, o, out, NULL, img->dim[xa], img->dim[ya], 0, 0};
    int64_t *ks = NULL;
    int nk = 0;
    ms_status rc = ms_volume_like(out, img, MS_U8);
    if (rc) return rc;
    if (!(c.cover = calloc((size_t)img->dim[za], 1))) rc = ms_fail(MS_ERR_NOMEM, "propagate: out of memory");
    if (!rc) rc = find_keys(&c, keys, lo, hi, &ks, &nk);
    if (!rc) rc = run_all(&c, keys, ks, nk, lo, hi);
    if (!rc) finish_labels(&c);
    if (!rc && o->lcc) rc = keep_largest(out, o->device);
    if (!rc) {
        stats(&c, st);
        st->nkeys = nk;
        st->seconds = ms_now() - t0;
    } else {
        ms_volume_free(out);
    }
    free(ks);
    free(c.cover);
    return rc;
}

static int by_slice(const void *a, const void *b)
{
    double x = (*(const double (*)[4])a)[3], y = (*(const double (*)[4])b)[3];
    return x < y ? -1 : x > y;
}

/* Segments slice k inside the box of the points whose slice is za or zb. */
static ms_status key_from_pair(const ms_volume *img, double (*pts)[4], int n, double za, double zb, ms_axis a,
                               ms_seg2d_fn seg, void *ctx, ms_volume *keys)
{
    ms_prompt p;
    memset(&p, 0, sizeof p);
    p.has_box = 1;
    p.box[0] = p.box[1] = INT64_MAX;
    p.box[2] = p.box[3] = -1;
    for (int i = 0; i < n; i++) {
        if (pts[i][3] != za && pts[i][3] != zb) continue;
        int64_t x = (int64_t)pts[i][0], y = (int64_t)pts[i][1];
        p.box[0] = x < p.box[0] ? x : p.box[0];
        p.box[1] = y < p.box[1] ? y : p.box[1];
        p.box[2] = x > p.box[2] ? x : p.box[2];
        p.box[3] = y > p.box[3] ? y : p.box[3];
    }
    int64_t k = (int64_t)((za + zb) / 2);
    ms_slice s;
    ms_status rc = ms_slice_get(img, a, k, &s);
    if (rc) return rc;
    ms_box_enlarge(p.box, STEP_ENLARGE, 2, s.w, s.h);
    uint8_t *m = malloc((size_t)(s.w * s.h));
    rc = m ? seg(ctx, &s, &p, NULL, m) : ms_fail(MS_ERR_NOMEM, "propagate: out of memory");
    if (!rc && ms_mask2d_count(m, s.w, s.h) == 0)
        rc = ms_fail(MS_ERR_INPUT, "nothing found in the box %lld,%lld,%lld,%lld on key slice %lld", (long long)p.box[0],
                     (long long)p.box[1], (long long)p.box[2], (long long)p.box[3], (long long)k);
    if (!rc) ms_slice_put(keys, a, k, m, 1);
    free(m);
    ms_slice_free(&s);
    return rc;
}

ms_status ms_points_to_keys(const ms_volume *img, const ms_points3 *pts, ms_axis a, ms_seg2d_fn seg, void *ctx,
                            ms_volume *keys, int64_t *lo, int64_t *hi)
{
    int xa, ya, za;
    ms_axis_map(a, &xa, &ya, &za);
    if (!seg) seg = ms_graphcut_segment;
    double (*q)[4] = malloc((size_t)pts->n * sizeof *q);
    if (!q) return ms_fail(MS_ERR_NOMEM, "propagate: out of memory");
    for (int i = 0; i < pts->n; i++) {
        q[i][0] = pts->p[i][xa];
        q[i][1] = pts->p[i][ya];
        q[i][3] = pts->p[i][za];
    }
    qsort(q, (size_t)pts->n, sizeof *q, by_slice);
    ms_status rc = ms_volume_like(keys, img, MS_U8);
    int pairs = 0;
    for (int i = 0; !rc && i + 1 < pts->n; i++) {
        if (q[i + 1][3] == q[i][3]) continue;
        rc = key_from_pair(img, q, pts->n, q[i][3], q[i + 1][3], a, seg, ctx, keys);
        pairs++;
    }
    if (!rc && pairs == 0) {
        if (pts->n < 2) rc = ms_fail(MS_ERR_INPUT, "one point cannot make a box: give points on two or more slices");
        else rc = key_from_pair(img, q, pts->n, q[0][3], q[0][3], a, seg, ctx, keys);
    }
    *lo = (int64_t)q[0][3];
    *hi = (int64_t)q[pts->n - 1][3];
    free(q);
    if (rc) ms_volume_free(keys);
    return rc;
}
