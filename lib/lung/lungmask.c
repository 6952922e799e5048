/* Classical lung mask on the 1 mm working grid.
 *
 *  1. Air is HU < -500. Air components touching the in-plane border are
 *     outside the body. Inside, a component is lung when fewer than 40% of
 *     its voxels are below -950 HU (parenchyma lies at -950..-700; only
 *     the most severe emphysema passes 30% there, while bowel gas lies near
 *     -1000) and it holds at least a tenth of the largest such component
 *     (which leaves out the stomach's gas).
 *  2. The trachea and main bronchi are grown from the top of the lungs
 *     at thresholds rising from -990 HU; a threshold whose airway more than
 *     doubles, or passes 300 ml, has leaked into lung and is not used. The
 *     airway, dilated 2 mm for its wall's partial volume, is removed, and
 *     after step 4 it stays out with 5 mm around it (bronchial walls).
 *  3. The two largest lung parts are the lungs. One part only (lungs that
 *     touch at the anterior junction) is eroded until it splits, and every
 *     voxel goes to the nearer core. Right is the lung of smaller LPS x.
 *  4. Each lung is closed with a 10 mm ball and its slices' holes filled,
 *     so vessels and nodules, juxtapleural ones included, lie inside. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lung_internal.h"
#include "lung_mask.h"
#include "medseg/log.h"
#include "medseg/metrics.h"

#define AIR_HU -500.0f
#define CLOSE_MM 20.0

typedef struct {
    const float *hu;
    const int64_t *dim;
    size_t n;
} grid;

/* Candidate lung air: inside-body air components of parenchymal density. */
static ms_status inside_air(const grid *g, uint8_t *lung)
{
    for (size_t i = 0; i < g->n; i++) lung[i] = g->hu[i] < AIR_HU;
    int32_t *lab;
    ms_components cc;
    ms_status st = label_mask(lung, g->dim, 26, &lab, &cc);
    if (st) return st;
    int64_t *dark = calloc((size_t)cc.count + 1, sizeof *dark), largest = 0;
    uint8_t *keep = calloc((size_t)cc.count + 1, 1);
    if (!dark || !keep) st = ms_fail(MS_ERR_NOMEM, "lung mask: out of memory");
    for (size_t i = 0; !st && i < g->n; i++)
        if (lab[i] && g->hu[i] < -950) dark[lab[i]]++;
    for (int64_t c = 0; !st && c < cc.count; c++) {
        const ms_component *m = &cc.comp[c];
        int border = m->lo[0] == 0 || m->lo[1] == 0 || m->hi[0] == g->dim[0] - 1 || m->hi[1] == g->dim[1] - 1;
        keep[c + 1] = !border && (double)dark[c + 1] < 0.4 * (double)m->size;
        if (keep[c + 1] && m->size > largest) largest = m->size;
    }
    for (size_t i = 0; !st && i < g->n; i++)
        lung[i] = lab[i] && keep[lab[i]] && cc.comp[lab[i] - 1].size * 10 >= largest;
    free(dark), free(keep), free(lab);
    ms_components_free(&cc);
    return st;
}

/* Voxels of `lung` below t connected to a seed in the top 10 mm of the
 * lungs near the body's middle (x); returns the airway's voxel count. */
static int64_t grow_airway(const grid *g, const uint8_t *lung, float t, int64_t ztop, int sup_down, double xmid,
                           uint8_t *out)
{
    for (size_t i = 0; i < g->n; i++) out[i] = lung[i] && g->hu[i] < t;
    int32_t *lab;
    ms_components cc;
    if (label_mask(out, g->dim, 26, &lab, &cc)) return -1;
    int64_t best = 0, best_size = 0;
    for (int64_t c = 0; c < cc.count; c++) {
        const ms_component *m = &cc.comp[c];
        int reaches_top = sup_down ? m->lo[2] <= ztop + 10 : m->hi[2] >= ztop - 10;
        double cx = 0.5 * (double)(m->lo[0] + m->hi[0]);
        if (reaches_top && fabs(cx - xmid) < 0.15 * (double)g->dim[0] && m->size > best_size)
            best = c + 1, best_size = m->size;
    }
    for (size_t i = 0; i < g->n; i++) out[i] = best && lab[i] == best;
    free(lab);
    ms_components_free(&cc);
    return best_size;
}

