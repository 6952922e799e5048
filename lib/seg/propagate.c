/* Propagation: from each key slice, segment the next slice prompted by the
 * previous slice's result (its box enlarged by 10% and its mask as a
 * prior), until the structure vanishes or a limit is reached. Passes that
 * meet between two key slices are intersected. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/components.h"
#include "medseg/log.h"
#include "medseg/metrics.h"
#include "medseg/seg.h"

#define STEP_ENLARGE 0.10
/* A slice may reach at most REACH_MM beyond the previous slice's mask, or
 * REACH_GAPS slice gaps when that is larger: a boundary sloping more than
 * about 56 degrees between slices is more likely a leak than anatomy. Of
 * 1, 1.5 gaps and 2, 3, 4 mm, 1.5 gaps gave the best median Dice on the
 * organ bench (tests/bench/propagate_organs.py). */
#define REACH_MM 2.0
#define REACH_GAPS 1.5
/* Growth past this factor of the previous area is cut back to 1 mm. */
#define AREA_JUMP 1.3
/* Stopping rule (stop_reason): regrowth past REGROWTH times the smallest
 * section after tapering below TAPER of the largest. Tapering to a quarter
 * and regrowing by half ended the spleen's leak on the organ bench and
 * left the tubes (aorta, whose sections stay within a factor 2) alone. */
#define TAPER 0.25
#define REGROWTH 1.5
/* Parts of the key mask with intensity models of their own (the rest share
 * the whole mask's). */
#define MAX_PARTS 16

typedef struct prop_ctx {
    const ms_volume *img;
    const ms_propagate_opts *o;
    ms_volume *count;       /* passes that found each voxel */
    uint8_t *cover;         /* passes that covered each slice */
    uint8_t *allowed;       /* scratch: where the next slice's mask may lie */
    int64_t win[4];         /* the step's window (reach_maps) */
    double *d2;             /* scratch: squared mm to the previous slice's mask, in the window */
    uint8_t *win_mask;      /* scratch: the previous mask, in the window */
    int32_t *win_parts, *win_near;
    int32_t *key_parts;     /* the pass's key mask, its 8-connected parts */
    int32_t *prev_parts;    /* the previous mask, each pixel's key part */
    int32_t *part_of;       /* the next slice, each pixel's nearest key part */
    int64_t nparts;
    int64_t w, h, done, total;
    int64_t lo, hi;         /* the slice range */
    ms_propagate_pass *passes;
    int za;                 /* the axis slices are stacked along */
} prop_ctx;

/* allowed = the previous mask grown by r mm (in-plane Euclidean), from the
 * step's one distance transform of the window in c->d2; 0 outside it. */
static void within(const prop_ctx *c, double r, uint8_t *allowed)
{
    const int64_t *b = c->win, ww = b[2] - b[0] + 1;
    memset(allowed, 0, (size_t)(c->w * c->h));
    for (int64_t y = b[1]; y <= b[3]; y++)
        for (int64_t x = b[0]; x <= b[2]; x++) allowed[y * c->w + x] = c->d2[(y - b[1]) * ww + x - b[0]] <= r * r;
}

/* The window a step works in: the previous mask's box grown by the step's
 * box margin and by the reach, so all it may reach lies inside. Distances
 * and nearest parts are computed there only (a 512x512 slice otherwise
 * costs more than the cut). */
