/* The embedded interactive segmenter: an iterated graph cut in the manner
 * of GrabCut (Rother et al. 2004), with intensity histograms in place of
 * colour mixtures because CT and MR slices are scalar.
 *
 * Pixels outside the box are background. Inside it each pixel pays
 * -log P(intensity | class) for its label, the foreground histogram learnt
 * from the box (or, when propagating, fixed: from the key slice's mask, a
 * histogram for each of its parts) and the background one from a ring
 * around the box; neighbours (8-connected)
 * pay lambda * exp(-beta * dI^2) / distance for taking different labels,
 * so the cut follows edges. Points are hard constraints. The minimum cut
 * is exact (integer max-flow); the histograms not fixed are refitted to the
 * cut a few times, then holes are filled and the largest component kept (when
 * propagating, the components that touch the previous slice's mask). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/seg.h"
#include "seg_internal.h"

#define NBINS 64
#define COST_SCALE 64.0     /* nats -> integer capacities */
/* Smoothness weight: of 1, 2 and 4, 2 gave the best Dice on the LIDC crops
 * (1 was close, 4 over-smoothed small nodules); tests/bench/segment_methods.py. */
#define LAMBDA 2.0
#define PRIOR_NATS 1.0      /* pull toward the previous slice's mask */
#define ITERATIONS 5
/* Box shape prior: of 1 and 2 nats and radii^2 0.6..1, 1 nat beyond 0.6
 * lifted the organ boxes of tests/bench/propagate_organs.py (kidneys from
 * nothing to 0.8 2-D Dice) and kept the LIDC crops' median. */
#define SHAPE_NATS 1.0
#define SHAPE_R2 0.6

typedef struct hist {
    double count[NBINS];
    double n;
} hist;

typedef struct cut_ctx {
    const ms_slice *s;
    int64_t box[4], bw, bh;     /* the graph: pixels of the box */
    int64_t ring[4];            /* box plus the ring that feeds the background model */
    double lo, scale;           /* intensity -> bin */
    double beta;
    float (*cost_fg)[NBINS];    /* [0] the whole model; [k] the model's part k */
    float cost_bg[NBINS];
    int64_t nparts;
    const ms_prompt *p;
    const ms_seg_prior *prior;
} cut_ctx;

static int bin_of(const cut_ctx *c, float v)
{
    int b = (int)((v - c->lo) * c->scale);
    return b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b;
}

static int in_box(const int64_t b[4], int64_t x, int64_t y) { return x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]; }

static int allowed(const cut_ctx *c, int64_t x, int64_t y)
{
    return !c->prior || !c->prior->allowed || c->prior->allowed[y * c->s->w + x];
}

/* Negative log of the Gaussian-smoothed histogram with one pseudo-count
 * spread over all bins, so unseen intensities stay possible. */
static void hist_costs(const hist *h, float cost[NBINS])
{
    static const double k[4] = {0.3990, 0.2420, 0.0540, 0.0044};
    for (int b = 0; b < NBINS; b++) {
        double v = 0;
        for (int d = -3; d <= 3; d++) {
            int j = b + d;
            j = j < 0 ? -j - 1 : j >= NBINS ? 2 * NBINS - j - 1 : j;
            v += k[d < 0 ? -d : d] * h->count[j];
        }
        cost[b] = (float)-log((v + 1.0 / NBINS) / (h->n + 1.0));
    }
}

/* Propagating: the foreground looks like the key slice's mask (or the
 * previous slice's), which keeps a vanishing structure from being re-learnt
 * from whatever else sits in the box, and the model from drifting slice by
 * slice into a neighbour. Each part of the model mask also has its own
 * histogram, for the pixels that descend from it: a small bright part (the
 * aortic root beside the larger, darker descending aorta) is not judged by
 * the larger part's intensities. */
/* The model a part label selects: the part's own, or 0 (the whole model). */
static int64_t part_model(const cut_ctx *c, int64_t label) { return label > 0 && label <= c->nparts ? label : 0; }

