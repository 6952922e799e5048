/* Marching cubes and SDF: closed 2-manifold meshes with outward triangles on
 * hand-made and every-configuration masks; BVH distances equal a brute-force
 * scan; the CUDA kernel equals the CPU (mode "gpu"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "medseg/device.h"
#include "medseg/mesh.h"
#include "medseg/rng.h"
#include "medseg/sdf.h"
#include "medseg/threads.h"
#include "sdf_internal.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Every directed edge once and its reverse once: closed, oriented, manifold. */
static int manifold_errors(const ms_mesh *m)
{
    size_t n = (size_t)m->nt * 3;
    uint64_t *e = malloc(n * sizeof *e);
    int bad = 0;
    for (int64_t t = 0; t < m->nt; t++) {
        double nn[3];
        if (ms_mesh_face_normal(m, t, nn) <= 1e-12) bad++;
        for (int c = 0; c < 3; c++)
            e[3 * t + c] = (uint64_t)(uint32_t)m->t[3 * t + c] << 32 | (uint32_t)m->t[3 * t + (c + 1) % 3];
    }
    qsort(e, n, sizeof *e, cmp_u64);
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && e[i] == e[i + 1]) bad++;
        uint64_t rev = e[i] << 32 | e[i] >> 32;
        if (!bsearch(&rev, e, n, sizeof *e, cmp_u64)) bad++;
    }
    free(e);
    return bad;
}

static void region_of(ms_region *r, const uint8_t *cls, const int64_t dim[3], int id)
{
    memset(r, 0, sizeof *r);
    r->cls = cls;
    for (int a = 0; a < 3; a++) {
        r->dim[a] = dim[a];
        r->lo[a] = 0;
        r->hi[a] = dim[a] - 1;
        r->affine[a][a] = 1;
    }
    r->affine[3][3] = 1;
    r->cls_id = id;
}

/* Marching cubes of class id, voxel sizes along the axes (negative: mirrored). */
static void mesh_of(const uint8_t *cls, const int64_t d[3], int id, const double size[3], ms_mesh *m)
{
    ms_region r;
    region_of(&r, cls, d, id);
    for (int a = 0; a < 3; a++) r.affine[a][a] = size[a];
    CHECK(ms_marching_cubes(&r, m) == MS_OK);
}

static const double UNIT[3] = {1, 1, 1};

/* All 256 cube configurations on a 2x2x2 block: each mesh closed and with a
 * positive enclosed volume equal to a direct count. */
static void test_all_configs(void)
{
    int64_t dim[3] = {2, 2, 2};
    for (int config = 1; config < 256; config++) {
        uint8_t cls[8];
        for (int c = 0; c < 8; c++) cls[c] = config >> c & 1;
        ms_region r;
        region_of(&r, cls, dim, 1);
        ms_mesh m;
        CHECK(ms_marching_cubes(&r, &m) == MS_OK);
        CHECK(manifold_errors(&m) == 0);
        CHECK(ms_mesh_volume(&m) > 0);
        ms_mesh_free(&m);
    }
}

static void ball(uint8_t *cls, const int64_t d[3], double cx, double cy, double cz, double rad, int id)
{
    for (int64_t k = 0; k < d[2]; k++)
        for (int64_t j = 0; j < d[1]; j++)
            for (int64_t i = 0; i < d[0]; i++) {
                double x = i - cx, y = j - cy, z = k - cz;
                if (x * x + y * y + z * z <= rad * rad) cls[(k * d[1] + j) * d[0] + i] = (uint8_t)id;
            }
}

