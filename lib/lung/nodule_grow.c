/* One candidate to one nodule mask, on a crop of the 1 mm grid.
 *
 * The threshold is half-way between the lungs' median HU and the mean HU
 * of the candidate's core (radius half its scale), so a partial-volume
 * edge is cut at its middle whatever the nodule's density. If the shell
 * just outside what grew is itself denser than lung (its upper quartile
 * 60 HU above: the ground-glass halo of a part-solid nodule), the nodule
 * is grown again at half-way to the halo. Growth stays in the lung mask
 * and in a ball of twice the candidate's radius; a ground-glass core's
 * growth also stays below a ceiling (ground_glass_top). Attached vessels are cut by an opening with a ball
 * of three quarters of the nodule's inscribed radius (a vessel thinner than
 * that cannot hold the ball), keeping the part at the candidate and the
 * voxels within 1 mm of it (see cut_vessels for junctions). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/metrics.h"
#include "nodule.h"

/* A shell this much denser than lung is a ground-glass halo (part-solid). */
#define HALO_HU 60.0
#define GGO_CONTRAST 400.0
#define GGO_TOP 300.0
#define SMALL_CORE_VOX 33.5   /* a ball 4 mm across, on the 1 mm grid */
#define RMAX 50.0   /* mm: masses up to 10 cm across; Lung-RADS sizes nodules to 30 mm */

typedef struct {
    const float *hu;
    const uint8_t *allowed;
    int64_t d[3];
    double c[3], rmax;
    double top;   /* growth stays at or below this HU */
} crop_ctx;

static size_t at(const int64_t d[3], int64_t x, int64_t y, int64_t z)
{
    return ((size_t)z * (size_t)d[1] + (size_t)y) * (size_t)d[0] + (size_t)x;
}

static double dist2(const double c[3], int64_t x, int64_t y, int64_t z)
{
    return (x - c[0]) * (x - c[0]) + (y - c[1]) * (y - c[1]) + (z - c[2]) * (z - c[2]);
}

/* Mean HU within radius r of the centre (at least the nearest voxel). */
static double core_mean(const crop_ctx *k, double r, int64_t *seed)
{
    double s = 0, best = -1e9, r2 = fmax(r * r, 0.75);
    int64_t lo[3], hi[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = (int64_t)floor(k->c[a] - r - 1), hi[a] = (int64_t)ceil(k->c[a] + r + 1);
        lo[a] = lo[a] < 0 ? 0 : lo[a], hi[a] = hi[a] > k->d[a] - 1 ? k->d[a] - 1 : hi[a];
    }
    int n = 0;
    for (int64_t z = lo[2]; z <= hi[2]; z++)
        for (int64_t y = lo[1]; y <= hi[1]; y++)
            for (int64_t x = lo[0]; x <= hi[0]; x++) {
                if (dist2(k->c, x, y, z) > r2) continue;
                double v = k->hu[at(k->d, x, y, z)];
                s += v, n++;
                if (v > best) best = v, *seed = (int64_t)at(k->d, x, y, z);
            }
    return n ? s / n : -1e9;
}

/* 26-connected flood from seed (thin oblique vessels cross thick slices
 * only diagonally) over hu >= t inside allowed and the ball;
 * *rim counts voxels within 1 mm of the ball's surface. */
static int64_t flood(const crop_ctx *k, int64_t seed, double t, uint8_t *m, int64_t *stack, int64_t *rim)
{
    *rim = 0;
    size_t n = (size_t)k->d[0] * (size_t)k->d[1] * (size_t)k->d[2];
    memset(m, 0, n);
    if (k->hu[seed] < t || !k->allowed[seed]) return 0;
    int64_t top = 0, count = 0;
    m[seed] = 1;
    stack[top++] = seed;
    while (top) {
        int64_t p = stack[--top];
        count++;
        int64_t x = p % k->d[0], y = p / k->d[0] % k->d[1], z = p / (k->d[0] * k->d[1]);
        *rim += dist2(k->c, x, y, z) > (k->rmax - 1) * (k->rmax - 1);
        for (int dz = -1; dz <= 1; dz++)
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int64_t X = x + dx, Y = y + dy, Z = z + dz;
                    if (X < 0 || Y < 0 || Z < 0 || X >= k->d[0] || Y >= k->d[1] || Z >= k->d[2]) continue;
                    size_t q = at(k->d, X, Y, Z);
                    if (m[q] || !k->allowed[q] || k->hu[q] < t || k->hu[q] > k->top ||
                        dist2(k->c, X, Y, Z) > k->rmax * k->rmax)
                        continue;
                    m[q] = 1;
                    stack[top++] = (int64_t)q;
                }
    }
    return count;
}

