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

/* Rows of a block (8 lanes each), per triangle: see block_lanes. */
enum { ROW_A = 0, ROW_EDGE = 3, ROW_NEG_INV = 12, ROW_NORMAL = 15, ROW_INWARD = 18, ROW_LONGEST = 27, BLOCK_ROWS = 28 };

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

/* A wide level consumes at least one binary level and a visit pops one
 * entry and pushes at most four, so this never overflows. */
enum { WIDE_STACK = 3 * MS_BVH_MAX_DEPTH + 4 };

#ifndef SDF_WIDE_QUERY
#define SDF_WIDE_QUERY ms_sdf_query_wide
#define SDF_WIDE_NEAREST ms_sdf_nearest_wide

typedef struct {
    const ms_bvh_node *bin;
    ms_wide_node *wide;
    int32_t n;
    int64_t blocks;
} collapser;

static void set_slot(collapser *c, ms_wide_node *w, int k, const ms_bvh_node *b, int32_t first, int32_t count)
{
    w->block[k] = (int32_t)c->blocks;
    if (count > 0) c->blocks += (count + 7) / 8;
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
            set_slot(c, &c->wide[me], k, NULL, 0, -1);
            continue;
        }
        const ms_bvh_node *b = &c->bin[slot[k]];
        int32_t first = b->count > 0 ? b->first : collapse(c, slot[k]);
        set_slot(c, &c->wide[me], k, b, first, b->count);
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

/* What the float pre-test reads of one triangle, in double before the
 * single rounding: corner a, edges ab, bc, ca, minus their inverse squared
 * lengths, the unit normal, the in-plane inward normals of the edges
 * (normal x edge) and the longest edge squared. */
static void block_lanes(const ms_sdf_tri *t, float out[BLOCK_ROWS])
{
    const float *v[3] = {t->a, t->b, t->c};
    double e[3][3], n[3], m[3][3], nn, me2 = 0;
    for (int k = 0; k < 3; k++)
        for (int a = 0; a < 3; a++) e[k][a] = (double)v[(k + 1) % 3][a] - v[k][a];
    n[0] = e[0][1] * -e[2][2] - e[0][2] * -e[2][1];
    n[1] = e[0][2] * -e[2][0] - e[0][0] * -e[2][2];
    n[2] = e[0][0] * -e[2][1] - e[0][1] * -e[2][0];
    nn = sqrt(ms_dot3(n, n));
    for (int k = 0; k < 3; k++) {
        m[k][0] = n[1] * e[k][2] - n[2] * e[k][1];
        m[k][1] = n[2] * e[k][0] - n[0] * e[k][2];
        m[k][2] = n[0] * e[k][1] - n[1] * e[k][0];
        double ee = ms_dot3(e[k], e[k]);
        me2 = fmax(me2, ee);
        out[ROW_NEG_INV + k] = (float)(ee > 0 ? -1 / ee : 0);
    }
    for (int a = 0; a < 3; a++) {
        out[ROW_A + a] = v[0][a];
        for (int k = 0; k < 3; k++) {
            out[ROW_EDGE + 3 * k + a] = (float)e[k][a];
            out[ROW_INWARD + 3 * k + a] = (float)m[k][a];
        }
        out[ROW_NORMAL + a] = (float)(nn > 0 ? n[a] / nn : 0);
    }
    out[ROW_LONGEST] = too_thin(t) ? INFINITY : (float)me2;   /* always measured exactly */
}

/* Each leaf's triangles in blocks of 8 lanes, the last block padded with
 * repeats of the leaf's last triangle, so a block is one aligned read. */
static ms_status build_blocks(ms_sdf_mesh *s, int32_t n_wide, int64_t n_blocks)
{
    s->block = ms_sdf_alloc((size_t)n_blocks, 8 * BLOCK_ROWS * sizeof *s->block);
    if (!s->block) return ms_fail(MS_ERR_NOMEM, "out of memory for the distance hierarchy");
    for (int32_t w = 0; w < n_wide; w++)
        for (int k = 0; k < 4; k++) {
            const ms_wide_node *nd = &s->wide[w];
            for (int32_t j = 0; j < nd->count[k]; j += 8)
                for (int l = 0; l < 8; l++) {
                    float lane[BLOCK_ROWS];
                    block_lanes(&s->tris[nd->first[k] + (j + l < nd->count[k] ? j + l : nd->count[k] - 1)], lane);
                    float *blk = s->block + ((size_t)nd->block[k] + (size_t)j / 8) * 8 * BLOCK_ROWS;
                    for (int q = 0; q < BLOCK_ROWS; q++) blk[8 * q + l] = lane[q];
                }
        }
    return MS_OK;
}

