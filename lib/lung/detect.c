/* detect-nodules as a library call: resample to 1 mm, lungs, candidates,
 * one segmentation per candidate, a probability, the risk rules, and the
 * masks mapped back onto the input grid. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "lung_mask.h"
#include "medseg/log.h"
#include "medseg/resample.h"
#include "nodule.h"

const char *const ms_detect_stage_names[MS_DETECT_STAGES] = {"resample", "lungs", "candidates", "nodules", "output"};

void ms_detect_defaults(ms_detect_opts *o)
{
    memset(o, 0, sizeof *o);
    o->min_diameter_mm = 3.0;
    o->max_nodules = 20;
    o->threshold = 0.5;
    o->max_candidates = 300;
    ms_patient_defaults(&o->patient);
}

static void warn(ms_detect_result *r, const char *fmt, ...)
{
    if (r->n_warnings >= MS_DETECT_MAX_WARNINGS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->warnings[r->n_warnings++], sizeof r->warnings[0], fmt, ap);
    va_end(ap);
}

static ms_status check_ct(const ms_volume *ct)
{
    if (ct->dim[2] < 3 || ct->dim[0] < 16 || ct->dim[1] < 16)
        return ms_fail(MS_ERR_INPUT, "a %lldx%lldx%lld volume is too small: detect-nodules needs a chest CT volume",
                       (long long)ct->dim[0], (long long)ct->dim[1], (long long)ct->dim[2]);
    double lo, hi;
    ms_volume_minmax(ct, &lo, &hi);
    if (!(lo <= -500 && hi >= -100))
        return ms_fail(MS_ERR_INPUT, "values %g..%g are not CT Hounsfield units (a chest CT holds air near -1000 "
                       "and tissue near 0): not a CT, or a label map", lo, hi);
    return MS_OK;
}

ms_status ms_ct_to_iso(const ms_volume *ct, ms_volume *iso)
{
    static const double one[3] = {1, 1, 1};
    ms_grid g;
    ms_status st = ms_grid_from_spacing(ct, one, &g);
    if (st) return st;
    ms_resample_opts ro = {MS_INTERP_LINEAR, 0, -1024, MS_F32, MS_DEVICE_CPU};
    return ms_resample(ct, &g, &ro, iso, NULL);
}

/* The probability that a measured candidate is a nodule: a logistic score
 * of shape and density. Round (sphericity), compact (elongation near 1) and
 * denser than lung candidates score high; vessel pieces are long and
 * rough. Weights set on the chest phantoms and checked on the real scans
 * (tests/bench/detect.sh). */
static double fp_score(const ms_nodule_seg *s)
{
    double sph = isfinite(s->sphericity) ? s->sphericity : 0;
    double attached = s->grown / s->volume, reach = s->grown_low / s->volume;
    double z = 1.0 + 10.0 * (sph - 0.80) - 3.0 * fmax(0, s->elongation - 1.3) - 0.3 * fmax(0, log(attached / 1.5)) -
               0.3 * fmax(0, log(reach / 2)) + 2.5 * (s->blobness - 0.5) - 2.5 * fmax(0, 5.0 - s->diameter) +
               fmin(s->contrast / 250.0, 1.0);
    return 1.0 / (1.0 + exp(-z));
}

static void to_input_index(const ms_volume *ct, const double w[3], double ijk[3])
{
    double m[3][3], d[3] = {w[0] - ct->affine[0][3], w[1] - ct->affine[1][3], w[2] - ct->affine[2][3]};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) m[i][j] = ct->affine[i][j];
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    for (int c = 0; c < 3; c++) {   /* Cramer's rule */
        double t[3][3];
        memcpy(t, m, sizeof t);
        for (int r = 0; r < 3; r++) t[r][c] = d[r];
        ijk[c] = (t[0][0] * (t[1][1] * t[2][2] - t[1][2] * t[2][1]) - t[0][1] * (t[1][0] * t[2][2] - t[1][2] * t[2][0]) +
                  t[0][2] * (t[1][0] * t[2][1] - t[1][1] * t[2][0])) / det;
    }
}

typedef struct {
    ms_nodule n;
    ms_nodule_seg seg;
} measured;