static ms_status reach_maps(prop_ctx *c, const ms_slice *s, const uint8_t *prev_mask, const int64_t bbox[4],
                            double reach)
{
    int64_t *b = c->win;
    memcpy(b, bbox, sizeof c->win);
    ms_box_enlarge(b, STEP_ENLARGE, (int64_t)ceil(reach / fmin(s->sx, s->sy)) + 1, c->w, c->h);
    int64_t ww = b[2] - b[0] + 1, wh = b[3] - b[1] + 1;
    for (int64_t y = 0; y < wh; y++)
        for (int64_t x = 0; x < ww; x++) {
            int64_t i = (y + b[1]) * c->w + x + b[0];
            c->win_mask[y * ww + x] = prev_mask[i];
            c->win_parts[y * ww + x] = c->prev_parts[i];
        }
    int64_t dim[3] = {ww, wh, 1};
    double sp[3] = {s->sx, s->sy, 1};
    ms_status rc = ms_edt_squared(c->win_mask, dim, sp, NULL, c->d2);
    if (!rc) rc = ms_mask2d_nearest_label(c->win_parts, ww, wh, c->win_near);
    if (rc) return rc;
    within(c, reach, c->allowed);
    memset(c->part_of, 0, (size_t)(c->w * c->h) * sizeof *c->part_of);
    for (int64_t y = 0; y < wh; y++)
        memcpy(c->part_of + (y + b[1]) * c->w + b[0], c->win_near + y * ww, (size_t)ww * sizeof *c->part_of);
    return MS_OK;
}

static ms_status segment_step(prop_ctx *c, const ms_slice *prev, const uint8_t *prev_mask, const ms_slice *key,
                              const uint8_t *key_mask, const ms_slice *s, uint8_t *m)
{
    ms_prompt p;
    memset(&p, 0, sizeof p);
    p.has_box = 1;
    int64_t bbox[4];
    ms_mask2d_box(prev_mask, c->w, c->h, bbox);
    memcpy(p.box, bbox, sizeof bbox);
    ms_box_enlarge(p.box, STEP_ENLARGE, 1, c->w, c->h);
    ms_status rc = reach_maps(c, s, prev_mask, bbox, fmax(REACH_MM, REACH_GAPS * c->img->spacing[c->za]));
    ms_seg_prior prior = {prev, prev_mask, key, key_mask, c->allowed, c->key_parts, c->part_of, c->nparts};
    ms_seg2d_fn seg = c->o->seg ? c->o->seg : ms_graphcut_segment;
    if (!rc) rc = seg(c->o->seg_ctx, s, &p, &prior, m);
    int64_t before = ms_mask2d_count(prev_mask, c->w, c->h);
    if (!rc && (double)ms_mask2d_count(m, c->w, c->h) > AREA_JUMP * (double)before) {
        within(c, fmax(s->sx, 1.0), c->allowed);
        for (int64_t i = 0; i < c->w * c->h; i++) m[i] = m[i] && c->allowed[i];
    }
    return rc;
}

/* Why a pass stops at slice k: the area it found there, against the
 * largest and smallest areas of the pass so far. A structure that has
 * tapered to a quarter of its largest section and then widens by half
 * again has slid into a neighbour (the spleen's tip into the body wall). */
static const char *stop_reason(double area, double peak, double low)
{
    if (area == 0) return "vanished";
    if (low < TAPER * peak && area > REGROWTH * low) return "regrowth";
    return NULL;
}

static ms_status pass_loop(prop_ctx *c, ms_propagate_pass *ps, const uint8_t *key, uint8_t *pm, uint8_t *m,
                           ms_slice *prev, const ms_slice *ks)
{
    size_t n = (size_t)(c->w * c->h);
    ms_status rc = MS_OK;
    double peak = (double)ms_mask2d_count(key, c->w, c->h), low = peak;
    ms_slice cur;
    for (int64_t k = ps->key + ps->dir; !rc && (ps->dir > 0 ? k <= ps->limit : k >= ps->limit); k += ps->dir) {
        c->cover[k]++;
        ms_progress("propagate", (double)++c->done / (double)c->total);
        if (ps->stop_reason) continue;
        if ((rc = ms_slice_get(c->img, c->o->axis, k, &cur))) break;
        rc = segment_step(c, prev, pm, ks, key, &cur, m);
        ms_slice_free(prev);
        *prev = cur;
        double area = (double)ms_mask2d_count(m, c->w, c->h);
        if (rc || (ps->stop_reason = stop_reason(area, peak, low))) {
            ps->stop = k;
            continue;
        }
        /* low is the smallest section since the largest: growing from a
         * small key section is not regrowth. */
        if (area > peak) peak = low = area;
        low = fmin(low, area);
        ms_slice_add(c->count, c->o->axis, k, m);
        memcpy(pm, m, n);
        for (size_t i = 0; i < n; i++) c->prev_parts[i] = m[i] ? c->part_of[i] : 0;
        ps->last = k;
    }
    return rc;
}