static double brute(const ms_mesh *m, const double p[3])
{
    double best = INFINITY;
    for (int64_t t = 0; t < m->nt; t++) {
        const double *a = &m->v[3 * m->t[3 * t]], *b = &m->v[3 * m->t[3 * t + 1]], *c = &m->v[3 * m->t[3 * t + 2]];
        /* dense barycentric scan is too slow; use the plane/edge split */
        double ab[3], ac[3], ap[3], n[3];
        for (int i = 0; i < 3; i++) ab[i] = b[i] - a[i], ac[i] = c[i] - a[i], ap[i] = p[i] - a[i];
        n[0] = ab[1] * ac[2] - ab[2] * ac[1];
        n[1] = ab[2] * ac[0] - ab[0] * ac[2];
        n[2] = ab[0] * ac[1] - ab[1] * ac[0];
        double nn = n[0] * n[0] + n[1] * n[1] + n[2] * n[2];
        double s = (ap[0] * n[0] + ap[1] * n[1] + ap[2] * n[2]) / nn;
        double q[3] = {p[0] - s * n[0], p[1] - s * n[1], p[2] - s * n[2]};
        /* barycentrics of the projection */
        double v0[3], v1[3], v2[3];
        for (int i = 0; i < 3; i++) v0[i] = ab[i], v1[i] = ac[i], v2[i] = q[i] - a[i];
        double d00 = v0[0] * v0[0] + v0[1] * v0[1] + v0[2] * v0[2], d01 = v0[0] * v1[0] + v0[1] * v1[1] + v0[2] * v1[2];
        double d11 = v1[0] * v1[0] + v1[1] * v1[1] + v1[2] * v1[2], d20 = v2[0] * v0[0] + v2[1] * v0[1] + v2[2] * v0[2];
        double d21 = v2[0] * v1[0] + v2[1] * v1[1] + v2[2] * v1[2], den = d00 * d11 - d01 * d01;
        double v = (d11 * d20 - d01 * d21) / den, w = (d00 * d21 - d01 * d20) / den;
        double d2;
        if (v >= 0 && w >= 0 && v + w <= 1) {
            d2 = s * s * nn;
        } else {
            const double *P[3] = {a, b, c};
            d2 = INFINITY;
            for (int e = 0; e < 3; e++) {
                const double *x = P[e], *y = P[(e + 1) % 3];
                double xy[3] = {y[0] - x[0], y[1] - x[1], y[2] - x[2]}, xp[3] = {p[0] - x[0], p[1] - x[1], p[2] - x[2]};
                double tt = (xy[0] * xp[0] + xy[1] * xp[1] + xy[2] * xp[2]) / (xy[0] * xy[0] + xy[1] * xy[1] + xy[2] * xy[2]);
                tt = tt < 0 ? 0 : tt > 1 ? 1 : tt;
                double dd[3] = {xp[0] - tt * xy[0], xp[1] - tt * xy[1], xp[2] - tt * xy[2]};
                double e2 = dd[0] * dd[0] + dd[1] * dd[1] + dd[2] * dd[2];
                if (e2 < d2) d2 = e2;
            }
        }
        if (d2 < best) best = d2;
    }
    return sqrt(best);
}

/* A hollow ball (shell) with a tunnel-free cavity: SDF magnitude equals the
 * brute-force scan; sign equals the mask for points off the surface. */
static void test_sdf_shell(ms_device dev)
{
    int64_t d[3] = {24, 22, 20};
    uint8_t *cls = calloc(24 * 22 * 20, 1);
    ball(cls, d, 11.3, 10.2, 9.7, 8.2, 1);
    ball(cls, d, 11.3, 10.2, 9.7, 4.1, 0);
    ms_mesh m;
    mesh_of(cls, d, 1, (const double[3]){0.7, -1.1, 1.6}, &m);   /* anisotropic and mirrored */
    CHECK(manifold_errors(&m) == 0);
    CHECK(ms_mesh_volume(&m) > 0);
    ms_sdf_mesh *s;
    CHECK(ms_sdf_build(&m, &s) == MS_OK);
    enum { N = 400 };
    float pts[3 * N], sdf[N];
    int32_t near[N];
    ms_rng g;
    ms_rng_seed(&g, 5, 0);
    for (int i = 0; i < N; i++) {
        pts[3 * i] = (float)ms_rng_range(&g, -3, 20);
        pts[3 * i + 1] = (float)ms_rng_range(&g, -26, 3);
        pts[3 * i + 2] = (float)ms_rng_range(&g, -4, 35);
    }
    CHECK(ms_sdf_eval(s, pts, N, dev, sdf, near) == MS_OK);
    int bad_mag = 0, bad_sign = 0;
    for (int i = 0; i < N; i++) {
        double p[3] = {pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]};
        double b = brute(&m, p);
        if (fabs(fabs(sdf[i]) - b) > 1e-5 * (1 + b)) bad_mag++;
        double vi = p[0] / 0.7, vj = p[1] / -1.1, vk = p[2] / 1.6;
        double rr = sqrt((vi - 11.3) * (vi - 11.3) + (vj - 10.2) * (vj - 10.2) + (vk - 9.7) * (vk - 9.7));
        int inside = rr < 8.2 && rr > 4.1;
        if (b > 1.7 && (sdf[i] < 0) != inside) bad_sign++;
    }
    CHECK(bad_mag == 0);
    CHECK(bad_sign == 0);
    ms_sdf_free(s);
    ms_mesh_free(&m);
    free(cls);
}