static void fill_nodule(const ms_volume *ct, const ms_volume *iso, const ms_nodule_seg *s, const ms_blob *b,
                        const double zmid[3], ms_nodule *n)
{
    memset(n, 0, sizeof *n);
    ms_voxel_to_world(iso, s->center, n->center_lps);
    to_input_index(ct, n->center_lps, n->center_voxel);
    n->diameter_mm = s->diameter, n->long_axis_mm = s->long_axis, n->short_axis_mm = s->short_axis;
    n->solid_diameter_mm = s->solid_diameter, n->volume_mm3 = s->volume, n->mean_hu = s->mean_hu;
    n->sphericity = s->sphericity, n->spiculation = s->spiculation, n->elongation = s->elongation;
    n->solid_fraction = s->solid_fraction, n->response = b->response, n->scale_mm = b->sigma;
    n->type = s->type, n->side = s->side, n->juxtapleural = s->juxtapleural;
    n->upper = n->center_lps[2] > zmid[s->side];
}

/* The LPS z half-way up each lung (index 0: both). */
static void lung_mid_heights(const ms_volume *iso, const uint8_t *lab, double zmid[3])
{
    double lo[3] = {1e30, 1e30, 1e30}, hi[3] = {-1e30, -1e30, -1e30};
    for (int64_t k = 0; k < iso->dim[2]; k++) {
        double ijk[3] = {0.5 * (double)iso->dim[0], 0.5 * (double)iso->dim[1], (double)k}, w[3];
        ms_voxel_to_world(iso, ijk, w);
        size_t plane = (size_t)iso->dim[0] * (size_t)iso->dim[1];
        int seen[3] = {0};
        for (size_t i = 0; i < plane; i++) seen[lab[(size_t)k * plane + i]] = 1;
        for (int s = 1; s <= 2; s++)
            if (seen[s]) {
                lo[s] = fmin(lo[s], w[2]), hi[s] = fmax(hi[s], w[2]);
                lo[0] = fmin(lo[0], w[2]), hi[0] = fmax(hi[0], w[2]);
            }
    }
    for (int s = 0; s < 3; s++) zmid[s] = lo[s] <= hi[s] ? 0.5 * (lo[s] + hi[s]) : 0.5 * (lo[0] + hi[0]);
}

static int by_probability(const void *a, const void *b)
{
    const measured *x = a, *y = b;
    if (x->n.probability != y->n.probability) return x->n.probability < y->n.probability ? 1 : -1;
    if (x->n.response != y->n.response) return x->n.response < y->n.response ? 1 : -1;
    return 0;
}

static ms_status find_lungs(const ms_volume *iso, const ms_detect_opts *o, uint8_t *lab, ms_detect_result *r)
{
    ms_lung_stats ls = {0};
    ms_status st = o->lung_fn ? o->lung_fn(o->lung_ctx, iso, lab) : ms_lung_mask_classical(iso, lab, &ls);
    if (st) return st;
    size_t n = ms_volume_nvox(iso);
    int64_t c[3] = {0};
    for (size_t i = 0; i < n; i++) c[lab[i] <= 2 ? lab[i] : 0]++;
    r->lung_ml[0] = (double)c[1] / 1000.0, r->lung_ml[1] = (double)c[2] / 1000.0;
    double total = r->lung_ml[0] + r->lung_ml[1];
    if (total < 20)
        return ms_fail(MS_ERR_INPUT, "no lungs found (%.1f ml of lung air): not a chest CT, or the lungs are not "
                       "in the field of view", total);
    if (!o->lung_fn && ls.parts == 1) warn(r, "only one lung found (%.0f ml)", total);
    if (total < 2000 || total > 9000)
        warn(r, "lung volume %.2f L is outside the adult range 2-9 L (partial scan or abnormal lungs)", total / 1000);
    ms_debug("lungs: right %.0f ml, left %.0f ml, airway %.0f ml at %.0f HU", r->lung_ml[0], r->lung_ml[1],
             ls.airway_ml, ls.airway_threshold);
    return MS_OK;
}

/* Paints s into owner (id where still free); returns 0 when the
 * candidate's centre already belongs to an earlier candidate. */
static int claim(uint16_t *owner, const int64_t dim[3], const ms_nodule_seg *s, uint16_t id)
{
    int64_t c[3];
    for (int a = 0; a < 3; a++) c[a] = (int64_t)floor(s->center[a] + 0.5);
    size_t ci = ((size_t)c[2] * (size_t)dim[1] + (size_t)c[1]) * (size_t)dim[0] + (size_t)c[0];
    if (owner[ci]) return 0;
    size_t k = 0;
    for (int64_t z = s->box.lo[2]; z < s->box.hi[2]; z++)
        for (int64_t y = s->box.lo[1]; y < s->box.hi[1]; y++)
            for (int64_t x = s->box.lo[0]; x < s->box.hi[0]; x++, k++) {
                size_t i = ((size_t)z * (size_t)dim[1] + (size_t)y) * (size_t)dim[0] + (size_t)x;
                if (s->mask[k] && !owner[i]) owner[i] = id;
            }
    return 1;
}

