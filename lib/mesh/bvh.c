/* Building the distance hierarchy: pseudo-normals from the mesh's edge
 * adjacency, then a bounding volume hierarchy split by the surface-area
 * heuristic over 16 centroid bins on each axis (on a heart phantom's union
 * mesh it answers 20% more queries a second than splitting at the middle
 * of the widest spread, for a build 70% slower). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sdf_internal.h"

/* Depth is capped below the walks' stack size by the levels a merge of up
 * to MS_SDF_MERGE_MAX trees adds on top (sdf_merge.c). */
enum { LEAF_SIZE = 8, MAX_DEPTH = MS_BVH_MAX_DEPTH - 8 };

void *ms_sdf_alloc(size_t n, size_t sz)
{
    void *p = NULL;
    size_t bytes;
    if (!ms_mul_size(n, sz, &bytes)) return NULL;
    if (bytes >= ((size_t)2 << 20)) return ms_alloc_big(&p, n, sz, "distance hierarchy") ? NULL : p;
    return posix_memalign(&p, 64, bytes ? bytes : 64) ? NULL : p;
}

/* Plain comparisons: libm's fminf/fmaxf are calls that handle NaN, and the
 * coordinates here never are NaN. */
static inline float lo_f(float a, float b) { return a < b ? a : b; }
static inline float hi_f(float a, float b) { return a > b ? a : b; }

/* Directed edges grouped by their start vertex (compressed rows): the
 * twin of edge u->v is found among v's few out-edges. Marching-cubes
 * meshes number nearby vertices together, so this stays in cache where a
 * hash table over all edges would not. */
typedef struct {
    int64_t *start;     /* nv + 1 */
    int32_t *to;        /* 3 nt: end vertex */
    int64_t *corner;    /* 3 nt: 3 * triangle + corner */
} edge_map;

static ms_status edge_map_build(const ms_mesh *m, edge_map *h)
{
    size_t ne = (size_t)m->nt * 3;
    h->start = calloc((size_t)m->nv + 1, sizeof *h->start);
    h->to = malloc(ne * sizeof *h->to);
    h->corner = malloc(ne * sizeof *h->corner);
    if (!h->start || !h->to || !h->corner) return ms_fail(MS_ERR_NOMEM, "out of memory for mesh edges");
    for (size_t i = 0; i < ne; i++) h->start[m->t[i] + 1]++;
    for (int64_t v = 0; v < m->nv; v++) h->start[v + 1] += h->start[v];
    for (int64_t t = 0; t < m->nt; t++)
        for (int c = 0; c < 3; c++) {
            int32_t from = m->t[3 * t + c];
            int64_t slot = h->start[from]++;
            h->to[slot] = m->t[3 * t + (c + 1) % 3];
            h->corner[slot] = 3 * t + c;
        }
    for (int64_t v = m->nv; v > 0; v--) h->start[v] = h->start[v - 1];   /* undo the fill's advance */
    h->start[0] = 0;
    return MS_OK;
}

static int64_t edge_map_find(const edge_map *h, int32_t from, int32_t to)
{
    for (int64_t k = h->start[from]; k < h->start[from + 1]; k++)
        if (h->to[k] == to) return h->corner[k];
    return -1;
}

static double corner_angle(const double *p, const double *q, const double *r)
{
    double u[3] = {q[0] - p[0], q[1] - p[1], q[2] - p[2]}, w[3] = {r[0] - p[0], r[1] - p[1], r[2] - p[2]};
    double lu = sqrt(ms_dot3(u, u)), lw = sqrt(ms_dot3(w, w));
    if (lu == 0 || lw == 0) return 0;
    double c = ms_dot3(u, w) / (lu * lw);
    return acos(c < -1 ? -1 : c > 1 ? 1 : c);
}

/* Centre of the float corners' box; radius rounded up past every corner. */
static void bounding_sphere(ms_sdf_tri *o)
{
    double r2 = 0;
    for (int a = 0; a < 3; a++)
        o->ctr[a] = (float)(0.5 * ((double)lo_f(o->a[a], lo_f(o->b[a], o->c[a])) + hi_f(o->a[a], hi_f(o->b[a], o->c[a]))));
    const float *corner[3] = {o->a, o->b, o->c};
    for (int k = 0; k < 3; k++) {
        double d[3] = {(double)corner[k][0] - o->ctr[0], (double)corner[k][1] - o->ctr[1], (double)corner[k][2] - o->ctr[2]};
        r2 = fmax(r2, ms_dot3(d, d));
    }
    o->rad = nextafterf((float)sqrt(r2), INFINITY) * (1 + 1e-6f);
}

