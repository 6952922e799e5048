/* Heart-like label map for prepare-npz: ten touching structures built from
 * ellipsoids, a shell and tubes, in a unit frame scaled to the grid. Later
 * structures overwrite earlier ones where they meet, so the classes touch
 * without gaps, as in a real whole-heart segmentation. */
#include <math.h>
#include <string.h>

#include "medseg/rng.h"
#include "shapes.h"

typedef struct {
    ms_volume *v;
    double s;                   /* mm per unit */
    ms_rng *r;
    int n_classes;
} heart_ctx;

static vec3 jit(heart_ctx *h, double x, double y, double z)
{
    double j = 0.02;
    double jz = ms_rng_range(h->r, -j, j), jy = ms_rng_range(h->r, -j, j), jx = ms_rng_range(h->r, -j, j);   /* z, y, x */
    return v3_scale(v3(x + jx, y + jy, z + jz), h->s);
}

typedef struct {
    uint8_t *lab;
    uint8_t value;
} set_ctx;

static void set_label(void *ctx, size_t idx, double d)
{
    (void)d;
    set_ctx *c = ctx;
    c->lab[idx] = c->value;
}

/* Ellipsoid (centre c, semi-axes r) painted with `value`; with `only`
 * non-zero, only voxels currently labelled `only` change (a shell is an
 * ellipsoid painted only over background). */
static void ellipsoid(heart_ctx *h, vec3 c, vec3 r, int value, int only_bg)
{
    if (value > h->n_classes) return;
    uint8_t *lab = h->v->data;
    int64_t lo[3], hi[3];
    phantom_box(h->v, c, fmax(r.x, fmax(r.y, r.z)), lo, hi);
    for (int64_t k = lo[2]; k <= hi[2]; k++)
        for (int64_t j = lo[1]; j <= hi[1]; j++)
            for (int64_t i = lo[0]; i <= hi[0]; i++) {
                vec3 p = v3_sub(phantom_world(h->v, i, j, k), c);
                double e = (p.x / r.x) * (p.x / r.x) + (p.y / r.y) * (p.y / r.y) + (p.z / r.z) * (p.z / r.z);
                size_t idx = ((size_t)k * (size_t)h->v->dim[1] + (size_t)j) * (size_t)h->v->dim[0] + (size_t)i;
                if (e < 1 && (!only_bg || lab[idx] == 0)) lab[idx] = (uint8_t)value;
            }
}

static void tube(heart_ctx *h, const vec3 *pts, int n, double radius, int value)
{
    if (value > h->n_classes) return;
    set_ctx c = {h->v->data, (uint8_t)value};
    for (int i = 0; i + 1 < n; i++) raster_capsule(h->v, pts[i], pts[i + 1], radius * h->s, set_label, &c);
}

static double scale(heart_ctx *h) { return 1 + ms_rng_range(h->r, -0.05, 0.05); }

static void chambers(heart_ctx *h)
{
    double s = h->s;
    vec3 lv_c = jit(h, 0.12, 0.05, -0.12), lv_r = v3_scale(v3(0.20, 0.17, 0.28), s * scale(h));
    ellipsoid(h, jit(h, -0.18, -0.08, -0.12), v3_scale(v3(0.20, 0.16, 0.26), s * scale(h)), 5, 0);   /* RV */
    ellipsoid(h, jit(h, -0.21, 0.12, 0.12), v3_scale(v3(0.16, 0.15, 0.16), s * scale(h)), 4, 0);     /* RA */
    ellipsoid(h, jit(h, 0.10, 0.30, 0.18), v3_scale(v3(0.15, 0.13, 0.13), s * scale(h)), 2, 0);      /* LA */
    ellipsoid(h, lv_c, v3_add(lv_r, v3(0.07 * s, 0.07 * s, 0.07 * s)), 1, 0);                          /* wall */
    ellipsoid(h, lv_c, lv_r, 3, 0);                                                                     /* LV */
    ellipsoid(h, jit(h, 0.27, 0.22, 0.24), v3_scale(v3(0.07, 0.05, 0.05), s), 8, 1);                  /* LAA */
}

static void vessels(heart_ctx *h)
{
    vec3 aorta[] = {jit(h, 0.06, 0.02, 0.14), jit(h, 0.02, -0.02, 0.48), jit(h, -0.02, 0.14, 0.62),
                    jit(h, -0.02, 0.34, 0.52), jit(h, -0.02, 0.40, -0.30)};
    tube(h, aorta, 5, 0.075, 6);
    vec3 pa[] = {jit(h, -0.14, -0.16, 0.10), jit(h, -0.06, -0.16, 0.38), jit(h, 0.00, 0.02, 0.44)};
    tube(h, pa, 3, 0.065, 7);
    for (int s = -1; s <= 1; s += 2) {
        vec3 branch[] = {pa[2], jit(h, 0.30 * s, 0.08, 0.42)};
        tube(h, branch, 2, 0.05, 7);
    }
    for (int i = 0; i < 4; i++) {   /* pulmonary veins into the LA */
        double sx = i < 2 ? -1 : 1, sz = i % 2 ? 1 : -1;
        vec3 pv[] = {jit(h, 0.10 + 0.08 * sx, 0.34, 0.18 + 0.06 * sz), jit(h, 0.10 + 0.40 * sx, 0.46, 0.18 + 0.12 * sz)};
        tube(h, pv, 2, 0.035, 10);
    }
}

/* Coronary arteries run on the outer wall of the left ventricle. */
static void coronaries(heart_ctx *h)
{
    for (int branch = 0; branch < 3; branch++) {
        vec3 pts[8];
        double phase = branch * 2.1 + ms_rng_range(h->r, -0.2, 0.2);
        for (int i = 0; i < 8; i++) {
            double t = i / 7.0, ang = phase + 1.2 * t;
            pts[i] = jit(h, 0.12 + 0.29 * cos(ang) * (1 - 0.4 * t), 0.05 + 0.25 * sin(ang) * (1 - 0.4 * t), 0.18 - 0.5 * t);
        }
        tube(h, pts, 8, 0.022, 9);
    }
}

ms_status ms_phantom_heart(const ms_phantom_grid *g, int n_classes, ms_volume *labels)
{
    if (n_classes < 1 || n_classes > 10) return ms_fail(MS_ERR_USAGE, "--classes must be 1..10, not %d", n_classes);
    ms_status st = phantom_alloc(g, MS_U8, labels, "heart phantom");
    if (st) return st;
    ms_rng r;
    ms_rng_seed(&r, g->seed, 77);
    double fov = fmin(g->size[0] * g->spacing[0], fmin(g->size[1] * g->spacing[1], g->size[2] * g->spacing[2]));
    heart_ctx h = {labels, 0.62 * fov, &r, n_classes};
    chambers(&h);
    vessels(&h);
    coronaries(&h);
    return MS_OK;
}
