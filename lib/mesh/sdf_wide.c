/* The CPU's view of the distance hierarchy: the binary tree collapsed into
 * 4-wide nodes whose child boxes are tested together in single precision,
 * and leaf triangles pre-tested eight at a time in single precision too.
 * Both float tests are made conservative (box gaps shrunk by more than the
 * rounding error; triangle distances lowered by a margin far above it), so
 * a box or triangle is skipped only when it is truly farther than the best
 * so far. Survivors are measured exactly in double by ms_sdf_visit, and
 * ties go to the lower index, so the answer is the binary walk's (and the
 * GPU's) to the bit; only the amount of work changes.
 *
 * sdf_wide_avx2.c compiles the queries again for AVX2 under another name
 * (one 8-lane op instead of two); sdf.c picks a copy once at run time. */
#include <math.h>
#include <stdlib.h>

#include "sdf_internal.h"

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

static inline v4f vmax(v4f a, v4f b)
{
    v4i m = a > b;
    return (v4f)((m & (v4i)a) | (~m & (v4i)b));
}

/* A wide level consumes at least one binary level and a visit pops one
 * entry and pushes at most four, so this never overflows. */
enum { WIDE_STACK = 3 * MS_BVH_MAX_DEPTH + 4 };

#ifndef SDF_WIDE_QUERY
#define SDF_WIDE_QUERY ms_sdf_query_wide

typedef struct {
    const ms_bvh_node *bin;
    ms_wide_node *wide;
    int32_t n;
} collapser;

static void set_slot(ms_wide_node *w, int k, const ms_bvh_node *b, int32_t first, int32_t count)
{
    for (int a = 0; a < 3; a++) {
        w->lo[a][k] = b ? b->lo[a] : INFINITY;
        w->hi[a][k] = b ? b->hi[a] : -INFINITY;
    }
    w->first[k] = first;
    w->count[k] = count;
}

static float box_area(const ms_bvh_node *b)
{
    float e[3] = {b->hi[0] - b->lo[0], b->hi[1] - b->lo[1], b->hi[2] - b->lo[2]};
    return e[0] * e[1] + e[1] * e[2] + e[2] * e[0];
}

/* Up to four descendants of binary node n replace it: the inner slot with
 * the largest box is opened until four are filled or all are leaves. */
static int32_t collapse(collapser *c, int32_t n)
{
    int32_t slot[4] = {c->bin[n].first, c->bin[n].first + 1}, ns = 2;
    while (ns < 4) {
        int best = -1;
        for (int k = 0; k < ns; k++)
            if (c->bin[slot[k]].count == 0 && (best < 0 || box_area(&c->bin[slot[k]]) > box_area(&c->bin[slot[best]])))
                best = k;
        if (best < 0) break;
        int32_t open = slot[best];
        slot[best] = c->bin[open].first;
        slot[ns++] = c->bin[open].first + 1;
    }
    int32_t me = c->n++;
    for (int k = 0; k < 4; k++) {
        if (k >= ns) {
            set_slot(&c->wide[me], k, NULL, 0, -1);
            continue;
        }
        const ms_bvh_node *b = &c->bin[slot[k]];
        int32_t first = b->count > 0 ? b->first : collapse(c, slot[k]);
        set_slot(&c->wide[me], k, b, first, b->count);
    }
    return me;
}

/* Thin triangles' normals are too noisy in float for the plane bound. */
static int too_thin(const ms_sdf_tri *t)
{
    double ab[3], ac[3], n[3];
    for (int a = 0; a < 3; a++) {
        ab[a] = (double)t->b[a] - t->a[a];
        ac[a] = (double)t->c[a] - t->a[a];
    }
    n[0] = ab[1] * ac[2] - ab[2] * ac[1];
    n[1] = ab[2] * ac[0] - ab[0] * ac[2];
    n[2] = ab[0] * ac[1] - ab[1] * ac[0];
    return ms_dot3(n, n) < 1e-6 * ms_dot3(ab, ab) * ms_dot3(ac, ac);
}

/* Corner coordinates by axis, padded with 8 copies of the last triangle so
 * that eight lanes can always be loaded. */
