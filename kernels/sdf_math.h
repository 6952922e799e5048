/* Signed distance to a closed triangle mesh, shared by the CPU (lib/mesh)
 * and the CUDA kernel so both walk the same tree with the same arithmetic.
 *
 * Magnitude: the nearest triangle, found by a depth-first walk of a bounding
 * volume hierarchy that opens the nearer child first and skips any box
 * farther than the best distance so far. Sign: the angle-weighted
 * pseudo-normal of the nearest feature (face, edge or vertex) of that
 * triangle (Baerentzen & Aanaes 2005), which is exact for a closed
 * 2-manifold: the point is inside when it lies behind that normal. */
#ifndef MEDSEG_SDF_MATH_H
#define MEDSEG_SDF_MATH_H

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define MS_SDF_HD __host__ __device__ static inline
#else
#define MS_SDF_HD static inline
#endif

/* count > 0: a leaf over triangles [first, first + count); otherwise an
 * inner node whose children are first and first + 1. */
typedef struct ms_bvh_node {
    float lo[3], hi[3];
    int32_t first, count;
} ms_bvh_node;

/* A triangle with the pseudo-normals of its face, edges (ab, bc, ca) and
 * corners. */
typedef struct ms_sdf_tri {
    float ctr[3], rad;      /* a sphere holding the triangle, read first */
    float a[3], b[3], c[3];
    float n[3];
    float en[3][3];
    float vn[3][3];
} ms_sdf_tri;

#define MS_BVH_MAX_DEPTH 64

MS_SDF_HD double ms_dot3(const double *u, const double *v) { return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]; }

MS_SDF_HD double ms_box_dist2(const ms_bvh_node *nd, const double *p)
{
    /* Branch-free: which side of a box a point lies on is unpredictable. */
    double d2 = 0;
    for (int a = 0; a < 3; a++) {
        double below = (double)nd->lo[a] - p[a], above = p[a] - (double)nd->hi[a];
        double d = below > above ? below : above;
        d = d > 0.0 ? d : 0.0;
        d2 += d * d;
    }
    return d2;
}

/* Closest point q on triangle (a, b, c) to p, after Ericson's Real-Time
 * Collision Detection 5.1.5. Returns the feature: 0 face, 1..3 corner a/b/c,
 * 4..6 edge ab/bc/ca. */
MS_SDF_HD int ms_closest_on_tri(const ms_sdf_tri *t, const double *p, double *q)
{
    double a[3] = {t->a[0], t->a[1], t->a[2]}, b[3] = {t->b[0], t->b[1], t->b[2]}, c[3] = {t->c[0], t->c[1], t->c[2]};
    double ab[3], ac[3], ap[3], bp[3], cp[3];
    for (int i = 0; i < 3; i++) {
        ab[i] = b[i] - a[i];
        ac[i] = c[i] - a[i];
        ap[i] = p[i] - a[i];
        bp[i] = p[i] - b[i];
        cp[i] = p[i] - c[i];
    }
    double d1 = ms_dot3(ab, ap), d2 = ms_dot3(ac, ap);
    if (d1 <= 0 && d2 <= 0) {
        for (int i = 0; i < 3; i++) q[i] = a[i];
        return 1;
    }
    double d3 = ms_dot3(ab, bp), d4 = ms_dot3(ac, bp);
    if (d3 >= 0 && d4 <= d3) {
        for (int i = 0; i < 3; i++) q[i] = b[i];
        return 2;
    }
    double vc = d1 * d4 - d3 * d2;
    if (vc <= 0 && d1 >= 0 && d3 <= 0) {
        double v = d1 / (d1 - d3);
        for (int i = 0; i < 3; i++) q[i] = a[i] + v * ab[i];
        return 4;
    }
    double d5 = ms_dot3(ab, cp), d6 = ms_dot3(ac, cp);
    if (d6 >= 0 && d5 <= d6) {
        for (int i = 0; i < 3; i++) q[i] = c[i];
        return 3;
    }
    double vb = d5 * d2 - d1 * d6;
    if (vb <= 0 && d2 >= 0 && d6 <= 0) {
        double w = d2 / (d2 - d6);
        for (int i = 0; i < 3; i++) q[i] = a[i] + w * ac[i];
        return 6;
    }
    double va = d3 * d6 - d5 * d4;
    if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0) {
        double w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        for (int i = 0; i < 3; i++) q[i] = b[i] + w * (c[i] - b[i]);
        return 5;
    }
    double denom = 1.0 / (va + vb + vc), v = vb * denom, w = vc * denom;
    for (int i = 0; i < 3; i++) q[i] = a[i] + ab[i] * v + ac[i] * w;
    return 0;
}