/* Removes the airway grown from the top of the lungs; leaves it, dilated
 * by 2 mm, in airway (zeroed by the caller). */
static ms_status remove_airways(const grid *g, uint8_t *lung, int sup_down, ms_lung_stats *stats, uint8_t *airway)
{
    lbox b = lbox_of_mask(lung, g->dim);
    if (lbox_nvox(&b) == 0) return MS_OK;
    int64_t ztop = sup_down ? b.lo[2] : b.hi[2] - 1;
    double xmid = 0.5 * (double)(b.lo[0] + b.hi[0]);
    uint8_t *cur = malloc(g->n), *best = airway;
    if (!cur) return ms_fail(MS_ERR_NOMEM, "airway mask: out of memory");
    int64_t prev = 0, kept = 0;
    for (float t = -990; t <= -900; t += 10) {
        int64_t v = grow_airway(g, lung, t, ztop, sup_down, xmid, cur);
        if (v < 0 || v > 300000 || (prev > 500 && v > 2 * prev)) break;
        if (v > 0) memcpy(best, cur, g->n), kept = v, stats->airway_threshold = t;
        prev = v;
    }
    stats->airway_ml = (double)kept / 1000.0;
    ms_status st = MS_OK;
    if (kept) {
        st = morph_dilate(best, g->dim, 2.0);
        for (size_t i = 0; !st && i < g->n; i++)
            if (best[i]) lung[i] = 0;
    }
    free(cur);
    return st;
}

/* Splits the mask into parts: out gets 1, 2 for the two largest
 * components holding at least 10% of it each, eroding when needed. */
static ms_status two_parts(const grid *g, const uint8_t *lung, uint8_t *out, int *parts)
{
    uint8_t *core = malloc(g->n);
    if (!core) return ms_fail(MS_ERR_NOMEM, "lung split: out of memory");
    memcpy(core, lung, g->n);
    int64_t total = 0;
    for (size_t i = 0; i < g->n; i++) total += lung[i];
    ms_status st = MS_OK;
    *parts = 0;
    for (double r = 0; r <= 12 && !st; r += 1.5) {
        if (r > 0) {
            memcpy(core, lung, g->n);
            if ((st = morph_erode(core, g->dim, r))) break;
        }
        int32_t *lab;
        ms_components cc;
        if ((st = label_mask(core, g->dim, 26, &lab, &cc))) break;
        int64_t a = 0, b = 0;   /* labels of the two largest */
        for (int64_t c = 1; c <= cc.count; c++) {
            int64_t s = cc.comp[c - 1].size;
            if (!a || s > cc.comp[a - 1].size) b = a, a = c;
            else if (!b || s > cc.comp[b - 1].size) b = c;
        }
        int split = b && cc.comp[b - 1].size * 10 >= total / 4;
        if (split || (r == 0 && a && !b)) {
            for (size_t i = 0; i < g->n; i++) out[i] = lab[i] == a ? 1 : split && lab[i] == b ? 2 : 0;
            *parts = split ? 2 : 1;
        }
        free(lab);
        ms_components_free(&cc);
        if (split) break;
    }
    free(core);
    if (st || *parts < 2 || !total) return st;
    return MS_OK;
}

/* Gives every lung voxel the part of the nearest core. */
static ms_status assign_nearest(const grid *g, const uint8_t *lung, uint8_t *parts)
{
    double *d1 = NULL, *d2 = NULL;
    uint8_t *f = malloc(g->n);
    ms_status st = f ? MS_OK : ms_fail(MS_ERR_NOMEM, "lung split: out of memory");
    if (!st) st = ms_alloc_array((void **)&d1, g->n, sizeof *d1, 0, "lung split");
    if (!st) st = ms_alloc_array((void **)&d2, g->n, sizeof *d2, 0, "lung split");
    static const double unit[3] = {1, 1, 1};
    for (int p = 1; p <= 2 && !st; p++) {
        for (size_t i = 0; i < g->n; i++) f[i] = parts[i] == p;
        st = ms_edt_squared(f, g->dim, unit, lung, p == 1 ? d1 : d2);
    }
    for (size_t i = 0; !st && i < g->n; i++) parts[i] = lung[i] ? (d1[i] <= d2[i] ? 1 : 2) : 0;
    free(f), free(d1), free(d2);
    return st;
}

/* Closes and fills one lung (value v of parts) inside its own box, so the
 * two lungs never merge across the mediastinum. */
