/* Evaluation metrics: segmentation overlap and surface distances, LUNA16
 * detection FROC/CPM, classification ROC/AUC. */
#ifndef MEDSEG_METRICS_H
#define MEDSEG_METRICS_H

#include <stdint.h>
#include <stdio.h>
#include "volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- segmentation ---------------------------------------------------- */

typedef struct ms_seg_metrics {
    int64_t label;
    int64_t n_pred, n_ref, n_both;      /* voxels */
    double vol_pred_ml, vol_ref_ml;
    double dice, jaccard;               /* NaN when both masks are empty */
    /* Surface distances in mm: NaN when both are empty, +inf when one is. */
    double hd, hd95, assd;
    double hd95_pred_to_ref, hd95_ref_to_pred;
    double asd_pred_to_ref, asd_ref_to_pred;
    double area_pred_mm2, area_ref_mm2; /* surfel areas */
} ms_seg_metrics;

/* Same dims, and affines equal within tol (mm for the translation, and for
 * the 3x3 part, which holds spacing times direction). */
ms_status ms_grid_check(const ms_volume *a, const ms_volume *b, double tol, const char *what_a, const char *what_b);
/* Nonzero values present in either volume, ascending (integer volumes). */
ms_status ms_labels_present(const ms_volume *a, const ms_volume *b, int64_t **labels, int *n);
/* Overlap and surface distances of label `label` (voxels equal to it). */
ms_status ms_seg_metrics_compute(const ms_volume *pred, const ms_volume *ref, int64_t label, ms_seg_metrics *out);
/* The same for n labels at once (out[k] for labels[k]): one pass finds each
 * label's box, then each is scored on its box alone. */
ms_status ms_seg_metrics_all(const ms_volume *pred, const ms_volume *ref, const int64_t *labels, int n,
                             ms_seg_metrics *out);

/* Surface elements of a binary mask on the grid of 2x2x2 voxel cubes (the
 * dual grid, offset by half a voxel), as in DeepMind's surface-distance:
 * every cube whose 8 voxels are neither all inside nor all outside is a
 * surfel, weighted by the area of the marching-cubes surface inside it. */
/* Area (mm^2) of the surface in a cube with corner code c (bit b set when
 * corner (b&1, b>>1&1, b>>2&1) is inside), for voxel spacing s. */
void ms_surfel_areas(const double s[3], double area[256]);

/* Squared Euclidean distance transform of a feature mask on an nx*ny*nz
 * grid with spacing s: d2[i] = squared distance (mm^2) from voxel i to
 * the nearest feature voxel, INFINITY when there is none. Exact (separable
 * lower envelopes of parabolas); parallel over lines. With a query mask
 * only voxels where it is set are guaranteed final (the last pass then
 * searches outward from each query instead of sweeping every column). */
ms_status ms_edt_squared(const uint8_t *feature, const int64_t dim[3], const double s[3], const uint8_t *query,
                         double *d2);

/* Distance-weighted summaries of surfel sets: for n surfels with distance
 * d[i] (mm) to the other surface and area a[i]. */
double ms_surfel_percentile(const double *d, const double *a, int64_t n, double percent);

/* ---- detection (LUNA16) ---------------------------------------------- */

typedef struct ms_finding {
    int scan;                 /* index into the scan list */
    double xyz[3];            /* mm */
    double value;             /* probability (candidates) or diameter mm */
    int line;                 /* CSV line, for messages */
} ms_finding;

typedef struct ms_detect_input {
    char **scans;             /* scan ids (seriesuid), the FP denominator */
    int nscans;
    ms_finding *cand, *nod, *excl;
    int64_t ncand, nnod, nexcl;
} ms_detect_input;

/* Reads the LUNA16 CSVs. With a scan list every seriesuid must be in it
 * (else MS_ERR_INPUT naming it); without one the scans are those named by
 * the annotations and candidates. excluded and scans may be NULL. */
ms_status ms_detect_read(const char *cand_csv, const char *ref_csv, const char *excl_csv, const char *scan_list,
                         ms_detect_input *in);
void ms_detect_free(ms_detect_input *in);

/* What matching leaves for the FROC: per nodule its best probability
 * (-inf when missed), and the false-positive probabilities. */
typedef struct ms_detect_match {
    double *nod_prob;         /* nnod */
    int64_t *fp_scan_start;   /* nscans + 1 offsets into fp_prob */
    double *fp_prob;
    int64_t nfp, ignored_excluded, double_hits, dropped_over_cap;
} ms_detect_match;

