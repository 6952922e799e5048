/* Measurements of a segmented nodule, as radiologists and the guidelines
 * take them:
 *  - long axis: the longest chord of the mask on its largest axial slice;
 *    short axis: its width perpendicular to that; diameter: their mean
 *    (Lung-RADS, Fleischner). Widths count whole voxels (+1 mm), since a
 *    chord between voxel centres misses half a voxel at each end.
 *  - volume: voxels (1 mm^3); sphericity: pi^(1/3) (6V)^(2/3) / A with V
 *    and A of the marching-cubes surface (1 for a ball).
 *  - type: solid when at least half the voxels are above -300 HU (not
 *    counting those within 2 mm of the chest wall's partial volume), part-
 *    solid when the solid part still measures 2 mm or more across, else
 *    ground glass; solid diameter: the same axes on the solid voxels.
 *  - spiculation: share of the volume an opening with a ball of 0.3 of the
 *    nodule's radius removes (spicules are thin), mapped so 5% -> 0 and
 *    30% -> 1.
 *  - elongation: sqrt of the largest over the smallest variance of the
 *    voxel positions (vessel pieces are long).
 *  - juxtapleural: the mask touches voxels outside the lungs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/mesh.h"
#include "nodule.h"

#define SOLID_HU -300.0

static void slice_axes(const uint8_t *m, const int64_t d[3], int64_t z, double *lng, double *shrt)
{
    int64_t nx = d[0], ny = d[1], cap = nx * ny, n = 0;
    int *px = malloc((size_t)cap * 2 * sizeof *px);
    *lng = *shrt = 0;
    if (!px) return;
    const uint8_t *s = m + (size_t)z * (size_t)nx * (size_t)ny;
    for (int64_t y = 0; y < ny; y++)
        for (int64_t x = 0; x < nx; x++)
            if (s[y * nx + x]) px[2 * n] = (int)x, px[2 * n + 1] = (int)y, n++;
    if (!n) {
        free(px);
        return;
    }
    double best = -1, ux = 1, uy = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i + 1; j < n; j++) {
            double dx = px[2 * j] - px[2 * i], dy = px[2 * j + 1] - px[2 * i + 1], l = dx * dx + dy * dy;
            if (l > best) best = l, ux = dx, uy = dy;
        }
    double len = sqrt(fmax(best, 0));
    if (len > 0) ux /= len, uy /= len;
    double lo = 1e30, hi = -1e30;
    for (int64_t i = 0; i < n; i++) {
        double p = -uy * px[2 * i] + ux * px[2 * i + 1];
        lo = fmin(lo, p), hi = fmax(hi, p);
    }
    *lng = len + 1, *shrt = hi - lo + 1;
    free(px);
}

/* Long and short axes on the slice with the most voxels. */
static void axes(const uint8_t *m, const int64_t d[3], double *lng, double *shrt)
{
    int64_t best = -1, bz = 0, plane = d[0] * d[1];
    for (int64_t z = 0; z < d[2]; z++) {
        int64_t c = 0;
        for (int64_t i = 0; i < plane; i++) c += m[z * plane + i] != 0;
        if (c > best) best = c, bz = z;
    }
    slice_axes(m, d, bz, lng, shrt);
}

static double sphericity(const uint8_t *m, const int64_t d[3])
{
    ms_region r = {m, {d[0], d[1], d[2]}, {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}, 0,
                   {0, 0, 0}, {d[0] - 1, d[1] - 1, d[2] - 1}};
    ms_mesh mesh = {0};
    if (ms_marching_cubes(&r, &mesh)) return NAN;
    double a = ms_mesh_area(&mesh), v = fabs(ms_mesh_volume(&mesh));
    ms_mesh_free(&mesh);
    return a > 0 ? fmin(1.0, cbrt(M_PI) * pow(6 * v, 2.0 / 3.0) / a) : NAN;
}

