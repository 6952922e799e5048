/* Synthetic chest CT. All anatomy is scaled to the field of view so any
 * --size/--spacing gives a plausible chest: an elliptic body with a fat
 * layer, two lungs (ellipsoids cut by the heart), spine, trachea splitting
 * into main bronchi, a vessel tree per lung, and nodules of three types
 * inside the lungs, some against the pleura. Values are HU with Gaussian
 * noise; the same seed gives the same bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/rng.h"
#include "medseg/threads.h"
#include "chest.h"

enum { T_AIR = 0, T_FAT, T_MUSCLE, T_BONE, T_LUNG, T_HEART };


static void make_anatomy(const ms_volume *v, anatomy *a)
{
    double fx = v->dim[0] * v->spacing[0], fy = v->dim[1] * v->spacing[1], fz = v->dim[2] * v->spacing[2];
    a->W = 0.44 * fx, a->D = 0.32 * fy, a->H = 0.5 * fz;
    for (int s = 0; s < 2; s++) a->lung_c[s] = v3((s ? 1 : -1) * 0.45 * a->W, 0.05 * a->D, 0.05 * fz);
    a->lung_r = v3(0.36 * a->W, 0.78 * a->D, 0.44 * fz);
    a->heart_c = v3(0.12 * a->W, -0.28 * a->D, -0.18 * fz);
    a->heart_r = v3(0.34 * a->W, 0.45 * a->D, 0.22 * fz);
}

double ellip(vec3 p, vec3 c, vec3 r)
{
    double x = (p.x - c.x) / r.x, y = (p.y - c.y) / r.y, z = (p.z - c.z) / r.z;
    return x * x + y * y + z * z;
}

int in_lung(const anatomy *a, vec3 p)
{
    if (ellip(p, a->heart_c, a->heart_r) < 1.15) return 0;
    return ellip(p, a->lung_c[0], a->lung_r) < 1 || ellip(p, a->lung_c[1], a->lung_r) < 1;
}

static int tissue(const anatomy *a, vec3 p)
{
    double e = (p.x / a->W) * (p.x / a->W) + (p.y / a->D) * (p.y / a->D);
    if (e >= 1) return T_AIR;
    double inner = (1 - 14.0 / a->D);
    if (e > inner * inner) return T_FAT;
    double sx = p.x / (0.10 * a->D), sy = (p.y - 0.72 * a->D) / (0.13 * a->D);
    if (sx * sx + sy * sy < 1) return T_BONE;
    if (in_lung(a, p)) return T_LUNG;
    if (ellip(p, a->heart_c, a->heart_r) < 1) return T_HEART;
    return T_MUSCLE;
}

typedef struct {
    ms_volume *ct;
    uint8_t *lung;
    const anatomy *a;
} base_job;

static void paint_base(void *ctx, size_t k0, size_t k1)
{
    static const float hu[] = {-1000, -100, 40, 450, -850, 45};
    base_job *j = ctx;
    float *f = j->ct->data;
    size_t nx = (size_t)j->ct->dim[0], ny = (size_t)j->ct->dim[1];
    for (size_t k = k0; k < k1; k++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                size_t idx = (k * ny + y) * nx + x;
                int t = tissue(j->a, phantom_world(j->ct, (int64_t)x, (int64_t)y, (int64_t)k));
                f[idx] = hu[t];
                j->lung[idx] = t == T_LUNG;
            }
}

typedef struct {
    float *f;
    const uint8_t *lung;
    float value;
    int lung_only;
} fill_ctx;

static void fill_voxel(void *ctx, size_t idx, double dist)
{
    (void)dist;
    fill_ctx *c = ctx;
    if (!c->lung_only || c->lung[idx]) c->f[idx] = c->value;
}

static void airways(ms_volume *ct, const uint8_t *lung, const anatomy *a)
{
    fill_ctx wall = {ct->data, lung, 40, 0}, air = {ct->data, lung, -1000, 0};
    vec3 top = v3(0, -0.15 * a->D, a->H), carina = v3(0, -0.05 * a->D, 0.15 * a->H);
    vec3 ends[2] = {v3(-0.4 * a->W, 0.05 * a->D, -0.05 * a->H), v3(0.4 * a->W, 0.05 * a->D, -0.08 * a->H)};
    raster_capsule(ct, top, carina, 10, fill_voxel, &wall);
    raster_capsule(ct, top, carina, 8, fill_voxel, &air);
    for (int s = 0; s < 2; s++) {
        raster_capsule(ct, carina, ends[s], 6.5, fill_voxel, &wall);
        raster_capsule(ct, carina, ends[s], 5, fill_voxel, &air);
    }
}

/* Recursive branching: each segment spawns two thinner children. */
static void vessel_tree(ms_volume *ct, const uint8_t *lung, ms_rng *r, vec3 p, vec3 dir, double radius,
                        double len, int depth)
{
    if (depth == 0 || radius < 0.6) return;
    vec3 q = v3_add(p, v3_scale(dir, len));
    fill_ctx c = {ct->data, lung, 40, 1};
    raster_capsule(ct, p, q, radius, fill_voxel, &c);
    for (int child = 0; child < 2; child++) {
        /* Drawn z, y, x: the order these phantoms have always used
         * (argument order is unspecified in C, so never draw inside a call). */
        double jz = ms_rng_range(r, -0.7, 0.7), jy = ms_rng_range(r, -0.7, 0.7), jx = ms_rng_range(r, -0.7, 0.7);
        vec3 d = v3_add(dir, v3(jx, jy, jz));
        d = v3_scale(d, 1.0 / v3_len(d));
        vessel_tree(ct, lung, r, q, d, radius * 0.72, len * 0.8, depth - 1);
    }
}