static void paint(uint8_t *v, const int64_t dim[3], const ms_nodule_seg *s)
{
    size_t k = 0;
    for (int64_t z = s->box.lo[2]; z < s->box.hi[2]; z++)
        for (int64_t y = s->box.lo[1]; y < s->box.hi[1]; y++)
            for (int64_t x = s->box.lo[0]; x < s->box.hi[0]; x++, k++)
                if (s->mask[k]) v[((size_t)z * (size_t)dim[1] + (size_t)y) * (size_t)dim[0] + (size_t)x] = 1;
}

/* -v: every measured candidate with the features its score came from. */
static void log_candidate(const measured *m)
{
    const ms_nodule_seg *s = &m->seg;
    ms_debug("candidate [%.1f, %.1f, %.1f]: d %.1f sph %.2f elong %.2f attached %.1f reach %.1f blob %.2f "
             "contrast %.0f -> p %.3f",
             m->n.center_lps[0], m->n.center_lps[1], m->n.center_lps[2], s->diameter, s->sphericity, s->elongation,
             s->grown / s->volume, s->grown_low / s->volume, s->blobness, s->contrast, m->n.probability);
}

static ms_status measure_all(const ms_volume *ct, const ms_volume *iso, const uint8_t *lab, const ms_blob *b, int nb,
                             const ms_detect_opts *o, measured **out, int *n_out)
{
    measured *m = calloc((size_t)(nb ? nb : 1), sizeof *m);
    if (!m) return ms_fail(MS_ERR_NOMEM, "candidates: out of memory");
    size_t n = ms_volume_nvox(iso);
    double bg = masked_median(iso->data, lab, n), zmid[3];
    lung_mid_heights(iso, lab, zmid);
    int k = 0;
    uint8_t *covered = calloc(n, 1);
    ms_status st = covered ? MS_OK : ms_fail(MS_ERR_NOMEM, "candidates: out of memory");
    for (int i = 0; i < nb && !st; i++) {
        /* A weaker blob inside a nodule already grown is that nodule again. */
        size_t at = ((size_t)lrint(b[i].pos[2]) * (size_t)iso->dim[1] + (size_t)lrint(b[i].pos[1])) *
                        (size_t)iso->dim[0] + (size_t)lrint(b[i].pos[0]);
        if (covered[at]) continue;
        if ((st = ms_segment_nodule(iso->data, lab, iso->dim, bg, &b[i], &m[k].seg))) break;
        if (!m[k].seg.mask) continue;

        fill_nodule(ct, iso, &m[k].seg, &b[i], zmid, &m[k].n);
        m[k].n.probability = fp_score(&m[k].seg);
        if (o->fp_fn) st = o->fp_fn(o->fp_ctx, iso, m[k].seg.center, &m[k].n.probability);
        log_candidate(&m[k]);
        if (m[k].n.probability >= 0.5) paint(covered, iso->dim, &m[k].seg);
        k++;
        ms_progress("nodules", (double)(i + 1) / nb);
    }
    free(covered);
    if (st) {
        for (int i = 0; i <= k && i < nb; i++) ms_nodule_seg_free(&m[i].seg);
        free(m);
        return st;
    }
    qsort(m, (size_t)k, sizeof *m, by_probability);
    *out = m, *n_out = k;
    return MS_OK;
}

/* Drops candidates that are part of a stronger one, picks the reported
 * ones (moved to the front, ids 1..) and paints them into `ids`. */