/* What a triangle's pseudo-normals are made of: face normals, angle-weighted
 * vertex normals and the edge map that finds each edge's other face. */
typedef struct {
    const ms_mesh *m;
    double *fn, *vn;
    edge_map h;
} normals;

static void normals_free(normals *x)
{
    free(x->fn);
    free(x->vn);
    free(x->h.start);
    free(x->h.to);
    free(x->h.corner);
}

static ms_status normals_build(const ms_mesh *m, normals *x)
{
    x->m = m;
    x->fn = ms_sdf_alloc((size_t)m->nt * 3, sizeof *x->fn);
    x->vn = calloc((size_t)m->nv * 3, sizeof *x->vn);
    if (!x->fn || !x->vn) return ms_fail(MS_ERR_NOMEM, "out of memory for the distance hierarchy");
    ms_status st = edge_map_build(m, &x->h);
    if (st) return st;
    for (int64_t t = 0; t < m->nt; t++) {
        ms_mesh_face_normal(m, t, &x->fn[3 * t]);
        for (int c = 0; c < 3; c++) {
            const int32_t *f = &m->t[3 * t];
            double ang = corner_angle(&m->v[3 * (int64_t)f[c]], &m->v[3 * (int64_t)f[(c + 1) % 3]],
                                      &m->v[3 * (int64_t)f[(c + 2) % 3]]);
            for (int a = 0; a < 3; a++) x->vn[3 * (int64_t)f[c] + a] += ang * x->fn[3 * t + a];
        }
    }
    return MS_OK;
}

/* Triangle t of the mesh with its summed edge normals and vertex normals,
 * written straight into its place in leaf order. */
static void make_tri(const normals *x, int64_t t, ms_sdf_tri *o)
{
    const ms_mesh *m = x->m;
    const int32_t *f = &m->t[3 * t];
    for (int c = 0; c < 3; c++) {
        int64_t other = edge_map_find(&x->h, f[(c + 1) % 3], f[c]);
        for (int a = 0; a < 3; a++) {
            o->en[c][a] = (float)(x->fn[3 * t + a] + (other >= 0 ? x->fn[3 * (other / 3) + a] : 0.0));
            o->vn[c][a] = (float)x->vn[3 * (int64_t)f[c] + a];
        }
    }
    for (int a = 0; a < 3; a++) {
        o->n[a] = (float)x->fn[3 * t + a];
        o->a[a] = (float)m->v[3 * (int64_t)f[0] + a];
        o->b[a] = (float)m->v[3 * (int64_t)f[1] + a];
        o->c[a] = (float)m->v[3 * (int64_t)f[2] + a];
    }
    bounding_sphere(o);
}

/* A triangle as the builder sees it: its box, moved with its range as
 * ranges are split (the triangle's index alongside), so every pass reads
 * memory in order. The box's centre (doubled: lo + hi) places it in bins. */
typedef struct {
    v4f lo, hi;             /* lane 3 unused */
} rec;

typedef struct {
    ms_bvh_node *node;
    int64_t n_nodes;
    rec *r;
    int32_t *idx;
} builder;

static const v4f V_INF = {INFINITY, INFINITY, INFINITY, INFINITY};

static void set_bounds(const builder *b, ms_bvh_node *nd, int64_t lo, int64_t hi)
{
    v4f l = V_INF, h = -V_INF;
    for (int64_t i = lo; i < hi; i++) {
        l = vmin4(l, b->r[i].lo);
        h = vmax4(h, b->r[i].hi);
    }
    for (int a = 0; a < 3; a++) {
        nd->lo[a] = l[a];
        nd->hi[a] = h[a];
    }
}

enum { BINS = 16 };

typedef struct {
    v4f lo, hi;
    int64_t n;
} bin;