MS_SDF_HD const float *ms_feature_normal(const ms_sdf_tri *t, int feature)
{
    if (feature == 0) return t->n;
    if (feature <= 3) return t->vn[feature - 1];
    return t->en[feature - 4];
}

/* Keeps triangle i when it is nearer, or as near with a lower index: the
 * answer is then the same whatever order the tree is walked in. */
typedef struct ms_sdf_best {
    double d2, d;           /* squared distance and distance */
    int64_t t;
    int f;
    double q[3];
} ms_sdf_best;

MS_SDF_HD void ms_sdf_visit(const ms_sdf_tri *tris, int64_t i, const double *p, ms_sdf_best *b)
{
    const ms_sdf_tri *t = &tris[i];
    /* The bounding sphere rules most far triangles out for a few products
     * (no square root); the margin keeps anything that could tie. */
    double c[3] = {p[0] - t->ctr[0], p[1] - t->ctr[1], p[2] - t->ctr[2]}, reach = (double)t->rad + b->d;
    if (ms_dot3(c, c) > reach * reach * (1 + 1e-9)) return;
    double q[3];
    int f = ms_closest_on_tri(t, p, q);
    double d[3] = {p[0] - q[0], p[1] - q[1], p[2] - q[2]}, d2 = ms_dot3(d, d);
    if (d2 < b->d2 || (d2 == b->d2 && i < b->t)) {
        b->d2 = d2;
        b->d = sqrt(d2);
        b->t = i;
        b->f = f;
        b->q[0] = q[0], b->q[1] = q[1], b->q[2] = q[2];
    }
}

/* The best triangle's distance, signed by its feature's pseudo-normal. */
MS_SDF_HD double ms_sdf_signed(const ms_sdf_tri *tris, const ms_sdf_best *b, const double *p, int64_t *nearest)
{
    if (b->t == INT64_MAX) {
        *nearest = -1;
        return INFINITY;
    }
    *nearest = b->t;
    const float *fn = ms_feature_normal(&tris[b->t], b->f);
    double dir[3] = {p[0] - b->q[0], p[1] - b->q[1], p[2] - b->q[2]}, nn[3] = {fn[0], fn[1], fn[2]};
    return ms_dot3(dir, nn) < 0 ? -b->d : b->d;
}

/* Signed distance from p to the mesh (negative inside); *nearest gets the
 * nearest triangle's index. hint (or -1) is a triangle likely to be near,
 * such as the previous point's answer: it only makes the walk shorter. */
MS_SDF_HD double ms_sdf_query(const ms_bvh_node *nodes, const ms_sdf_tri *tris, const double *p, int64_t hint,
                              int64_t *nearest)
{
    int32_t stack[MS_BVH_MAX_DEPTH];
    int sp = 0;
    ms_sdf_best b = {INFINITY, INFINITY, INT64_MAX, 0, {0, 0, 0}};
    if (hint >= 0) ms_sdf_visit(tris, hint, p, &b);
    int32_t node = 0;
    for (;;) {
        const ms_bvh_node *nd = &nodes[node];
        if (nd->count > 0) {
            for (int32_t i = nd->first; i < nd->first + nd->count; i++) ms_sdf_visit(tris, i, p, &b);
        } else {
            int32_t l = nd->first, r = nd->first + 1;
            double dl = ms_box_dist2(&nodes[l], p), dr = ms_box_dist2(&nodes[r], p);
            if (dr < dl) {
                int32_t t = l;
                l = r;
                r = t;
                double td = dl;
                dl = dr;
                dr = td;
            }
            if (dr <= b.d2 && sp < MS_BVH_MAX_DEPTH) stack[sp++] = r;
            if (dl <= b.d2) {
                node = l;
                continue;
            }
        }
        /* Pop the next box no farther than the best triangle. */
        for (;;) {
            if (sp == 0) goto done;
            node = stack[--sp];
            if (ms_box_dist2(&nodes[node], p) <= b.d2) break;
        }
    }
done:
    return ms_sdf_signed(tris, &b, p, nearest);
}

#endif
