/* Drawing points: uniformly on the surface (area-weighted over classes),
 * uniformly in the normalised cube, and Gaussian shells around the surface. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/rng.h"
#include "shape_internal.h"

typedef struct {
    double *cum;            /* running area over all triangles */
    int64_t total;
    ms_mesh *const *mesh;
    const int *cls;
    int n_mesh;
} area_table;

static ms_status area_build(area_table *a, ms_mesh *const *mesh, const int *cls, int n_mesh)
{
    memset(a, 0, sizeof *a);
    a->mesh = mesh;
    a->cls = cls;
    a->n_mesh = n_mesh;
    for (int m = 0; m < n_mesh; m++) a->total += mesh[m]->nt;
    if (!a->total) return ms_fail(MS_ERR_INPUT, "no surface to sample");
    ms_status st = ms_alloc_array((void **)&a->cum, (size_t)a->total, sizeof *a->cum, 0, "surface areas");
    if (st) return st;
    double run = 0, nrm[3];
    int64_t i = 0;
    for (int m = 0; m < n_mesh; m++)
        for (int64_t t = 0; t < mesh[m]->nt; t++) {
            run += ms_mesh_face_normal(mesh[m], t, nrm);
            a->cum[i++] = run;
        }
    return MS_OK;
}

/* The triangle (mesh m, index t) whose running area first exceeds u. */
static void area_pick(const area_table *a, double u, int *m, int64_t *t)
{
    int64_t lo = 0, hi = a->total - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (a->cum[mid] > u) hi = mid;
        else lo = mid + 1;
    }
    int k = 0;
    while (lo >= a->mesh[k]->nt) lo -= a->mesh[k++]->nt;
    *m = k;
    *t = lo;
}

ms_status ms_surface_sample(ms_mesh *const *mesh, const int *cls_of_mesh, int n_mesh, int C, int64_t n,
                            uint64_t seed, uint64_t stream, float *pts, float *labels, float *normals, int32_t *cls)
{
    area_table a;
    ms_status st = area_build(&a, mesh, cls_of_mesh, n_mesh);
    if (st) return st;
    ms_rng g;
    ms_rng_seed(&g, seed, stream);
    double total = a.cum[a.total - 1];
    if (labels) memset(labels, 0, (size_t)n * (size_t)C * sizeof *labels);
    for (int64_t i = 0; i < n; i++) {
        int m;
        int64_t t;
        area_pick(&a, ms_rng_uniform(&g) * total, &m, &t);
        /* Uniform on the triangle: sqrt of the first number spreads the
         * second edge's weight linearly (Osada et al. 2002). */
        double r1 = sqrt(ms_rng_uniform(&g)), r2 = ms_rng_uniform(&g);
        double wa = 1 - r1, wb = r1 * (1 - r2), wc = r1 * r2;
        const int32_t *f = &mesh[m]->t[3 * t];
        const double *A = &mesh[m]->v[3 * (int64_t)f[0]], *B = &mesh[m]->v[3 * (int64_t)f[1]],
                     *Cc = &mesh[m]->v[3 * (int64_t)f[2]];
        for (int k = 0; k < 3; k++) pts[3 * i + k] = (float)(wa * A[k] + wb * B[k] + wc * Cc[k]);
        int c = cls_of_mesh[m];
        if (labels) labels[i * C + (c - 1)] = 1.0f;
        if (cls) cls[i] = c;
        if (normals) {
            double nrm[3];
            ms_mesh_face_normal(mesh[m], t, nrm);
            for (int k = 0; k < 3; k++) normals[3 * i + k] = (float)nrm[k];
        }
    }
    free(a.cum);
    return MS_OK;
}
