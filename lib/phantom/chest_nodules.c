/* Nodules for the chest phantom. Types cycle solid, part-solid, ground
 * glass; every fourth nodule (from the third) is put against the pleura. Diameters span
 * 4-30 mm (the LUNA16 range and above) with a mild lobulation, and the
 * edge is blended over one voxel to mimic partial volume. */
#include <math.h>

#include "chest.h"
#include "medseg/rng.h"

const char *ms_nodule_type_name(ms_nodule_type t)
{
    static const char *n[] = {"solid", "part-solid", "ground-glass"};
    return t <= MS_NODULE_GGO ? n[t] : "?";
}

static vec3 random_dir(ms_rng *r)
{
    for (;;) {
        double dz = ms_rng_range(r, -1, 1), dy = ms_rng_range(r, -1, 1), dx = ms_rng_range(r, -1, 1);   /* z, y, x */
        vec3 d = v3(dx, dy, dz);
        double l = v3_len(d);
        if (l > 0.1 && l <= 1) return v3_scale(d, 1 / l);
    }
}

/* The sphere of radius `rad` at c lies in the lung (checked on 26 rays). */
static int fits(const anatomy *a, vec3 c, double rad)
{
    if (!in_lung(a, c)) return 0;
    for (int dz = -1; dz <= 1; dz++)
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                if (!dx && !dy && !dz) continue;
                vec3 d = v3(dx, dy, dz);
                if (!in_lung(a, v3_add(c, v3_scale(d, rad / v3_len(d))))) return 0;
            }
    return 1;
}

/* A point just inside the pleura: walk out from the lung centre along d. */
static vec3 pleural_point(const anatomy *a, int side, vec3 d, double depth)
{
    vec3 c = a->lung_c[side];
    double lo = 0, hi = 400;
    for (int it = 0; it < 50; it++) {
        double mid = 0.5 * (lo + hi);
        if (in_lung(a, v3_add(c, v3_scale(d, mid)))) lo = mid;
        else hi = mid;
    }
    return v3_add(c, v3_scale(d, lo - depth));
}

static int clear_of(const ms_nodule_truth *prev, int n, vec3 c, double rad)
{
    for (int i = 0; i < n; i++) {
        vec3 p = v3(prev[i].center_lps[0], prev[i].center_lps[1], prev[i].center_lps[2]);
        if (v3_len(v3_sub(p, c)) < rad + prev[i].diameter_mm / 2 + 4) return 0;
    }
    return 1;
}

typedef struct {
    vec3 c;
    double rad, lob[4];
    ms_nodule_type type;
} nodule;

static double nodule_radius(const nodule *n, vec3 d)
{
    double th = acos(fmax(-1, fmin(1, d.z))), ph = atan2(d.y, d.x);
    return n->rad * (1 + 0.08 * sin(3 * th + n->lob[0]) * cos(2 * ph + n->lob[1]) +
                     0.05 * sin(2 * th + n->lob[2]) * sin(3 * ph + n->lob[3]));
}

static void paint(ms_volume *ct, ms_volume *labels, const nodule *n, int label)
{
    float *f = ct->data;
    uint8_t *lab = labels->data;
    double vox = fmin(ct->spacing[0], fmin(ct->spacing[1], ct->spacing[2]));
    int64_t lo[3], hi[3];
    phantom_box(ct, n->c, n->rad * 1.2 + 2 * vox, lo, hi);
    double solid = n->type == MS_NODULE_GGO ? -600 : 30, ggo = -620;
    for (int64_t k = lo[2]; k <= hi[2]; k++)
        for (int64_t j = lo[1]; j <= hi[1]; j++)
            for (int64_t i = lo[0]; i <= hi[0]; i++) {
                vec3 p = v3_sub(phantom_world(ct, i, j, k), n->c);
                double r = v3_len(p);
                double edge = r > 1e-9 ? nodule_radius(n, v3_scale(p, 1 / r)) : n->rad;
                double w = fmin(1, fmax(0, 0.5 + (edge - r) / vox));   /* partial volume */
                if (w <= 0) continue;
                double value = solid;
                if (n->type == MS_NODULE_PART_SOLID) value = r < 0.5 * edge ? 30 : ggo;
                size_t idx = ((size_t)k * (size_t)ct->dim[1] + (size_t)j) * (size_t)ct->dim[0] + (size_t)i;
                f[idx] = (float)(w * value + (1 - w) * f[idx]);
                if (r < edge) lab[idx] = (uint8_t)label;
            }
}

static void record(const ms_volume *ct, const nodule *n, int pleural, ms_nodule_truth *t)
{
    t->center_lps[0] = n->c.x, t->center_lps[1] = n->c.y, t->center_lps[2] = n->c.z;
    for (int a = 0; a < 3; a++)
        t->center_ijk[a] = (t->center_lps[a] - ct->affine[a][3]) / ct->affine[a][a];
    t->diameter_mm = 2 * n->rad;
    t->type = n->type;
    t->juxtapleural = pleural;
}

int place_nodules(ms_volume *ct, ms_volume *labels, const anatomy *a, uint64_t seed, int n, ms_nodule_truth *out)
{
    int placed = 0;
    for (int i = 0; i < n && placed < 250; i++) {
        ms_rng r;
        ms_rng_seed(&r, seed, 5000 + (uint64_t)i);
        nodule nd = {.type = (ms_nodule_type)(i % 3), .rad = 0.5 * ms_rng_range(&r, 4, 30)};
        for (int l = 0; l < 4; l++) nd.lob[l] = ms_rng_range(&r, 0, 2 * M_PI);
        int pleural = i % 4 == 2, ok = 0;
        for (int attempt = 0; attempt < 400 && !ok; attempt++) {
            int side = (int)(ms_rng_u64(&r) & 1);
            vec3 d = random_dir(&r);
            nd.c = pleural ? pleural_point(a, side, d, 0.6 * nd.rad)
                           : v3_add(a->lung_c[side], v3(d.x * a->lung_r.x * ms_rng_uniform(&r),
                                                         d.y * a->lung_r.y * ms_rng_uniform(&r),
                                                         d.z * a->lung_r.z * ms_rng_uniform(&r)));
            ok = (pleural ? in_lung(a, nd.c) : fits(a, nd.c, nd.rad + 3)) && clear_of(out, placed, nd.c, nd.rad);
            /* A nodule must also lie inside the grid. */
            double ijk[3] = {(nd.c.x - ct->affine[0][3]) / ct->affine[0][0], (nd.c.y - ct->affine[1][3]) / ct->affine[1][1],
                             (nd.c.z - ct->affine[2][3]) / ct->affine[2][2]};
            for (int ax = 0; ax < 3 && ok; ax++)
                ok = ijk[ax] - nd.rad / ct->spacing[ax] >= 0 && ijk[ax] + nd.rad / ct->spacing[ax] <= ct->dim[ax] - 1;
        }
        if (!ok) continue;
        paint(ct, labels, &nd, placed + 1);
        record(ct, &nd, pleural, &out[placed]);
        placed++;
    }
    return placed;
}
