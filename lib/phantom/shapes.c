#include "shapes.h"

#include <math.h>

vec3 v3(double x, double y, double z) { return (vec3){x, y, z}; }
vec3 v3_add(vec3 a, vec3 b) { return v3(a.x + b.x, a.y + b.y, a.z + b.z); }
vec3 v3_sub(vec3 a, vec3 b) { return v3(a.x - b.x, a.y - b.y, a.z - b.z); }
vec3 v3_scale(vec3 a, double s) { return v3(a.x * s, a.y * s, a.z * s); }
double v3_dot(vec3 a, vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
double v3_len(vec3 a) { return sqrt(v3_dot(a, a)); }

ms_status phantom_alloc(const ms_phantom_grid *g, ms_dtype t, ms_volume *v, const char *what)
{
    for (int a = 0; a < 3; a++)
        if (!(g->spacing[a] > 0) || !isfinite(g->spacing[a]))
            return ms_fail(MS_ERR_USAGE, "%s: spacing must be positive", what);
    ms_status st = ms_volume_alloc(v, g->size, t, what);
    if (st) return st;
    double a[4][4] = {{0}};
    for (int c = 0; c < 3; c++) {
        a[c][c] = g->spacing[c];
        a[c][3] = -0.5 * (double)(g->size[c] - 1) * g->spacing[c];
    }
    a[3][3] = 1;
    ms_volume_set_affine(v, a);
    return MS_OK;
}

vec3 phantom_world(const ms_volume *v, int64_t i, int64_t j, int64_t k)
{
    return v3(v->affine[0][3] + (double)i * v->affine[0][0], v->affine[1][3] + (double)j * v->affine[1][1],
              v->affine[2][3] + (double)k * v->affine[2][2]);
}

void phantom_box(const ms_volume *v, vec3 c, double r, int64_t lo[3], int64_t hi[3])
{
    double cc[3] = {c.x, c.y, c.z};
    for (int a = 0; a < 3; a++) {
        double s = v->affine[a][a], o = v->affine[a][3];
        double i0 = floor((cc[a] - r - o) / s), i1 = ceil((cc[a] + r - o) / s);
        lo[a] = i0 < 0 ? 0 : (int64_t)i0;
        hi[a] = i1 > (double)(v->dim[a] - 1) ? v->dim[a] - 1 : (int64_t)i1;
    }
}

double seg_dist(vec3 p, vec3 a, vec3 b)
{
    vec3 ab = v3_sub(b, a), ap = v3_sub(p, a);
    double l2 = v3_dot(ab, ab), t = l2 > 0 ? v3_dot(ap, ab) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return v3_len(v3_sub(ap, v3_scale(ab, t)));
}

void raster_capsule(const ms_volume *v, vec3 a, vec3 b, double radius, voxel_fn fn, void *ctx)
{
    vec3 mid = v3_scale(v3_add(a, b), 0.5);
    double reach = 0.5 * v3_len(v3_sub(b, a)) + radius;
    int64_t lo[3], hi[3];
    phantom_box(v, mid, reach, lo, hi);
    for (int64_t k = lo[2]; k <= hi[2]; k++)
        for (int64_t j = lo[1]; j <= hi[1]; j++)
            for (int64_t i = lo[0]; i <= hi[0]; i++) {
                double d = seg_dist(phantom_world(v, i, j, k), a, b);
                if (d <= radius) fn(ctx, ((size_t)k * (size_t)v->dim[1] + (size_t)j) * (size_t)v->dim[0] + (size_t)i, d);
            }
}