/* LUNA16 matching: per scan keep the candidates whose probability is above
 * the (max_marks+1)-th highest (max_marks <= 0: all); a candidate closer
 * than diameter/2 (strictly) to an annotated nodule's centre hits it (a
 * nodule keeps its most probable hit; a candidate may hit several); one
 * that hits none but lies within an excluded finding (negative diameter:
 * 10 mm) is ignored; the rest are false positives. */
ms_status ms_detect_match_run(const ms_detect_input *in, int max_marks, ms_detect_match *m);
void ms_detect_match_free(ms_detect_match *m);

#define MS_FROC_POINTS 7
extern const double ms_froc_fps[MS_FROC_POINTS];   /* 1/8 .. 8 */

/* The FROC curve: points (fp per scan, sensitivity) from (0,0), one per
 * distinct probability, highest first. Sensitivity at x interpolates
 * linearly between the last point with fp <= x and the next (numpy.interp
 * on the curve), the last value beyond it. `nod_mask` (may be NULL) keeps
 * only some nodules in the sensitivity (size strata); false positives are
 * always all counted. */
typedef struct ms_froc {
    int64_t npts;
    double *fp, *sens;
    double sens_at[MS_FROC_POINTS];
    double cpm;
    int64_t nodules, detected;
} ms_froc;

ms_status ms_froc_compute(const ms_detect_input *in, const ms_detect_match *m, const uint8_t *nod_mask, ms_froc *f);
void ms_froc_free(ms_froc *f);
double ms_froc_interp(const ms_froc *f, double x);

/* Bootstrap over scans (resampled with replacement, stream i of `seed` for
 * resample i, so thread count never matters): 95% percentile intervals of
 * the sensitivity at the seven points, of the CPM, and of the curve on
 * `ngrid` FP values (grid), for a band. */
typedef struct ms_froc_ci {
    double sens_lo[MS_FROC_POINTS], sens_hi[MS_FROC_POINTS];
    double cpm_lo, cpm_hi;
    int ngrid;
    double *grid, *band_lo, *band_hi;
} ms_froc_ci;

ms_status ms_froc_bootstrap(const ms_detect_input *in, const ms_detect_match *m, int resamples, uint64_t seed,
                            const double *grid, int ngrid, ms_froc_ci *ci);
void ms_froc_ci_free(ms_froc_ci *ci);

/* ---- classification ---------------------------------------------------- */

typedef struct ms_binary_input {
    int64_t n;
    double *score;
    uint8_t *label;           /* 1 positive, 0 negative */
    char **id;
} ms_binary_input;

/* Joins SCORES (id,score) and LABELS (id,label) on id; missing, duplicate
 * or malformed rows are MS_ERR_INPUT naming the ids or lines. */
ms_status ms_binary_read(const char *scores_csv, const char *labels_csv, ms_binary_input *in);
void ms_binary_free(ms_binary_input *in);

typedef struct ms_confusion {
    double threshold;         /* score >= threshold is called positive */
    int64_t tp, fp, tn, fn;
    double sensitivity, specificity, ppv, npv, accuracy, kappa, youden;
} ms_confusion;

typedef struct ms_roc {
    int64_t npos, nneg, npts;
    double *fpr, *tpr, *thr;  /* from (0,0), one point per distinct score */
    double auc, auc_var, auc_lo, auc_hi;   /* DeLong variance and 95% CI */
    double brier;             /* NaN when a score lies outside [0, 1] */
    ms_confusion at_threshold, at_youden;
} ms_roc;

ms_status ms_roc_compute(const ms_binary_input *in, double threshold, ms_roc *r);
void ms_roc_free(ms_roc *r);
void ms_confusion_at(const ms_binary_input *in, double threshold, ms_confusion *c);
/* Pointwise 95% band of the TPR on an FPR grid by bootstrapping cases. */
ms_status ms_roc_band(const ms_binary_input *in, int resamples, uint64_t seed, const double *grid, int ngrid,
                      double *lo, double *hi);

/* ---- plots ------------------------------------------------------------- */

ms_status ms_plot_froc(const char *path, const ms_froc *f, const ms_froc_ci *ci, const char *title);
ms_status ms_plot_roc(const char *path, const ms_roc *r, const double *grid, const double *lo, const double *hi,
                      int ngrid, const char *title);

#ifdef __cplusplus
}
#endif
#endif