static ms_status close_lung(const grid *g, uint8_t *parts, int v, uint8_t *result)
{
    uint8_t *m = malloc(g->n);
    if (!m) return ms_fail(MS_ERR_NOMEM, "lung closing: out of memory");
    for (size_t i = 0; i < g->n; i++) m[i] = parts[i] == v;
    lbox b = lbox_of_mask(m, g->dim);
    lbox_grow(&b, (int64_t)CLOSE_MM + 2, g->dim);
    int64_t bd[3] = {b.hi[0] - b.lo[0], b.hi[1] - b.lo[1], b.hi[2] - b.lo[2]};
    uint8_t *c = crop_u8(m, g->dim, &b);
    ms_status st = c ? MS_OK : ms_fail(MS_ERR_NOMEM, "lung closing: out of memory");
    /* Slices at the ends of the scan are not closed against air that is
     * not there: pad by replicating them is overkill; a plain closing only
     * shrinks there. */
    if (!st) st = morph_close(c, bd, CLOSE_MM);
    if (!st) {
        fill_holes_2d(c, bd);
        memset(m, 0, g->n);
        paste_u8(m, g->dim, &b, c);
        for (size_t i = 0; i < g->n; i++)
            if (m[i] && !result[i]) result[i] = (uint8_t)v;
    }
    free(c);
    free(m);
    return st;
}

static double centroid_x_lps(const uint8_t *parts, int v, const int64_t dim[3], const double aff[4][4])
{
    double s = 0;
    int64_t n = 0;
    size_t i = 0;
    for (int64_t z = 0; z < dim[2]; z++)
        for (int64_t y = 0; y < dim[1]; y++)
            for (int64_t x = 0; x < dim[0]; x++, i++)
                if (parts[i] == v) s += aff[0][0] * (double)x + aff[0][1] * (double)y + aff[0][2] * (double)z, n++;
    return n ? s / (double)n + aff[0][3] : NAN;
}

ms_status ms_lung_mask_classical(const ms_volume *iso, uint8_t *labels, ms_lung_stats *stats)
{
    grid g = {iso->data, iso->dim, ms_volume_nvox(iso)};
    memset(stats, 0, sizeof *stats);
    uint8_t *lung = malloc(g.n), *parts = calloc(g.n, 1), *airway = calloc(g.n, 1);
    ms_status st = lung && parts && airway ? MS_OK : ms_fail(MS_ERR_NOMEM, "lung mask: out of memory");
    int sup_down = iso->affine[2][2] < 0;   /* k grows toward the feet */
    if (!st) st = inside_air(&g, lung);
    if (!st) st = remove_airways(&g, lung, sup_down, stats, airway);
    int n = 0;
    if (!st) st = two_parts(&g, lung, parts, &n);
    if (!st && n == 2) st = assign_nearest(&g, lung, parts);
    if (!st && n == 1)
        for (size_t i = 0; i < g.n; i++) parts[i] = lung[i] ? 1 : 0;
    memset(labels, 0, g.n);
    for (int v = 1; v <= n && !st; v++) st = close_lung(&g, parts, v, labels);
    /* Closing fills the bronchi back in; their walls are not lung and mimic
     * nodules, so the airway and 3 mm around it stay out. */
    if (!st && stats->airway_ml > 0) st = morph_dilate(airway, iso->dim, 3.0);
    for (size_t i = 0; !st && i < g.n; i++)
        if (airway[i]) labels[i] = 0;
    /* Label 1 is the right lung: the patient's right is LPS -x. */
    double x1 = centroid_x_lps(labels, 1, iso->dim, iso->affine), x2 = centroid_x_lps(labels, 2, iso->dim, iso->affine);
    double body_mid = iso->affine[0][3] + 0.5 * (double)(iso->dim[0] - 1) * iso->affine[0][0];
    int swap = n == 2 ? x1 > x2 : (n == 1 && x1 > body_mid);
    if (swap)
        for (size_t i = 0; i < g.n; i++)
            if (labels[i]) labels[i] = (uint8_t)(3 - labels[i]);
    for (size_t i = 0; i < g.n; i++) stats->ml[labels[i] ? labels[i] - 1 : 0] += labels[i] ? 1e-3 : 0;
    stats->parts = n;
    free(lung);
    free(parts);
    free(airway);
    return st;
}