static ms_status fit_fg_parts(cut_ctx *c)
{
    const ms_seg_prior *pr = c->prior;
    const ms_slice *ps = pr->model_mask ? pr->model_slice : pr->slice;
    const uint8_t *pm = pr->model_mask ? pr->model_mask : pr->mask;
    hist *h = NULL;
    ms_status rc = ms_alloc_array((void **)&h, (size_t)c->nparts + 1, sizeof *h, 1, "graph cut");
    if (rc) return rc;
    for (int64_t i = 0; i < ps->w * ps->h; i++) {
        if (!pm[i]) continue;
        int b = bin_of(c, ps->px[i]);
        int64_t k = c->nparts ? part_model(c, pr->model_parts[i]) : 0;
        h[0].count[b]++;
        h[0].n++;
        if (k) {
            h[k].count[b]++;
            h[k].n++;
        }
    }
    for (int64_t k = 0; k <= c->nparts; k++) hist_costs(&h[k], c->cost_fg[k]);
    free(h);
    return MS_OK;
}

static void fit_models(cut_ctx *c, const uint8_t *lab)
{
    hist fg = {{0}, 0}, bg = {{0}, 0};
    const ms_slice *s = c->s;
    for (int64_t y = c->ring[1]; y <= c->ring[3]; y++)
        for (int64_t x = c->ring[0]; x <= c->ring[2]; x++) {
            int b = bin_of(c, s->px[y * s->w + x]);
            int inbox = in_box(c->box, x, y);
            /* Pixels the mask may not reach say nothing of the background's
             * intensities: they are most often more of the structure. */
            if (inbox && !allowed(c, x, y)) continue;
            int fgpix = inbox && lab[(y - c->box[1]) * c->bw + x - c->box[0]];
            hist *h = fgpix ? &fg : &bg;
            h->count[b]++;
            h->n++;
        }
    hist_costs(&bg, c->cost_bg);
    if (!c->prior) hist_costs(&fg, c->cost_fg[0]);
}

/* beta = 1 / (2 <dI^2>) over the box's horizontal and vertical neighbours. */
static void set_contrast(cut_ctx *c)
{
    const ms_slice *s = c->s;
    double sum = 0;
    int64_t n = 0;
    for (int64_t y = c->box[1]; y <= c->box[3]; y++)
        for (int64_t x = c->box[0]; x <= c->box[2]; x++) {
            float v = s->px[y * s->w + x];
            if (x < c->box[2]) { double d = s->px[y * s->w + x + 1] - v; sum += d * d; n++; }
            if (y < c->box[3]) { double d = s->px[(y + 1) * s->w + x] - v; sum += d * d; n++; }
        }
    c->beta = sum > 0 && n ? (double)n / (2 * sum) : 0;
}

static int32_t to_cap(double nats)
{
    double v = nats * COST_SCALE + 0.5;
    return v >= MS_FLOW_INF ? MS_FLOW_INF : v <= 0 ? 0 : (int32_t)v;
}

static double pair_weight(const cut_ctx *c, int64_t x, int64_t y, int dx, int dy)
{
    const ms_slice *s = c->s;
    double d = s->px[(y + dy) * s->w + x + dx] - s->px[y * s->w + x];
    double mm = sqrt((dx * s->sx) * (dx * s->sx) + (dy * s->sy) * (dy * s->sy));
    double unit = s->sx < s->sy ? s->sx : s->sy;
    return LAMBDA * exp(-c->beta * d * d) * unit / mm;
}

/* The hard label a point forces on pixel (x, y): 1 fg, 0 bg, -1 none. */
static int forced(const cut_ctx *c, int64_t x, int64_t y)
{
    for (int i = 0; i < c->p->npoints; i++) {
        const ms_point2 *q = &c->p->points[i];
        if (llabs(q->x - x) <= 1 && llabs(q->y - y) <= 1) return q->fg;
    }
    return -1;
}