static void vessels(ms_volume *ct, const uint8_t *lung, const anatomy *a, uint64_t seed)
{
    for (int s = 0; s < 2; s++) {
        ms_rng r;
        ms_rng_seed(&r, seed, 1000 + (uint64_t)s);
        vec3 hilum = v3((s ? 1 : -1) * 0.3 * a->W, 0.05 * a->D, 0);
        for (int trunk = 0; trunk < 4; trunk++) {
            double dz = ms_rng_range(&r, -1, 1), dy = ms_rng_range(&r, -0.6, 0.6), dx = ms_rng_range(&r, 0.3, 1);
            vec3 d = v3((s ? 1 : -1) * dx, dy, dz);
            d = v3_scale(d, 1.0 / v3_len(d));
            vessel_tree(ct, lung, &r, hilum, d, 4.0, 0.22 * a->W, 5);
        }
    }
}

typedef struct {
    ms_volume *ct;
    uint64_t seed;
} noise_job;

static void add_noise(void *ctx, size_t k0, size_t k1)
{
    noise_job *j = ctx;
    size_t per = (size_t)j->ct->dim[0] * (size_t)j->ct->dim[1];
    float *f = j->ct->data;
    for (size_t k = k0; k < k1; k++) {
        ms_rng r;
        ms_rng_seed(&r, j->seed, 1u << 20 | k);   /* one stream per slice */
        for (size_t i = 0; i < per; i++) f[k * per + i] += (float)(18.0 * ms_rng_normal(&r));
    }
}

static ms_status to_int16(ms_volume *ct)
{
    ms_volume out;
    ms_status st = ms_volume_like(&out, ct, MS_I16);
    if (st) return st;
    const float *f = ct->data;
    int16_t *o = out.data;
    size_t n = ms_volume_nvox(ct);
    /* The range a 12-bit CT stores: -1024 .. 3071 HU. */
    for (size_t i = 0; i < n; i++) o[i] = (int16_t)fmin(3071, fmax(-1024, nearbyint(f[i])));
    ms_volume_free(ct);
    *ct = out;
    return MS_OK;
}

ms_status ms_phantom_chest(const ms_phantom_grid *g, int n_nodules, ms_volume *ct, ms_volume *labels,
                           ms_nodule_truth *nodules, int *n_placed)
{
    memset(ct, 0, sizeof *ct);
    memset(labels, 0, sizeof *labels);
    uint8_t *lung = NULL;
    ms_status st = phantom_alloc(g, MS_F32, ct, "chest phantom");
    if (!st) st = phantom_alloc(g, MS_U8, labels, "chest phantom labels");
    if (!st) st = ms_alloc_array((void **)&lung, ms_volume_nvox(ct), 1, 1, "chest phantom");
    if (st) goto fail;
    anatomy a;
    make_anatomy(ct, &a);
    base_job bj = {ct, lung, &a};
    ms_parallel_for((size_t)ct->dim[2], 1, paint_base, &bj);
    airways(ct, lung, &a);
    vessels(ct, lung, &a, g->seed);
    *n_placed = place_nodules(ct, labels, &a, g->seed, n_nodules, nodules);
    noise_job nj = {ct, g->seed};
    ms_parallel_for((size_t)ct->dim[2], 1, add_noise, &nj);
    free(lung);
    lung = NULL;
    if ((st = to_int16(ct))) goto fail;
    return MS_OK;
fail:
    free(lung);
    ms_volume_free(ct);
    ms_volume_free(labels);
    return st;
}