/* The CPU's wide walks (both builds) against the binary walk the GPU uses:
 * the same distance bits and triangle, also where triangles tie (points on
 * vertices and edge midpoints) and for points near, far and on the mesh. */
static void wide_equals_binary(void)
{
    int64_t d[3] = {30, 26, 22};
    uint8_t *cls = calloc(30 * 26 * 22, 1);
    ball(cls, d, 14.5, 12.2, 10.1, 9.5, 1);
    ball(cls, d, 9.5, 10.2, 9.1, 3.5, 0);
    ms_mesh m;
    ms_sdf_mesh *s;
    mesh_of(cls, d, 1, (const double[3]){0.8, 1, 2.5}, &m);
    CHECK(ms_sdf_build(&m, &s) == MS_OK);
    ms_rng g;
    ms_rng_seed(&g, 11, 0);
    int bad = 0, n = 0;
    for (int i = 0; i < 30000; i++, n++) {
        double p[3];
        int64_t v = (int64_t)(ms_rng_u64(&g) % (uint64_t)m.nv);
        for (int a = 0; a < 3; a++) {
            if (i % 3 == 0) p[a] = m.v[3 * v + a];                                   /* on a vertex */
            else if (i % 3 == 1) p[a] = m.v[3 * v + a] + ms_rng_range(&g, -0.3, 0.3); /* near */
            else p[a] = ms_rng_range(&g, -20, 80);                                   /* anywhere */
        }
        if (i % 7 == 0) {   /* an edge midpoint */
            const int32_t *t = &m.t[3 * (ms_rng_u64(&g) % (uint64_t)m.nt)];
            for (int a = 0; a < 3; a++) p[a] = 0.5 * (m.v[3 * t[0] + a] + m.v[3 * t[1] + a]);
        }
        int64_t tb, tw, tx = -1;
        double db = ms_sdf_query(s->nodes, s->tris, p, -1, &tb);
        double dw = ms_sdf_query_wide(s, p, i % 2 ? tb : -1, &tw), dx = dw;
#ifdef MEDSEG_HAVE_AVX2_COPY
        if (__builtin_cpu_supports("avx2")) dx = ms_sdf_query_wide_avx2(s, p, -1, &tx);
        else tx = tw;
#else
        tx = tw;
#endif
        if (memcmp(&db, &dw, sizeof db) || memcmp(&db, &dx, sizeof db) || tb != tw || tb != tx) bad++;
    }
    CHECK(n == 30000 && bad == 0);
    ms_sdf_free(s);
    ms_mesh_free(&m);
    free(cls);
}

/* Walking the parts one after another gives the merged tree's distance
 * bits and part (the first at ties), on 1 and 2 threads; a NaN point has
 * no part. */