static void bin_add(bin *x, v4f lo, v4f hi, int64_t n)
{
    x->lo = vmin4(x->lo, lo);
    x->hi = vmax4(x->hi, hi);
    x->n += n;
}

static double bin_cost(const bin *x)
{
    if (!x->n) return 0;
    double e[3] = {(double)x->hi[0] - x->lo[0], (double)x->hi[1] - x->lo[1], (double)x->hi[2] - x->lo[2]};
    return (e[0] * e[1] + e[1] * e[2] + e[2] * e[0]) * (double)x->n;
}

/* The bins of a record on the three axes (the same arithmetic for binning
 * and for the partition that follows). */
static inline v4i bins_of(const rec *r, v4f cl, v4f scale)
{
    v4i k = __builtin_convertvector((r->lo + r->hi - cl) * scale, v4i), zero = {0, 0, 0, 0}, top = zero + (BINS - 1);
    k = (k >= zero) & k;   /* negative lanes to 0 */
    return ((k > top) & top) | ((k <= top) & k);
}

/* Best split of one axis's bins: sets *cost and returns the last bin on
 * the left, or -1 when no split leaves both sides non-empty. */
static int best_split(const bin *bins, double *cost)
{
    bin right[BINS], left = {V_INF, -V_INF, 0};
    right[BINS - 1] = bins[BINS - 1];
    for (int k = BINS - 2; k >= 0; k--) {
        right[k] = right[k + 1];
        bin_add(&right[k], bins[k].lo, bins[k].hi, bins[k].n);
    }
    int best = -1;
    *cost = INFINITY;
    for (int k = 0; k < BINS - 1; k++) {
        bin_add(&left, bins[k].lo, bins[k].hi, bins[k].n);
        double c = bin_cost(&left) + bin_cost(&right[k + 1]);
        if (left.n && right[k + 1].n && c < *cost) *cost = c, best = k;
    }
    return best;
}

/* The box of the records' doubled centres (lo + hi), lane 3 unused. */
typedef struct { v4f lo, hi; } span;

static void span_add(span *c, const rec *r)
{
    v4f x = r->lo + r->hi;
    c->lo = vmin4(c->lo, x);
    c->hi = vmax4(c->hi, x);
}

/* Surface-area heuristic over 16 centre bins on each axis (binned in one
 * pass), given the range's centre span c: the split minimising the
 * children's area times triangle count. The children's spans are gathered
 * as the records are moved, so no level reads its records twice for them. */
static int64_t partition(builder *b, int64_t lo, int64_t hi, const span *c, span *left, span *right)
{
    v4f cl = c->lo, ch = c->hi, zero = {0, 0, 0, 0};
    v4i wide = ch > cl;
    v4f scale = (v4f)(wide & (v4i)((zero + BINS) / (ch - cl)));
    scale[3] = 0;
    bin bins[3][BINS];
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < BINS; k++) bins[a][k] = (bin){V_INF, -V_INF, 0};
    for (int64_t i = lo; i < hi; i++) {
        v4i k = bins_of(&b->r[i], cl, scale);
        for (int a = 0; a < 3; a++) bin_add(&bins[a][k[a]], b->r[i].lo, b->r[i].hi, 1);
    }
    int ax = -1, split = 0;
    double best = INFINITY, cost;
    for (int a = 0; a < 3; a++) {
        int k = best_split(bins[a], &cost);
        if (k >= 0 && cost < best) best = cost, ax = a, split = k;
    }
    if (ax < 0) {   /* all centres equal */
        *left = *right = *c;
        return lo + (hi - lo) / 2;
    }
    *left = *right = (span){V_INF, -V_INF};
    int64_t i = lo, j = hi - 1;
    while (i <= j) {
        if (bins_of(&b->r[i], cl, scale)[ax] <= split) {
            span_add(left, &b->r[i++]);
        } else {
            span_add(right, &b->r[i]);
            rec t = b->r[i];
            b->r[i] = b->r[j];
            b->r[j] = t;
            int32_t u = b->idx[i];
            b->idx[i] = b->idx[j];
            b->idx[j--] = u;
        }
    }
    return i;
}

/* Leaves take their triangles' bounds, inner nodes their children's (the
 * same minima and maxima, found once instead of at every level). */