static ms_status select_nodules(const ms_volume *iso, measured *m, int n, const ms_detect_opts *o, ms_volume *ids,
                                ms_detect_result *r)
{
    ms_volume owner;
    ms_status st = ms_volume_like(&owner, iso, MS_U16);
    if (!st) st = ms_volume_like(ids, iso, MS_U16);
    if (st) return st;
    r->cand = calloc((size_t)(n ? n : 1), sizeof *r->cand);
    if (!r->cand) {
        ms_volume_free(&owner);
        return ms_fail(MS_ERR_NOMEM, "candidates: out of memory");
    }
    int kept = 0;
    for (int pass = 0; pass < 2; pass++)   /* reported first, then the others, each by probability */
        for (int i = 0; i < n; i++) {
            if (!m[i].seg.mask) continue;
            int report = m[i].n.probability >= o->threshold && m[i].n.diameter_mm >= o->min_diameter_mm &&
                         r->n_reported < o->max_nodules;
            if (pass == 0 && !report) continue;
            if (!claim(owner.data, iso->dim, &m[i].seg, (uint16_t)(kept + 1))) {
                ms_nodule_seg_free(&m[i].seg);
                continue;
            }
            r->cand[kept] = m[i].n;
            if (pass == 0) {
                r->cand[kept].id = ++r->n_reported;
                claim(ids->data, iso->dim, &m[i].seg, (uint16_t)r->n_reported);
            }
            kept++;
            ms_nodule_seg_free(&m[i].seg);
        }
    r->n_cand = kept;
    ms_volume_free(&owner);
    return MS_OK;
}

void ms_nodules_score_risk(ms_nodule *n, int count, const ms_patient *p)
{
    for (int i = 0; i < count; i++) {
        ms_risk_nodule rn = {n[i].diameter_mm, n[i].long_axis_mm, n[i].solid_diameter_mm, n[i].type, n[i].upper,
                             n[i].spiculation, n[i].juxtapleural};
        n[i].brock = ms_brock(p, &rn, count);
        ms_lungrads_nodule(&rn, &n[i].lung_rads);
        ms_fleischner_nodule(&rn, count, &n[i].fleischner);
    }
}

/* Label maps onto the input's grid and header, so they overlay it exactly. */
static ms_status back_to_input(const ms_volume *ct, const ms_volume *iso_lab, ms_dtype t, ms_volume *out)
{
    ms_grid g;
    ms_grid_of(ct, &g);
    ms_resample_opts ro = {MS_INTERP_LINEAR, 1, 0, t, MS_DEVICE_CPU};
    ms_volume tmp;
    ms_status st = ms_resample(iso_lab, &g, &ro, &tmp, NULL);
    if (st) return st;
    if (!(st = ms_volume_like_raw(out, ct, t))) memcpy(out->data, tmp.data, ms_volume_nvox(out) * ms_dtype_size(t));
    ms_volume_free(&tmp);
    return st;
}

ms_status ms_detect_nodules(const ms_volume *ct, const ms_detect_opts *o, ms_detect_result *r)
{
    memset(r, 0, sizeof *r);
    ms_volume iso = {0}, lab = {0}, ids = {0};
    ms_blob *blobs = NULL;
    measured *m = NULL;
    int nb = 0, nm = 0;
    double t = ms_now();
    ms_status st = check_ct(ct);
    if (!st) st = ms_ct_to_iso(ct, &iso);
    r->seconds[0] = ms_now() - t, t = ms_now();
    if (!st) st = ms_volume_like(&lab, &iso, MS_U8);
    if (!st) st = find_lungs(&iso, o, lab.data, r);
    r->seconds[1] = ms_now() - t, t = ms_now();
    if (!st) st = ms_find_blobs(iso.data, lab.data, iso.dim, o->max_candidates, &blobs, &nb);
    r->seconds[2] = ms_now() - t, t = ms_now();
    if (!st) st = measure_all(ct, &iso, lab.data, blobs, nb, o, &m, &nm);
    if (!st) st = select_nodules(&iso, m, nm, o, &ids, r);
    r->seconds[3] = ms_now() - t, t = ms_now();
    if (!st) {
        ms_nodules_score_risk(r->cand, r->n_reported, &o->patient);
        ms_lungrads cats[256];
        int nc = r->n_reported < 256 ? r->n_reported : 256;
        for (int i = 0; i < nc; i++) cats[i] = r->cand[i].lung_rads;
        ms_lungrads_exam(cats, nc, &r->exam);
        st = back_to_input(ct, &lab, MS_U8, &r->lungs);
    }
    if (!st) st = back_to_input(ct, &ids, MS_U16, &r->nodules);
    r->seconds[4] = ms_now() - t;
    free(blobs);
    free(m);
    ms_volume_free(&iso), ms_volume_free(&lab), ms_volume_free(&ids);
    if (st) ms_detect_result_free(r);
    return st;
}

void ms_detect_result_free(ms_detect_result *r)
{
    ms_volume_free(&r->lungs);
    ms_volume_free(&r->nodules);
    free(r->cand);
    r->cand = NULL;
    r->n_cand = r->n_reported = 0;
}