/* Upper quartile of the HU of the allowed voxels 1 to `outer` mm outside
 * m: the level of a halo that fills part of that shell. */
static double shell_quartile(const crop_ctx *k, const uint8_t *m, double outer, uint8_t *tmp)
{
    size_t n = (size_t)k->d[0] * (size_t)k->d[1] * (size_t)k->d[2];
    memcpy(tmp, m, n);
    if (morph_dilate(tmp, k->d, outer)) return NAN;
    uint8_t *inner = malloc(n);
    if (!inner) return NAN;
    memcpy(inner, m, n);
    if (morph_dilate(inner, k->d, 1.0)) {
        free(inner);
        return NAN;
    }
    for (size_t i = 0; i < n; i++) tmp[i] = tmp[i] && !inner[i] && k->allowed[i];
    free(inner);
    return masked_percentile(k->hu, tmp, n, 0.75);
}

/* A ground-glass core (under GGO_CONTRAST above lung) grows only through
 * voxels up to GGO_TOP above it: a vessel or bronchial wall it touches is
 * solid and not part of it, and no opening can cut it off (the nodule is
 * not denser than its surroundings' edges). Solid cores grow without a
 * ceiling, so calcium stays in. */
static double ground_glass_top(double core, double bg)
{
    return core - bg < GGO_CONTRAST ? core + GGO_TOP : INFINITY;
}

static int is_halo(double shell, double core, double bg) { return shell - bg > HALO_HU && core - shell > 150; }

/* The halo level around m (NAN: none). A core under 4 mm across (a 5 mm
 * part-solid nodule's) has a halo too thin to reach the upper quartile of
 * the 1-3 mm shell, so its 1-2 mm shell is asked as well; larger cores
 * only the wider shell, which a vessel's partial volume does not fill. */
static double halo_level(const crop_ctx *k, const uint8_t *m, int64_t grown, double core, double bg, uint8_t *tmp)
{
    double wide = shell_quartile(k, m, 3.0, tmp);
    if (is_halo(wide, core, bg)) return wide;
    if ((double)grown >= SMALL_CORE_VOX) return NAN;
    double thin = shell_quartile(k, m, 2.0, tmp);
    return is_halo(thin, core, bg) ? thin : NAN;
}

/* The largest depth (mm) of m within 3 mm of the centre. */
static ms_status inscribed_radius(const crop_ctx *k, const uint8_t *m, double *r)
{
    size_t n = (size_t)k->d[0] * (size_t)k->d[1] * (size_t)k->d[2];
    double *d2 = NULL;
    uint8_t *bg = malloc(n);
    ms_status st = bg ? ms_alloc_array((void **)&d2, n, sizeof *d2, 0, "nodule") : ms_fail(MS_ERR_NOMEM, "nodule: out of memory");
    static const double unit[3] = {1, 1, 1};
    if (!st) {
        for (size_t i = 0; i < n; i++) bg[i] = !m[i];
        st = ms_edt_squared(bg, k->d, unit, NULL, d2);
    }
    double rin2 = 0;
    for (int64_t z = 0; !st && z < k->d[2]; z++)
        for (int64_t y = 0; y < k->d[1]; y++)
            for (int64_t x = 0; x < k->d[0]; x++)
                if (dist2(k->c, x, y, z) <= 9 && d2[at(k->d, x, y, z)] > rin2) rin2 = d2[at(k->d, x, y, z)];
    *r = sqrt(rin2);
    free(d2), free(bg);
    return st;
}