ms_status ms_sdf_build_wide(ms_sdf_mesh *s)
{
    collapser c = {s->nodes, NULL, 0, 0};
    c.wide = malloc((size_t)(s->n_nodes > 1 ? s->n_nodes : 2) * sizeof *c.wide);
    if (!c.wide) return ms_fail(MS_ERR_NOMEM, "out of memory for the distance hierarchy");
    if (s->nodes[0].count > 0) {   /* the whole mesh is one leaf */
        c.n = 1;
        set_slot(&c, &c.wide[0], 0, &s->nodes[0], s->nodes[0].first, s->nodes[0].count);
        for (int k = 1; k < 4; k++) set_slot(&c, &c.wide[0], k, NULL, 0, -1);
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
    return build_blocks(s, c.n, c.blocks);
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
        v4f d = vmax4(vmax4(below, above) - slack, zero);
        d2 += d * d;
    }
    return d2;
}

#ifdef __AVX__
#include <immintrin.h>
static inline v8f vmin8(v8f a, v8f b) { return (v8f)_mm256_min_ps((__m256)a, (__m256)b); }
static inline v8f vmax8(v8f a, v8f b) { return (v8f)_mm256_max_ps((__m256)a, (__m256)b); }
#else
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
#endif

typedef struct { v8f x, y, z; } v8p;

static inline v8f dot8(v8p u, v8p v) { return u.x * v.x + u.y * v.y + u.z * v.z; }

static inline v8f row(const float *blk, int r)
{
    v8f x;
    __builtin_memcpy(&x, blk + 8 * r, sizeof x);
    return x;
}

static inline v8p rows3(const float *blk, int r) { return (v8p){row(blk, r), row(blk, r + 1), row(blk, r + 2)}; }

/* Squared distance from the origin to the segment from u along e, given
 * minus the inverse of |e|^2. */
static inline v8f seg_d2(v8p u, v8p e, v8f neg_inv)
{
    v8f zero = {0}, one = zero + 1;
    v8f t = vmin8(vmax8(dot8(u, e) * neg_inv, zero), one);
    v8p q = {u.x + t * e.x, u.y + t * e.y, u.z + t * e.z};
    return dot8(q, q);
}

/* A lower bound on the squared distance from p to each triangle of a
 * block, in coordinates relative to p rounded to float. Inside the
 * triangle's prism the plane distance is used, which is a lower bound
 * anyway; outside, the nearest edge. A projection misjudged near an edge
 * in float changes the distance only by the square of the error. Two
 * margins: 1e-4 of a bound on the corners' squared distance, orders above
 * float rounding of quantities that size, and, by the caller, `shift`, more
 * than p moved when it was rounded to float (distance is 1-Lipschitz). */
static inline v8f tri_lower_d2(const ms_sdf_mesh *s, int64_t blk_index, const float *pf)
{
    const float *blk = s->block + (size_t)blk_index * 8 * BLOCK_ROWS;
    v8p va = rows3(blk, ROW_A), e0 = rows3(blk, ROW_EDGE), e1 = rows3(blk, ROW_EDGE + 3), e2 = rows3(blk, ROW_EDGE + 6);
    va = (v8p){va.x - pf[0], va.y - pf[1], va.z - pf[2]};
    v8p vb = {va.x + e0.x, va.y + e0.y, va.z + e0.z}, vc = {va.x - e2.x, va.y - e2.y, va.z - e2.z};
    v8f zero = {0};
    v8i in = (dot8(va, rows3(blk, ROW_INWARD)) <= zero) & (dot8(vb, rows3(blk, ROW_INWARD + 3)) <= zero)
             & (dot8(vc, rows3(blk, ROW_INWARD + 6)) <= zero);
    v8f h = dot8(va, rows3(blk, ROW_NORMAL));
    v8f edge = vmin8(vmin8(seg_d2(va, e0, row(blk, ROW_NEG_INV)), seg_d2(vb, e1, row(blk, ROW_NEG_INV + 1))),
                     seg_d2(vc, e2, row(blk, ROW_NEG_INV + 2)));
    v8f d2 = (v8f)((in & (v8i)(h * h)) | (~in & (v8i)edge));
    v8f big = 2 * (dot8(va, va) + row(blk, ROW_LONGEST));
    return d2 - 1e-4f * big;
}

/* Lanes that may hold a triangle within reach (NaN counts as may), as
 * bits; rechecked lane by lane since the reach shrinks as they are read. */
static void visit_leaf(const ms_sdf_mesh *s, const ms_wide_node *w, int k, const double *p, const float *pf,
                       float shift, ms_sdf_best *b)
{
    int32_t first = w->first[k], count = w->count[k];
    for (int32_t i0 = first; i0 < first + count; i0 += 8) {
        float lower[8];
        v8f l8 = tri_lower_d2(s, w->block[k] + (i0 - first) / 8, pf);
        __builtin_memcpy(lower, &l8, sizeof lower);
        double reach = b->d + shift;
        v8f limit = (v8f){0} + (float)(reach * reach);
        v8i far = l8 > limit;
        unsigned live = 0;
        for (int l = 0; l < 8; l++) live |= (unsigned)(far[l] == 0) << l;
        live &= (1u << (first + count - i0 < 8 ? first + count - i0 : 8)) - 1;
        while (live) {
            int l = __builtin_ctz(live);
            live &= live - 1;
            reach = b->d + shift;
            if (!(lower[l] > reach * reach)) ms_sdf_visit(s->tris, i0 + l, p, b);
        }
    }
}