static double spiculation(const uint8_t *m, const int64_t d[3], double volume)
{
    size_t n = (size_t)d[0] * (size_t)d[1] * (size_t)d[2];
    uint8_t *o = malloc(n);
    if (!o) return NAN;
    memcpy(o, m, n);
    double r = cbrt(3 * volume / (4 * M_PI)), kept = 0;
    if (morph_open(o, d, fmax(1.0, 0.3 * r))) {
        free(o);
        return NAN;
    }
    for (size_t i = 0; i < n; i++) kept += o[i] && m[i];
    free(o);
    double removed = 1 - kept / volume;
    return fmin(1, fmax(0, (removed - 0.05) / 0.25));
}


/* Hessian of the lung image (outside the lungs: the lungs' median) at
 * point c, smoothed by a Gaussian of sigma mm: the weighted sum of the
 * image with the Gaussian's second derivatives. Returns |l3|/|l1| for
 * eigenvalues l1 <= l2 <= l3 when all are negative (1: a ball, near 0: a
 * tube or plate), else 0. */
static double blob_ratio(const float *hu, const uint8_t *lungs, const int64_t dim[3], double bg, const double c[3],
                         double sigma)
{
    int64_t r = (int64_t)ceil(3 * sigma), lo[3], hi[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = (int64_t)floor(c[a]) - r, hi[a] = (int64_t)floor(c[a]) + r + 1;
        lo[a] = lo[a] < 0 ? 0 : lo[a], hi[a] = hi[a] > dim[a] ? dim[a] : hi[a];
    }
    double h[6] = {0}, wsum = 0, s2 = sigma * sigma;
    for (int pass = 0; pass < 2; pass++)
        for (int64_t z = lo[2]; z < hi[2]; z++)
            for (int64_t y = lo[1]; y < hi[1]; y++)
                for (int64_t x = lo[0]; x < hi[0]; x++) {
                    double p[3] = {(double)x - c[0], (double)y - c[1], (double)z - c[2]};
                    double g = exp(-0.5 * (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]) / s2);
                    if (pass == 0) {
                        wsum += g;
                        continue;
                    }
                    size_t i = ((size_t)z * (size_t)dim[1] + (size_t)y) * (size_t)dim[0] + (size_t)x;
                    double v = lungs[i] ? fmin(fmax(hu[i], -1000.0), 200.0) : bg;
                    g /= wsum * s2 * s2;
                    h[0] += v * g * (p[0] * p[0] - s2), h[1] += v * g * (p[1] * p[1] - s2);
                    h[2] += v * g * (p[2] * p[2] - s2), h[3] += v * g * p[0] * p[1];
                    h[4] += v * g * p[0] * p[2], h[5] += v * g * p[1] * p[2];
                }
    double l[3];
    ms_eig3_sym(h[0], h[1], h[2], h[3], h[4], h[5], l);
    return l[2] < 0 ? l[2] / l[0] : 0;
}

static int touches_outside(const uint8_t *m, const uint8_t *lung, const int64_t d[3])
{
    size_t i = 0, sy = (size_t)d[0], sz = (size_t)d[0] * (size_t)d[1];
    for (int64_t z = 0; z < d[2]; z++)
        for (int64_t y = 0; y < d[1]; y++)
            for (int64_t x = 0; x < d[0]; x++, i++) {
                if (!m[i]) continue;
                if ((x > 0 && !lung[i - 1]) || (x < d[0] - 1 && !lung[i + 1]) || (y > 0 && !lung[i - sy]) ||
                    (y < d[1] - 1 && !lung[i + sy]) || (z > 0 && !lung[i - sz]) || (z < d[2] - 1 && !lung[i + sz]))
                    return 1;
            }
    return 0;
}

static int majority_side(const uint8_t *m, const uint8_t *lung, size_t n)
{
    int64_t c[3] = {0};
    for (size_t i = 0; i < n; i++)
        if (m[i] && lung[i] <= 2) c[lung[i]]++;
    return c[1] >= c[2] ? (c[1] ? 1 : 0) : 2;
}