/* A box prompt drawn around an object says more than "inside": the object
 * fills its middle and touches its sides. Pixels pay in proportion to how
 * far their squared elliptical radius in the box lies beyond (for the
 * foreground) or inside (for the background) SHAPE_R2, so the cut keeps
 * the middle when the object's intensities also occur around it. */
static double box_shape_nats(const int64_t b[4], int64_t x, int64_t y)
{
    double ax = (double)(b[2] - b[0] + 1) / 2, ay = (double)(b[3] - b[1] + 1) / 2;
    double dx = ((double)x + 0.5 - b[0] - ax) / ax, dy = ((double)y + 0.5 - b[1] - ay) / ay;
    return SHAPE_NATS * (dx * dx + dy * dy - SHAPE_R2);
}

static void add_tlink(const cut_ctx *c, ms_flow *g, int64_t x, int64_t y, double to_sink_extra)
{
    int32_t node = (int32_t)((y - c->box[1]) * c->bw + x - c->box[0]);
    int f = forced(c, x, y);
    if (!allowed(c, x, y)) f = 0;
    if (f >= 0) {
        ms_flow_tlink(g, node, f ? MS_FLOW_INF : 0, f ? 0 : MS_FLOW_INF);
        return;
    }
    const ms_slice *s = c->s;
    int b = bin_of(c, s->px[y * s->w + x]);
    int64_t k = c->nparts ? part_model(c, c->prior->part_of[y * s->w + x]) : 0;
    double dfg = c->cost_fg[k][b], dbg = c->cost_bg[b];
    if (c->prior) {
        if (c->prior->mask[y * s->w + x]) dbg += PRIOR_NATS;
        else dfg += PRIOR_NATS;
    } else if (c->p->has_box) {
        double sh = box_shape_nats(c->p->box, x, y);
        if (sh > 0) dfg += sh;
        else dbg -= sh;
    }
    /* Cutting source->node labels it background (pays dbg); node->sink, fg. */
    ms_flow_tlink(g, node, to_cap(dbg), to_cap(dfg + to_sink_extra));
}

static ms_status cut_once(const cut_ctx *c, uint8_t *lab)
{
    static const int nb[4][2] = {{1, 0}, {0, 1}, {1, 1}, {-1, 1}};
    const ms_slice *s = c->s;
    ms_flow g;
    ms_status rc = ms_flow_init(&g, (int32_t)(c->bw * c->bh), c->bw * c->bh * 6);
    if (rc) return rc;
    for (int64_t y = c->box[1]; y <= c->box[3]; y++)
        for (int64_t x = c->box[0]; x <= c->box[2]; x++) {
            double outside = 0;   /* smoothness owed to fixed-background neighbours */
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int64_t nx = x + dx, ny = y + dy;
                    if ((dx || dy) && nx >= 0 && ny >= 0 && nx < s->w && ny < s->h && !in_box(c->box, nx, ny))
                        outside += pair_weight(c, x, y, dx, dy);
                }
            add_tlink(c, &g, x, y, outside);
            int32_t node = (int32_t)((y - c->box[1]) * c->bw + x - c->box[0]);
            for (int k = 0; k < 4; k++) {
                int64_t nx = x + nb[k][0], ny = y + nb[k][1];
                if (!in_box(c->box, nx, ny)) continue;
                int32_t w = to_cap(pair_weight(c, x, y, nb[k][0], nb[k][1]));
                ms_flow_edge(&g, node, (int32_t)((ny - c->box[1]) * c->bw + nx - c->box[0]), w, w);
            }
        }
    int64_t flow;
    rc = ms_flow_solve(&g, &flow);
    if (!rc) ms_flow_source_side(&g, lab);
    ms_flow_free(&g);
    return rc;
}

