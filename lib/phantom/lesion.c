/* A soft-tissue CT with one irregular lesion: the union of a few random
 * ellipsoids, brighter or darker than the organ around it, plus noise. */
#include <math.h>
#include <string.h>

#include "medseg/rng.h"
#include "shapes.h"

typedef struct {
    vec3 c[4], r[4];
    int n;
} blob;

static int in_blob(const blob *b, vec3 p)
{
    for (int i = 0; i < b->n; i++) {
        vec3 d = v3_sub(p, b->c[i]);
        double e = (d.x / b->r[i].x) * (d.x / b->r[i].x) + (d.y / b->r[i].y) * (d.y / b->r[i].y) +
                   (d.z / b->r[i].z) * (d.z / b->r[i].z);
        if (e < 1) return 1;
    }
    return 0;
}

static void make_blob(ms_rng *r, double scale, blob *b)
{
    b->n = 3 + (int)(ms_rng_u64(r) % 2);
    for (int i = 0; i < b->n; i++) {
        double off = i ? 0.45 * scale : 0;
        /* Drawn z, y, x (never inside a call: argument order is unspecified). */
        double cz = ms_rng_range(r, -off, off), cy = ms_rng_range(r, -off, off), cx = ms_rng_range(r, -off, off);
        b->c[i] = v3(cx, cy, cz * 0.6);
        double rz = ms_rng_range(r, 0.3, 0.6), ry = ms_rng_range(r, 0.4, 0.8), rx = ms_rng_range(r, 0.4, 0.8);
        b->r[i] = v3(scale * rx, scale * ry, scale * rz);
    }
}

ms_status ms_phantom_lesion(const ms_phantom_grid *g, ms_volume *ct, ms_volume *mask)
{
    memset(mask, 0, sizeof *mask);
    ms_status st = phantom_alloc(g, MS_I16, ct, "lesion phantom");
    if (!st) st = phantom_alloc(g, MS_U8, mask, "lesion phantom mask");
    if (st) {
        ms_volume_free(ct);
        return st;
    }
    ms_rng r;
    ms_rng_seed(&r, g->seed, 31);
    double fx = g->size[0] * g->spacing[0], fy = g->size[1] * g->spacing[1], fz = g->size[2] * g->spacing[2];
    blob b;
    make_blob(&r, 0.12 * fmin(fx, fmin(fy, fz * 2)), &b);
    double organ = 60, lesion = ms_rng_uniform(&r) < 0.5 ? 110 : 15;
    int16_t *f = ct->data;
    uint8_t *m = mask->data;
    for (int64_t k = 0; k < ct->dim[2]; k++) {
        ms_rng nr;
        ms_rng_seed(&nr, g->seed, 100 + (uint64_t)k);
        for (int64_t j = 0; j < ct->dim[1]; j++)
            for (int64_t i = 0; i < ct->dim[0]; i++) {
                vec3 p = phantom_world(ct, i, j, k);
                double e = (p.x / (0.45 * fx)) * (p.x / (0.45 * fx)) + (p.y / (0.42 * fy)) * (p.y / (0.42 * fy));
                double hu = e >= 1 ? -1000 : e > 0.8 ? -90 : organ;
                size_t idx = ((size_t)k * (size_t)ct->dim[1] + (size_t)j) * (size_t)ct->dim[0] + (size_t)i;
                if (in_blob(&b, p)) {
                    hu = lesion;
                    m[idx] = 1;
                }
                f[idx] = (int16_t)fmin(3071, fmax(-1024, nearbyint(hu + 12 * ms_rng_normal(&nr))));
            }
    }
    return MS_OK;
}