/* out := the part of m that survives an opening of radius rho and holds
 * the seed (else the part nearest the centre), plus m's voxels within 1 mm
 * of it; *kept is its voxel count. */
static ms_status open_keep(const crop_ctx *k, const uint8_t *m, int64_t seed, double rho, uint8_t *out, int64_t *kept)
{
    size_t n = (size_t)k->d[0] * (size_t)k->d[1] * (size_t)k->d[2];
    memcpy(out, m, n);
    *kept = 0;
    ms_status st = morph_open(out, k->d, rho);
    int32_t *lab = NULL;
    ms_components cc;
    if (st || (st = label_mask(out, k->d, 6, &lab, &cc))) return st;
    int32_t keep = lab[seed];
    double best = 1e30;
    for (int64_t z = 0; !keep && z < k->d[2]; z++)
        for (int64_t y = 0; y < k->d[1]; y++)
            for (int64_t x = 0; x < k->d[0]; x++) {
                size_t i = at(k->d, x, y, z);
                if (lab[i] && dist2(k->c, x, y, z) < best) best = dist2(k->c, x, y, z), keep = lab[i];
            }
    for (size_t i = 0; i < n; i++) out[i] = keep && lab[i] == keep;
    free(lab);
    ms_components_free(&cc);
    if (!keep) {   /* nothing holds the ball: keep m as it is */
        memcpy(out, m, n);
    } else if (!(st = morph_dilate(out, k->d, 1.0))) {
        for (size_t i = 0; i < n; i++) out[i] = out[i] && m[i];
    }
    for (size_t i = 0; i < n; i++) *kept += out[i];
    return st;
}

/* Cuts attached vessels: an opening with three quarters of the nodule's
 * inscribed radius. (A second, wider opening for nodules still long after
 * it found two more hilar nodules in 20 phantoms but turned as many vessel
 * junctions into round false positives each scan: not worth it.) */
static ms_status cut_vessels(const crop_ctx *k, uint8_t *m, int64_t seed)
{
    size_t n = (size_t)k->d[0] * (size_t)k->d[1] * (size_t)k->d[2];
    uint8_t *a = malloc(n);
    double rin = 0;
    int64_t na = 0;
    ms_status st = a ? inscribed_radius(k, m, &rin) : ms_fail(MS_ERR_NOMEM, "nodule: out of memory");
    if (!st) st = open_keep(k, m, seed, fmax(1.0, 0.75 * rin), a, &na);
    if (!st) memcpy(m, a, n);
    free(a);
    return st;
}

/* Grows at threshold t in a ball that widens (x1.5, to RMAX mm) while the
 * region covers a sixth or more of the ball's surface: the ball was too
 * small for a larger nodule or mass around the candidate. Vessels leave
 * the ball through a few small cross-sections and do not widen it. */
static int64_t flood_widening(crop_ctx *k, int64_t seed, double t, uint8_t *m, int64_t *stack)
{
    int64_t rim, n;
    for (;;) {
        n = flood(k, seed, t, m, stack, &rim);
        if ((double)rim < 4 * M_PI * k->rmax * k->rmax / 6 || k->rmax >= RMAX) return n;
        k->rmax = fmin(RMAX, k->rmax * 1.5);
    }
}

/* The box of m plus a margin, as a crop of its own. */
static int shrink(const crop_ctx *k, const uint8_t *m, lbox *sb, crop_ctx *out, uint8_t **mout)
{
    *sb = lbox_of_mask(m, k->d);
    lbox_grow(sb, 5, k->d);
    *out = *k;
    for (int a = 0; a < 3; a++) out->d[a] = sb->hi[a] - sb->lo[a], out->c[a] = k->c[a] - (double)sb->lo[a];
    out->hu = crop_f32(k->hu, k->d, sb);
    out->allowed = crop_u8(k->allowed, k->d, sb);
    *mout = crop_u8(m, k->d, sb);
    return out->hu && out->allowed && *mout;
}