static void setup(cut_ctx *c, const ms_slice *s, const ms_prompt *p, const ms_seg_prior *prior)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->p = p;
    c->prior = prior && prior->mask ? prior : NULL;
    c->nparts = c->prior && c->prior->model_parts && c->prior->part_of ? c->prior->nparts : 0;
    ms_prompt_region(p, s->w, s->h, c->box);
    c->bw = c->box[2] - c->box[0] + 1;
    c->bh = c->box[3] - c->box[1] + 1;
    memcpy(c->ring, c->box, sizeof c->ring);
    int64_t r = (c->bw > c->bh ? c->bw : c->bh) / 2;
    ms_box_enlarge(c->ring, 0, r < 4 ? 4 : r, s->w, s->h);
    float lo = s->px[c->ring[1] * s->w + c->ring[0]], hi = lo;
    for (int64_t y = c->ring[1]; y <= c->ring[3]; y++)
        for (int64_t x = c->ring[0]; x <= c->ring[2]; x++) {
            float v = s->px[y * s->w + x];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    c->lo = lo;
    c->scale = hi > lo ? NBINS / ((double)hi - lo) : 1;
    set_contrast(c);
}

/* The iterations: background (and, without a prior, foreground) refitted
 * to each cut until the labels stop changing. */
static ms_status iterate(cut_ctx *c, uint8_t *lab, uint8_t *prev)
{
    size_t n = (size_t)(c->bw * c->bh);
    const ms_slice *s = c->s;
    for (int64_t y = 0; y < c->bh; y++)
        for (int64_t x = 0; x < c->bw; x++)
            lab[y * c->bw + x] = c->prior ? c->prior->mask[(y + c->box[1]) * s->w + x + c->box[0]] != 0 : 1;
    ms_status rc = c->prior ? fit_fg_parts(c) : MS_OK;
    for (int it = 0; it < ITERATIONS && !rc; it++) {
        fit_models(c, lab);
        memcpy(prev, lab, n);
        rc = cut_once(c, lab);
        if (!rc && memcmp(prev, lab, n) == 0) break;
    }
    return rc;
}

/* The clean-up (holes, components) on the box alone: the cut is empty
 * outside it, so this is what the whole slice would give, at the box's cost.
 * ref is scratch of the box's size. */
static ms_status clean_in_box(const cut_ctx *c, uint8_t *lab, uint8_t *ref)
{
    if (!c->prior) return ms_mask2d_clean(lab, c->bw, c->bh, NULL);
    for (int64_t y = 0; y < c->bh; y++)
        memcpy(ref + y * c->bw, c->prior->mask + (y + c->box[1]) * c->s->w + c->box[0], (size_t)c->bw);
    return ms_mask2d_clean(lab, c->bw, c->bh, ref);
}

ms_status ms_graphcut_segment(void *ctx, const ms_slice *s, const ms_prompt *p, const ms_seg_prior *prior,
                              uint8_t *mask)
{
    (void)ctx;
    cut_ctx c;
    setup(&c, s, p, prior);
    uint8_t *lab = NULL, *prev = NULL;
    size_t n = (size_t)(c.bw * c.bh);
    ms_status rc = ms_alloc_array((void **)&lab, n, 1, 0, "graph cut");
    if (!rc) rc = ms_alloc_array((void **)&prev, n, 1, 0, "graph cut");
    if (!rc) rc = ms_alloc_array((void **)&c.cost_fg, (size_t)c.nparts + 1, sizeof *c.cost_fg, 0, "graph cut");
    if (!rc) rc = iterate(&c, lab, prev);
    if (!rc) rc = clean_in_box(&c, lab, prev);
    if (!rc) {
        memset(mask, 0, (size_t)(s->w * s->h));
        for (int64_t y = 0; y < c.bh; y++)
            memcpy(mask + (y + c.box[1]) * s->w + c.box[0], lab + y * c.bw, (size_t)c.bw);
    }
    free(lab);
    free(prev);
    free(c.cost_fg);
    return rc;
}