static void build_node(builder *b, int64_t node, int64_t lo, int64_t hi, int depth, const span *c)
{
    ms_bvh_node *nd = &b->node[node];
    if (hi - lo <= LEAF_SIZE || depth >= MAX_DEPTH) {
        set_bounds(b, nd, lo, hi);
        nd->first = (int32_t)lo;
        nd->count = (int32_t)(hi - lo);
        return;
    }
    span left, right;
    int64_t mid = partition(b, lo, hi, c, &left, &right), child = b->n_nodes;
    b->n_nodes += 2;
    nd->first = (int32_t)child;
    nd->count = 0;
    build_node(b, child, lo, mid, depth + 1, &left);
    build_node(b, child + 1, mid, hi, depth + 1, &right);
    for (int a = 0; a < 3; a++) {
        nd->lo[a] = lo_f(b->node[child].lo[a], b->node[child + 1].lo[a]);
        nd->hi[a] = hi_f(b->node[child].hi[a], b->node[child + 1].hi[a]);
    }
}

/* The tree over the mesh's float boxes; the triangles are then laid out
 * in leaf order once, with no copy in source order first. */
static ms_status build_tree(ms_sdf_mesh *s, const normals *x)
{
    const ms_mesh *m = x->m;
    int64_t nt = m->nt;
    builder b = {0};
    b.node = ms_sdf_alloc((size_t)(2 * nt), sizeof *b.node);
    b.r = ms_sdf_alloc((size_t)nt, sizeof *b.r);
    b.idx = ms_sdf_alloc((size_t)nt, sizeof *b.idx);
    s->tris = ms_sdf_alloc((size_t)nt, sizeof *s->tris);
    s->source = malloc((size_t)nt * sizeof *s->source);
    if (!b.node || !b.r || !b.idx || !s->tris || !s->source) {
        free(b.node);
        free(b.r);
        free(b.idx);
        return ms_fail(MS_ERR_NOMEM, "out of memory for the distance hierarchy");
    }
    span all = {V_INF, -V_INF};
    for (int64_t t = 0; t < nt; t++) {
        b.idx[t] = (int32_t)t;
        for (int a = 0; a < 3; a++) {
            float u = (float)m->v[3 * (int64_t)m->t[3 * t] + a], v = (float)m->v[3 * (int64_t)m->t[3 * t + 1] + a],
                  w = (float)m->v[3 * (int64_t)m->t[3 * t + 2] + a];
            b.r[t].lo[a] = lo_f(u, lo_f(v, w));
            b.r[t].hi[a] = hi_f(u, hi_f(v, w));
        }
        b.r[t].lo[3] = b.r[t].hi[3] = 0;
        span_add(&all, &b.r[t]);
    }
    b.n_nodes = 1;
    build_node(&b, 0, 0, nt, 0, &all);
    for (int64_t i = 0; i < nt; i++) {
        make_tri(x, b.idx[i], &s->tris[i]);
        s->source[i] = b.idx[i];
    }
    s->nodes = b.node;
    s->n_nodes = b.n_nodes;
    s->n_tris = nt;
    free(b.r);
    free(b.idx);
    return MS_OK;
}

ms_status ms_sdf_build(const ms_mesh *m, ms_sdf_mesh **out)
{
    *out = NULL;
    if (m->nt <= 0) return ms_fail(MS_ERR_USAGE, "distance to an empty mesh");
    if (m->nt > INT32_MAX / 2) return ms_fail(MS_ERR_NOMEM, "mesh too large for the distance hierarchy");
    ms_sdf_mesh *s = calloc(1, sizeof *s);
    normals x = {0};
    ms_status st = s ? normals_build(m, &x) : ms_fail(MS_ERR_NOMEM, "out of memory for the distance hierarchy");
    if (!st) st = build_tree(s, &x);
    normals_free(&x);
    if (!st) st = ms_sdf_build_wide(s);
    if (st) {
        ms_sdf_free(s);
        return st;
    }
    *out = s;
    return MS_OK;
}

void ms_sdf_free(ms_sdf_mesh *s)
{
    if (!s) return;
    free(s->nodes);
    free(s->wide);
    free(s->block);
    free(s->tris);
    free(s->source);
    free(s);
}

int64_t ms_sdf_tri_count(const ms_sdf_mesh *s) { return s->n_tris; }