typedef struct { int32_t node; float d2; } entry;

/* A box may hold a triangle as near as the best when its conservative
 * distance is within a relative margin of it (float sums round). */
static inline int may_hold(double d2, const ms_sdf_best *b) { return d2 <= b->d2 * (1 + 1e-5); }

static inline void order2(int32_t *a, int32_t *b)
{
    int32_t lo = *a < *b ? *a : *b, hi = *a < *b ? *b : *a;
    *a = lo;
    *b = hi;
}

/* Children within reach, nearest first, with no data-dependent branch: a
 * non-negative float orders like its bits, so each child's key is its
 * distance's bits with the child's index in the two lowest (ordering only;
 * the pruning tests read the exact distances). Others sort last. */
static void visit_wide(const ms_sdf_mesh *s, const ms_wide_node *w, const double *p, const float *pf, float slack,
                       ms_sdf_best *b, entry *stack, int *sp)
{
    float d2[4];
    v4f v = box_d2(w, pf, slack);
    __builtin_memcpy(d2, &v, sizeof d2);
    float limit = (float)(b->d2 * (1 + 2e-5));
    int32_t key[4];
    for (int k = 0; k < 4; k++) {
        int32_t bits;
        __builtin_memcpy(&bits, &d2[k], sizeof bits);
        key[k] = w->count[k] >= 0 && d2[k] <= limit ? (bits & ~3) | k : INT32_MAX;
    }
    order2(&key[0], &key[1]);
    order2(&key[2], &key[3]);
    order2(&key[0], &key[2]);
    order2(&key[1], &key[3]);
    order2(&key[1], &key[2]);
    int inner[4], ni = 0;
    for (int i = 0; i < 4 && key[i] != INT32_MAX; i++) {
        int k = key[i] & 3;
        if (w->count[k] == 0) inner[ni++] = k;
        else if (may_hold(d2[k], b)) visit_leaf(s, w, k, p, pf, slack, b);
    }
    while (ni > 0) {   /* farthest pushed first, nearest popped first */
        int k = inner[--ni];
        stack[(*sp)++] = (entry){w->first[k], d2[k]};
    }
}

/* Walks s for triangles as near as b's best (which may be a bound only). */
static void walk(const ms_sdf_mesh *s, const double *p, ms_sdf_best *b)
{
    float pf[3] = {(float)p[0], (float)p[1], (float)p[2]};
    double reach = s->extent + fmax(fabs(p[0]), fmax(fabs(p[1]), fabs(p[2])));
    float slack = (float)(reach * 0x1p-20);
    entry stack[WIDE_STACK];
    int sp = 0;
    stack[sp++] = (entry){0, 0};
    while (sp > 0) {
        entry e = stack[--sp];
        if (may_hold(e.d2, b)) visit_wide(s, &s->wide[e.node], p, pf, slack, b, stack, &sp);
    }
}

double SDF_WIDE_QUERY(const ms_sdf_mesh *s, const double *p, int64_t hint, int64_t *nearest)
{
    ms_sdf_best b = {INFINITY, INFINITY, INT64_MAX, 0, {0, 0, 0}};
    if (hint >= 0) ms_sdf_visit(s->tris, hint, p, &b);
    walk(s, p, &b);
    return ms_sdf_signed(s->tris, &b, p, nearest);
}

/* The parts are walked in order, and a later part's triangle replaces the
 * best only when strictly nearer (its index is set below every index once
 * a part has won), so the first part wins ties: the merged tree's answer.
 * The hint, a triangle of hint_part, only bounds the walks: its triangle
 * is taken when its own part's walk meets it, at its turn. */
double SDF_WIDE_NEAREST(ms_sdf_mesh *const *parts, int n, const double *p, int hint_part, int64_t hint, int *part,
                        int64_t *nearest)
{
    ms_sdf_best b = {INFINITY, INFINITY, INT64_MAX, 0, {0, 0, 0}}, won = b;
    int wp = -1;
    if (hint >= 0) {
        ms_sdf_visit(parts[hint_part]->tris, hint, p, &b);
        b.t = INT64_MAX;
    }
    for (int k = 0; k < n; k++) {
        if (!may_hold(ms_box_dist2(&parts[k]->nodes[0], p), &b)) continue;
        walk(parts[k], p, &b);
        if (b.t != INT64_MAX && b.t >= 0) {
            won = b;
            wp = k;
            b.t = -1;
        }
    }
    *part = wp;
    if (wp < 0) {
        *nearest = -1;
        return INFINITY;
    }
    return ms_sdf_signed(parts[wp]->tris, &won, p, nearest);
}