ms_status ms_segment_nodule(const float *hu, const uint8_t *lungs, const int64_t dim[3], double bg, const ms_blob *b,
                            ms_nodule_seg *s)
{
    memset(s, 0, sizeof *s);
    double core;
    ms_status st = nodule_grow(hu, lungs, dim, bg, b, s, &core);
    if (st || !s->mask) return st;
    double grown = s->grown, grown_low = s->grown_low;
    int64_t d[3] = {s->box.hi[0] - s->box.lo[0], s->box.hi[1] - s->box.lo[1], s->box.hi[2] - s->box.lo[2]};
    size_t n = lbox_nvox(&s->box);
    float *h = crop_f32(hu, dim, &s->box);
    uint8_t *lung = crop_u8(lungs, dim, &s->box), *solid = malloc(n);
    if (!h || !lung || !solid) {
        free(h), free(lung), free(solid);
        return ms_fail(MS_ERR_NOMEM, "nodule: out of memory");
    }
    /* Solid voxels within 2 mm of the chest wall are the wall's partial
     * volume, not the nodule's solid part. */
    uint8_t *inner = malloc(n);
    if (!inner) {
        free(h), free(lung), free(solid);
        return ms_fail(MS_ERR_NOMEM, "nodule: out of memory");
    }
    for (size_t q = 0; q < n; q++) inner[q] = lung[q] != 0;
    if ((st = morph_erode(inner, d, 2.0))) {
        free(h), free(lung), free(solid), free(inner);
        return st;
    }
    double sum = 0, c[3] = {0}, nsolid = 0, vol = 0;
    size_t i = 0;
    for (int64_t z = 0; z < d[2]; z++)
        for (int64_t y = 0; y < d[1]; y++)
            for (int64_t x = 0; x < d[0]; x++, i++) {
                solid[i] = s->mask[i] && inner[i] && h[i] > SOLID_HU;
                if (!s->mask[i]) continue;
                vol++, sum += h[i], nsolid += solid[i];
                c[0] += (double)x, c[1] += (double)y, c[2] += (double)z;
            }
    for (int a = 0; a < 3; a++) c[a] /= vol;
    for (int a = 0; a < 3; a++) s->center[a] = c[a] + (double)s->box.lo[a];
    s->grown = grown, s->grown_low = grown_low;
    s->volume = vol, s->mean_hu = sum / vol, s->contrast = s->mean_hu - bg;
    s->solid_fraction = nsolid / vol;
    axes(s->mask, d, &s->long_axis, &s->short_axis);
    s->diameter = 0.5 * (s->long_axis + s->short_axis);
    double sl = 0, ss = 0;
    if (nsolid > 0) axes(solid, d, &sl, &ss);
    s->solid_diameter = 0.5 * (sl + ss);
    s->type = s->solid_fraction >= 0.5 ? MS_NTYPE_SOLID : s->solid_diameter >= 2.0 ? MS_NTYPE_PART_SOLID : MS_NTYPE_GGO;
    if (s->type == MS_NTYPE_SOLID) s->solid_diameter = s->diameter;
    s->sphericity = sphericity(s->mask, d);
    s->spiculation = spiculation(s->mask, d, vol);
    s->elongation = mask_elongation(s->mask, d);
    s->juxtapleural = touches_outside(s->mask, lung, d);
    double sa = fmax(1.0, cbrt(3 * vol / (4 * M_PI)) / sqrt(3.0));
    s->blobness = fmin(blob_ratio(hu, lungs, dim, bg, s->center, sa), blob_ratio(hu, lungs, dim, bg, s->center, 1.6 * sa));
    s->side = majority_side(s->mask, lung, n);
    free(h), free(lung), free(solid), free(inner);
    return MS_OK;
}

void ms_nodule_seg_free(ms_nodule_seg *s)
{
    free(s->mask);
    s->mask = NULL;
}