/* Only the MAX_PARTS largest parts of the key mask get models of their
 * own; the others share one label past them, which the segmenter judges by
 * the whole mask (a speckled key mask must not cost a histogram a speck). */
static ms_status keep_largest_parts(prop_ctx *c)
{
    if (c->nparts <= MAX_PARTS) return MS_OK;
    int64_t n = c->w * c->h, *size = NULL, *rank = NULL;
    ms_status rc = ms_alloc_array((void **)&size, (size_t)c->nparts + 1, sizeof *size, 1, "propagate");
    if (!rc) rc = ms_alloc_array((void **)&rank, (size_t)c->nparts + 1, sizeof *rank, 1, "propagate");
    for (int64_t i = 0; !rc && i < n; i++) size[c->key_parts[i]]++;
    /* rank[l]: 1..MAX_PARTS for the largest (ties: lower label), else the shared label. */
    for (int64_t r = 1; !rc && r <= MAX_PARTS; r++) {
        int64_t best = 0;
        for (int64_t l = 1; l <= c->nparts; l++)
            if (!rank[l] && (!best || size[l] > size[best])) best = l;
        rank[best] = r;
    }
    for (int64_t i = 0; !rc && i < n; i++)
        if (c->key_parts[i]) c->key_parts[i] = (int32_t)(rank[c->key_parts[i]] ? rank[c->key_parts[i]] : MAX_PARTS + 1);
    if (!rc) c->nparts = MAX_PARTS;
    free(size);
    free(rank);
    return rc;
}