static void free_crop(crop_ctx *k)
{
    free((void *)k->hu), free((void *)k->allowed);
    k->hu = NULL, k->allowed = NULL;
}

ms_status nodule_grow(const float *hu, const uint8_t *lungs, const int64_t dim[3], double bg, const ms_blob *b,
                      ms_nodule_seg *s, double *core_out)
{
    double r0 = b->sigma * sqrt(3.0);
    lbox box;
    for (int a = 0; a < 3; a++) {
        box.lo[a] = (int64_t)floor(b->pos[a] - RMAX - 2);
        box.hi[a] = (int64_t)ceil(b->pos[a] + RMAX + 3);
        box.lo[a] = box.lo[a] < 0 ? 0 : box.lo[a];
        box.hi[a] = box.hi[a] > dim[a] ? dim[a] : box.hi[a];
    }
    crop_ctx k = {crop_f32(hu, dim, &box), crop_u8(lungs, dim, &box),
                  {box.hi[0] - box.lo[0], box.hi[1] - box.lo[1], box.hi[2] - box.lo[2]},
                  {b->pos[0] - box.lo[0], b->pos[1] - box.lo[1], b->pos[2] - box.lo[2]}, fmin(2 * r0 + 4, RMAX), INFINITY};
    crop_ctx sub = {0};
    size_t n = lbox_nvox(&box);
    uint8_t *m = malloc(n), *sm = NULL, *tmp = NULL;
    int64_t *stack = malloc(n * sizeof *stack), seed = 0;
    ms_status st = k.hu && k.allowed && m && stack ? MS_OK : ms_fail(MS_ERR_NOMEM, "nodule: out of memory");
    s->mask = NULL;
    double core = st ? 0 : core_mean(&k, fmax(1.0, 0.5 * r0), &seed);
    *core_out = core;
    if (st || core - bg < 80) goto done;
    k.top = ground_glass_top(core, bg);
    int64_t grown = flood_widening(&k, seed, bg + 0.5 * (core - bg), m, stack);
    lbox sb;
    if (!grown) goto done;
    if (!shrink(&k, m, &sb, &sub, &sm) || !(tmp = malloc(lbox_nvox(&sb)))) {
        st = ms_fail(MS_ERR_NOMEM, "nodule: out of memory");
        goto done;
    }
    double shell = halo_level(&sub, sm, grown, core, bg, tmp);
    if (!isnan(shell)) {
        grown = flood_widening(&k, seed, bg + 0.5 * (shell - bg), m, stack);
        free_crop(&sub), free(sm), sm = NULL;
        if (!shrink(&k, m, &sb, &sub, &sm)) {
            st = ms_fail(MS_ERR_NOMEM, "nodule: out of memory");
            goto done;
        }
    }
    s->grown = (double)grown;
    /* How far it reaches at a quarter of the contrast: a nodule gains its
     * partial-volume rim, a vessel piece joins its tree. */
    {
        crop_ctx wide = k;
        double used = !isnan(shell) ? bg + 0.5 * (shell - bg) : bg + 0.5 * (core - bg);
        s->grown_low = (double)flood_widening(&wide, seed, bg + 0.5 * (used - bg), m, stack);
    }
    int64_t sseed = 0;
    {   /* the seed's index in the sub-box */
        int64_t x = seed % k.d[0], y = seed / k.d[0] % k.d[1], z = seed / (k.d[0] * k.d[1]);
        sseed = ((z - sb.lo[2]) * sub.d[1] + (y - sb.lo[1])) * sub.d[0] + (x - sb.lo[0]);
    }
    if (!(st = cut_vessels(&sub, sm, sseed))) {
        for (int a = 0; a < 3; a++) s->box.lo[a] = box.lo[a] + sb.lo[a], s->box.hi[a] = box.lo[a] + sb.hi[a];
        s->mask = sm, sm = NULL;
    }
done:
    free_crop(&k), free_crop(&sub);
    free(m), free(sm), free(tmp), free(stack);
    return st;
}