static ms_status build_corners(ms_sdf_mesh *s)
{
    size_t stride = (size_t)s->n_tris + 8;
    ms_status st = ms_alloc_array((void **)&s->corner, 9 * stride, sizeof *s->corner, 0, "distance hierarchy");
    if (!st) st = ms_alloc_array((void **)&s->exact_only, stride, 1, 0, "distance hierarchy");
    if (st) return st;
    for (size_t i = 0; i < stride; i++) {
        const ms_sdf_tri *t = &s->tris[i < (size_t)s->n_tris ? i : (size_t)s->n_tris - 1];
        const float *v[3] = {t->a, t->b, t->c};
        for (int k = 0; k < 9; k++) s->corner[(size_t)k * stride + i] = v[k / 3][k % 3];
        if (i < (size_t)s->n_tris) s->exact_only[i] = (uint8_t)too_thin(t);
    }
    return MS_OK;
}

ms_status ms_sdf_build_wide(ms_sdf_mesh *s)
{
    collapser c = {s->nodes, NULL, 0};
    c.wide = malloc((size_t)(s->n_nodes > 1 ? s->n_nodes : 2) * sizeof *c.wide);
    if (!c.wide) return ms_fail(MS_ERR_NOMEM, "out of memory for the distance hierarchy");
    if (s->nodes[0].count > 0) {   /* the whole mesh is one leaf */
        c.n = 1;
        set_slot(&c.wide[0], 0, &s->nodes[0], s->nodes[0].first, s->nodes[0].count);
        for (int k = 1; k < 4; k++) set_slot(&c.wide[0], k, NULL, 0, -1);
    } else {
        collapse(&c, 0);
    }
    s->wide = c.wide;
    float big = 1;
    for (int64_t i = 0; i < s->n_tris; i++)
        for (int a = 0; a < 3; a++) {
            float m = fabsf(s->tris[i].ctr[a]) + s->tris[i].rad;
            big = m > big ? m : big;
        }
    s->extent = big;
    return build_corners(s);
}

#endif

/* Squared distances from p to the four child boxes, never above the true
 * ones: each axis gap is shrunk by slack, which exceeds the rounding of p
 * to float and of the subtractions. */
static inline v4f box_d2(const ms_wide_node *w, const float *p, float slack)
{
    v4f d2 = {0, 0, 0, 0}, zero = {0, 0, 0, 0};
    for (int a = 0; a < 3; a++) {
        v4f lo, hi;
        __builtin_memcpy(&lo, w->lo[a], sizeof lo);
        __builtin_memcpy(&hi, w->hi[a], sizeof hi);
        v4f below = lo - p[a], above = p[a] - hi;
        v4f d = vmax(vmax(below, above) - slack, zero);
        d2 += d * d;
    }
    return d2;
}

static inline v8f vmin8(v8f a, v8f b)
{
    v8i m = a < b;
    return (v8f)((m & (v8i)a) | (~m & (v8i)b));
}

static inline v8f vmax8(v8f a, v8f b)
{
    v8i m = a > b;
    return (v8f)((m & (v8i)a) | (~m & (v8i)b));
}

typedef struct { v8f x, y, z; } v8p;

static inline v8f dot8(v8p u, v8p v) { return u.x * v.x + u.y * v.y + u.z * v.z; }
static inline v8p sub8(v8p u, v8p v) { return (v8p){u.x - v.x, u.y - v.y, u.z - v.z}; }
static inline v8p cross8(v8p u, v8p v)
{
    return (v8p){u.y * v.z - u.z * v.y, u.z * v.x - u.x * v.z, u.x * v.y - u.y * v.x};
}

/* Squared distance from the origin to segment u-v. */
static inline v8f seg_d2(v8p u, v8p v)
{
    v8f zero = {0}, one = zero + 1;
    v8p e = sub8(v, u);
    v8f ee = dot8(e, e), t = -dot8(u, e) / vmax8(ee, zero + 1e-30f);
    t = vmin8(vmax8(t, zero), one);
    v8p q = {u.x + t * e.x, u.y + t * e.y, u.z + t * e.z};
    return dot8(q, q);
}

/* Corners of triangles i0..i0+7 relative to the query rounded to float. */
static inline void corners_from(const ms_sdf_mesh *s, int32_t i0, const float *pf, v8p c[3])
{
    size_t stride = (size_t)s->n_tris + 8;
    v8f *v = &c[0].x;
    for (int k = 0; k < 9; k++) {
        v8f x;
        __builtin_memcpy(&x, s->corner + (size_t)k * stride + i0, sizeof x);
        v[k] = x - pf[k % 3];
    }
}

/* A lower bound on the squared distance from p to each of 8 triangles. Inside the
 * triangle's prism the plane distance is used, which is a lower bound
 * anyway; outside, the nearest edge. A projection misjudged near an edge
 * in float changes the distance only by the square of the error. Two
 * margins: 1e-4 of the largest corner distance squared, orders above float
 * rounding of quantities that size, and, by the caller, `shift`, more than
 * p moved when it was rounded to float (distance is 1-Lipschitz in p). */