static void nearest_equals_merge(ms_sdf_mesh *const *part, const ms_sdf_mesh *all, ms_rng *g)
{
    enum { N = 4000 };
    float *pts = malloc(3 * N * sizeof *pts), *want = malloc(N * sizeof *want), *got = malloc(N * sizeof *got);
    int32_t *tri = malloc(N * sizeof *tri), *k = malloc(N * sizeof *k);
    int64_t *order = malloc(N * sizeof *order);
    for (int i = 0; i < 3 * N; i++) pts[i] = (float)ms_rng_range(g, -5, 30);
    for (int i = 0; i < 3 * N; i += 15) pts[i] = floorf(pts[i]) + 0.5f;   /* on grid planes: ties */
    pts[7] = NAN;
    CHECK(ms_sdf_eval(all, pts, N, MS_DEVICE_CPU, want, tri) == MS_OK);
    CHECK(ms_sdf_order(pts, N, order) == MS_OK);
    CHECK(ms_sdf_eval_nearest(part, 0, pts, order, N, MS_DEVICE_CPU, got, k) == MS_ERR_USAGE);
    for (int threads = 1; threads <= 2; threads++) {
        ms_threads_set(threads);
        CHECK(ms_sdf_eval_nearest(part, 3, pts, order, N, MS_DEVICE_CPU, got, k) == MS_OK);
        int bad = 0;
        for (int i = 0; i < N; i++) {
            int64_t t = tri[i], w = 0;
            while (t >= 0 && w < 3 && t >= part[w]->n_tris) t -= part[w++]->n_tris;
            if (memcmp(&got[i], &want[i], sizeof got[i]) || k[i] != (tri[i] < 0 ? -1 : w)) bad++;
        }
        CHECK(bad == 0);
        CHECK(k[2] == -1);
    }
    ms_threads_set(0);
    free(pts), free(want), free(got), free(tri), free(k), free(order);
}

/* Merged hierarchies: each point's distance is the smallest over the parts
 * (same bits), its triangle the first part's at ties, with the shifted
 * index; the wide walk agrees with the binary one on the merged tree. Two
 * of the three parts are the same mesh, so ties are everywhere. */
static void merge_equals_parts(void)
{
    int64_t d[3] = {26, 24, 20};
    uint8_t *cls = calloc(26 * 24 * 20, 1);
    ball(cls, d, 8.5, 9.2, 9.1, 5.5, 1);
    ball(cls, d, 17.5, 14.2, 10.1, 6.5, 2);
    ms_mesh m[3];
    ms_sdf_mesh *part[3], *all;
    for (int k = 0; k < 3; k++) {
        mesh_of(cls, d, k == 1 ? 2 : 1, UNIT, &m[k]);
        CHECK(ms_sdf_build(&m[k], &part[k]) == MS_OK);
    }
    CHECK(ms_sdf_merge(part, 0, &all) == MS_ERR_USAGE);
    CHECK(ms_sdf_merge(part, 3, &all) == MS_OK);
    CHECK(ms_sdf_tri_count(all) == m[0].nt + m[1].nt + m[2].nt);
    ms_rng g;
    ms_rng_seed(&g, 12, 0);
    int bad = 0;
    for (int i = 0; i < 5000; i++) {
        double p[3] = {ms_rng_range(&g, -5, 30), ms_rng_range(&g, -5, 30), ms_rng_range(&g, -5, 25)};
        double best = INFINITY;
        int64_t want = -1, off = 0, t, tw;
        for (int k = 0; k < 3; k++) {
            double v = ms_sdf_query(part[k]->nodes, part[k]->tris, p, -1, &t);
            if (fabs(v) < fabs(best)) best = v, want = part[k]->source[t] + off;
            off += m[k].nt;
        }
        double got = ms_sdf_query(all->nodes, all->tris, p, -1, &t), wide = ms_sdf_query_wide(all, p, -1, &tw);
        if (memcmp(&got, &best, sizeof got) || memcmp(&got, &wide, sizeof got) || t != tw || all->source[t] != want) bad++;
    }
    CHECK(bad == 0);
    nearest_equals_merge(part, all, &g);
    for (int k = 0; k < 3; k++) {
        ms_sdf_free(part[k]);
        ms_mesh_free(&m[k]);
    }
    ms_sdf_free(all);
    free(cls);
}

/* Random masks: the hardest case for ambiguous faces. */
static void test_random_masks(void)
{
    int64_t d[3] = {13, 11, 9};
    uint8_t *cls = malloc(13 * 11 * 9);
    for (int seed = 0; seed < 20; seed++) {
        ms_rng g;
        ms_rng_seed(&g, (uint64_t)seed, 1);
        for (int i = 0; i < 13 * 11 * 9; i++) cls[i] = (uint8_t)(ms_rng_u64(&g) % 3);
        for (int id = 0; id <= 2; id++) {
            ms_region r;
            region_of(&r, cls, d, id);
            ms_mesh m;
            CHECK(ms_marching_cubes(&r, &m) == MS_OK);
            CHECK(manifold_errors(&m) == 0);
            ms_mesh_free(&m);
        }
    }
    free(cls);
}