/* One pass from key slice ps->key (mask key) toward ps->limit. */
static ms_status run_pass(prop_ctx *c, ms_propagate_pass *ps, const uint8_t *key)
{
    size_t n = (size_t)(c->w * c->h);
    ms_slice prev, ks;
    uint8_t *pm = malloc(n), *m = malloc(n);
    ms_status rc = pm && m ? ms_slice_get(c->img, c->o->axis, ps->key, &prev) : ms_fail(MS_ERR_NOMEM, "propagate");
    if (!rc && (rc = ms_slice_get(c->img, c->o->axis, ps->key, &ks))) ms_slice_free(&prev);
    if (rc) { free(pm); free(m); return rc; }
    memcpy(pm, key, n);
    rc = ms_mask2d_label(key, c->w, c->h, c->key_parts, &c->nparts);
    if (!rc) rc = keep_largest_parts(c);
    if (!rc) memcpy(c->prev_parts, c->key_parts, n * sizeof *c->prev_parts);
    ps->last = ps->key;
    if (!rc) rc = pass_loop(c, ps, key, pm, m, &prev, &ks);
    if (!rc && !ps->stop_reason) {
        ps->stop_reason = ps->limit == c->lo || ps->limit == c->hi ? "range" : "key-slice";
        ps->stop = ps->limit;
    }
    if (ps->stop_reason)
        ms_debug("propagate: pass from slice %lld ends at %lld (%s)", (long long)ps->key, (long long)ps->stop,
                 ps->stop_reason);
    ms_slice_free(&prev);
    ms_slice_free(&ks);
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

static ms_status stats(prop_ctx *c, int nk, ms_propagate_stats *st)
{
    int xa, ya, za;
    ms_axis_map(c->o->axis, &xa, &ya, &za);
    int64_t stride[3] = {1, c->img->dim[0], c->img->dim[0] * c->img->dim[1]};
    const uint8_t *d = c->count->data;
    size_t nv = ms_volume_nvox(c->count);
    st->nslices = c->img->dim[za];
    ms_status rc = ms_alloc_array((void **)&st->area, (size_t)st->nslices, sizeof *st->area, 1, "propagate");
    if (rc) return rc;
    st->voxels = st->both = st->single = 0;
    st->first = st->last = -1;
    for (size_t i = 0; i < nv; i++) {
        if (!d[i]) continue;
        int64_t k = ((int64_t)i / stride[za]) % c->img->dim[za];
        st->voxels++;
        st->area[k]++;
        st->both += d[i] == 1;
        st->single += d[i] == 2;
        if (st->first < 0 || k < st->first) st->first = k;
        if (k > st->last) st->last = k;
    }
    st->nkeys = nk;
    st->npasses = 2 * nk;
    st->passes = c->passes;
    c->passes = NULL;
    return MS_OK;
}

void ms_propagate_stats_free(ms_propagate_stats *st)
{
    free(st->area);
    free(st->passes);
    st->area = NULL;
    st->passes = NULL;
}

static ms_status alloc_scratch(prop_ctx *c)
{
    size_t n = (size_t)(c->w * c->h);
    ms_status rc = ms_alloc_array((void **)&c->key_parts, n, sizeof *c->key_parts, 0, "propagate");
    if (!rc) rc = ms_alloc_array((void **)&c->prev_parts, n, sizeof *c->prev_parts, 0, "propagate");
    if (!rc) rc = ms_alloc_array((void **)&c->part_of, n, sizeof *c->part_of, 0, "propagate");
    if (!rc) rc = ms_alloc_array((void **)&c->win_mask, n, 1, 0, "propagate");
    if (!rc) rc = ms_alloc_array((void **)&c->win_parts, n, sizeof *c->win_parts, 0, "propagate");
    if (!rc) rc = ms_alloc_array((void **)&c->win_near, n, sizeof *c->win_near, 0, "propagate");
    return rc;
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
        ms_propagate_pass *down = &c->passes[2 * q], *up = down + 1;
        *down = (ms_propagate_pass){ks[q], q > 0 ? ks[q - 1] + 1 : lo, ks[q], ks[q], -1, NULL};
        *up = (ms_propagate_pass){ks[q], q < nk - 1 ? ks[q + 1] - 1 : hi, ks[q], ks[q], +1, NULL};
        rc = run_pass(c, down, m);
        if (!rc) rc = run_pass(c, up, m);
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
    prop_ctx c = {.img = img, .o = o, .count = out, .w = img->dim[xa], .h = img->dim[ya], .za = za, .lo = lo, .hi = hi};
    memset(st, 0, sizeof *st);
    int64_t *ks = NULL;
    int nk = 0;
    ms_status rc = ms_volume_like(out, img, MS_U8);
    if (rc) return rc;
    c.cover = calloc((size_t)img->dim[za], 1);
    c.allowed = malloc((size_t)(c.w * c.h));
    c.d2 = malloc((size_t)(c.w * c.h) * sizeof *c.d2);
    if (!rc) rc = alloc_scratch(&c);
    if (!c.cover || !c.allowed || !c.d2) rc = ms_fail(MS_ERR_NOMEM, "propagate: out of memory");
    if (!rc) rc = find_keys(&c, keys, lo, hi, &ks, &nk);
    if (!rc) rc = ms_alloc_array((void **)&c.passes, 2 * (size_t)nk, sizeof *c.passes, 1, "propagate");
    if (!rc) rc = run_all(&c, keys, ks, nk, lo, hi);
    if (!rc) finish_labels(&c);
    if (!rc && o->lcc) rc = keep_largest(out, o->device);
    if (!rc) rc = stats(&c, nk, st);
    if (!rc) st->seconds = ms_now() - t0;
    else ms_volume_free(out);
    free(ks);
    free(c.passes);
    free(c.cover);
    free(c.allowed);
    free(c.d2);
    free(c.key_parts);
    free(c.prev_parts);
    free(c.part_of);
    free(c.win_mask);
    free(c.win_parts);
    free(c.win_near);
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