static inline v8f tri_lower_d2(const ms_sdf_mesh *s, int32_t i0, const float *pf)
{
    v8p c[3];
    corners_from(s, i0, pf, c);
    v8p ab = sub8(c[1], c[0]), ac = sub8(c[2], c[0]), bc = sub8(c[2], c[1]);
    v8p n = cross8(ab, ac);
    v8f nn = dot8(n, n), an = dot8(c[0], n), zero = {0};
    v8i in = (dot8(cross8(ab, c[0]), n) <= 0) & (dot8(cross8(bc, c[1]), n) <= 0) & (dot8(cross8(ac, c[0]), n) >= 0);
    v8f plane = an * an / vmax8(nn, zero + 1e-30f);
    v8f edge = vmin8(vmin8(seg_d2(c[0], c[1]), seg_d2(c[1], c[2])), seg_d2(c[2], c[0]));
    v8f d2 = (v8f)((in & (v8i)plane) | (~in & (v8i)edge));
    v8f big = vmax8(vmax8(dot8(c[0], c[0]), dot8(c[1], c[1])), dot8(c[2], c[2]));
    return d2 - 1e-4f * big;
}

static void visit_leaf(const ms_sdf_mesh *s, int32_t first, int32_t count, const double *p, const float *pf,
                       float shift, ms_sdf_best *b)
{
    for (int32_t i0 = first; i0 < first + count; i0 += 8) {
        float lower[8];
        v8f l8 = tri_lower_d2(s, i0, pf);
        __builtin_memcpy(lower, &l8, sizeof lower);
        int n = first + count - i0 < 8 ? first + count - i0 : 8;
        for (int l = 0; l < n; l++) {
            double reach = b->d + shift;
            if (lower[l] <= reach * reach || s->exact_only[i0 + l]) ms_sdf_visit(s->tris, i0 + l, p, b);
        }
    }
}

typedef struct { int32_t node; float d2; } entry;

/* A box may hold a triangle as near as the best when its conservative
 * distance is within a relative margin of it (float sums round). */
static inline int may_hold(double d2, const ms_sdf_best *b) { return d2 <= b->d2 * (1 + 1e-5); }

static void visit_wide(const ms_sdf_mesh *s, const ms_wide_node *w, const double *p, const float *pf, float slack,
                       ms_sdf_best *b, entry *stack, int *sp)
{
    float d2[4];
    v4f v = box_d2(w, pf, slack);
    __builtin_memcpy(d2, &v, sizeof d2);
    int ord[4] = {0, 1, 2, 3};
    static const int net[5][2] = {{0, 1}, {2, 3}, {0, 2}, {1, 3}, {1, 2}};   /* nearest first */
    for (int i = 0; i < 5; i++) {
        int a = ord[net[i][0]], c = ord[net[i][1]];
        int swap = d2[c] < d2[a];
        ord[net[i][0]] = swap ? c : a;
        ord[net[i][1]] = swap ? a : c;
    }
    int inner[4], ni = 0;
    for (int i = 0; i < 4; i++) {
        int k = ord[i];
        if (w->count[k] < 0 || !may_hold(d2[k], b)) continue;
        if (w->count[k] == 0) {
            inner[ni++] = k;
            continue;
        }
        visit_leaf(s, w->first[k], w->count[k], p, pf, slack, b);
    }
    while (ni > 0) {   /* farthest pushed first, nearest popped first */
        int k = inner[--ni];
        stack[(*sp)++] = (entry){w->first[k], d2[k]};
    }
}

double SDF_WIDE_QUERY(const ms_sdf_mesh *s, const double *p, int64_t hint, int64_t *nearest)
{
    ms_sdf_best b = {INFINITY, INFINITY, INT64_MAX, 0, {0, 0, 0}};
    if (hint >= 0) ms_sdf_visit(s->tris, hint, p, &b);
    float pf[3] = {(float)p[0], (float)p[1], (float)p[2]};
    double reach = s->extent + fmax(fabs(p[0]), fmax(fabs(p[1]), fabs(p[2])));
    float slack = (float)(reach * 0x1p-20);
    entry stack[WIDE_STACK];
    int sp = 0;
    stack[sp++] = (entry){0, 0};
    while (sp > 0) {
        entry e = stack[--sp];
        if (may_hold(e.d2, &b)) visit_wide(s, &s->wide[e.node], p, pf, slack, &b, stack, &sp);
    }
    return ms_sdf_signed(s->tris, &b, p, nearest);
}