/* CUDA walks the CPU's tree with host rounding: identical bits and triangles. */
static void gpu_equals_cpu(void)
{
    int64_t d[3] = {40, 36, 30};
    uint8_t *cls = calloc(40 * 36 * 30, 1);
    ball(cls, d, 19.5, 17.2, 14.1, 12.5, 1);
    ball(cls, d, 10.5, 10.2, 9.1, 5.5, 0);
    ms_mesh m;
    ms_sdf_mesh *s;
    mesh_of(cls, d, 1, UNIT, &m);
    CHECK(ms_sdf_build(&m, &s) == MS_OK);
    enum { N = 100000 };
    float *pts = malloc(3 * N * sizeof *pts), *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    int32_t *ta = malloc(N * sizeof *ta), *tb = malloc(N * sizeof *tb);
    ms_rng g;
    ms_rng_seed(&g, 9, 0);
    for (int i = 0; i < 3 * N; i++) pts[i] = (float)ms_rng_range(&g, -8, 48);
    CHECK(ms_sdf_eval(s, pts, N, MS_DEVICE_CPU, a, ta) == MS_OK);
    CHECK(ms_sdf_eval(s, pts, N, MS_DEVICE_CUDA, b, tb) == MS_OK);
    CHECK(memcmp(a, b, N * sizeof *a) == 0);
    CHECK(memcmp(ta, tb, N * sizeof *ta) == 0);
    free(pts), free(a), free(b), free(ta), free(tb), free(cls);
    ms_sdf_free(s);
    ms_mesh_free(&m);
}

/* The nearest of several meshes on the GPU (the merged tree) equals the
 * CPU's walk over the parts: the same distance bits and part. */
static void gpu_nearest_equals_cpu(void)
{
    int64_t d[3] = {26, 24, 20};
    uint8_t *cls = calloc(26 * 24 * 20, 1);
    ball(cls, d, 8.5, 9.2, 9.1, 5.5, 1);
    ball(cls, d, 15.5, 14.2, 10.1, 6.5, 2);
    ms_mesh m[2];
    ms_sdf_mesh *part[2];
    for (int k = 0; k < 2; k++) {
        mesh_of(cls, d, k + 1, UNIT, &m[k]);
        CHECK(ms_sdf_build(&m[k], &part[k]) == MS_OK);
    }
    enum { N = 50000 };
    float *pts = malloc(3 * N * sizeof *pts), *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    int32_t *ka = malloc(N * sizeof *ka), *kb = malloc(N * sizeof *kb);
    int64_t *order = malloc(N * sizeof *order);
    ms_rng g;
    ms_rng_seed(&g, 13, 0);
    for (int i = 0; i < 3 * N; i++) pts[i] = (float)ms_rng_range(&g, -6, 32);
    CHECK(ms_sdf_order(pts, N, order) == MS_OK);
    CHECK(ms_sdf_eval_nearest(part, 2, pts, order, N, MS_DEVICE_CPU, a, ka) == MS_OK);
    CHECK(ms_sdf_eval_nearest(part, 2, pts, order, N, MS_DEVICE_CUDA, b, kb) == MS_OK);
    CHECK(memcmp(a, b, N * sizeof *a) == 0);
    CHECK(memcmp(ka, kb, N * sizeof *ka) == 0);
    free(pts), free(a), free(b), free(ka), free(kb), free(order), free(cls);
    for (int k = 0; k < 2; k++) {
        ms_sdf_free(part[k]);
        ms_mesh_free(&m[k]);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "gpu") == 0) {
        if (ms_cuda_devices() <= 0) {
            printf("SKIP: no CUDA device\n");
            return 77;
        }
        test_sdf_shell(MS_DEVICE_CUDA);
        gpu_equals_cpu();
        gpu_nearest_equals_cpu();
        return check_summary();
    }
    test_all_configs();
    test_random_masks();
    wide_equals_binary();
    merge_equals_parts();
    for (int t = 1; t <= 2; t++) {
        ms_threads_set(t);
        test_sdf_shell(MS_DEVICE_CPU);
    }
    return check_summary();
}
