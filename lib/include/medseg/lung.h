/* Lung-nodule CAD: lung masks, nodule candidates, per-nodule measurements,
 * and the risk rules (Brock, Lung-RADS, Fleischner) that detect-nodules
 * and classify share. */
#ifndef MEDSEG_LUNG_H
#define MEDSEG_LUNG_H

#include <stdint.h>
#include "device.h"
#include "volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MS_NTYPE_SOLID = 0, MS_NTYPE_PART_SOLID, MS_NTYPE_GGO } ms_ntype;
const char *ms_ntype_name(ms_ntype t);
int ms_ntype_parse(const char *s, ms_ntype *t);   /* 0 when unknown */

/* ---- risk rules ------------------------------------------------------ */

typedef struct ms_patient {
    double age;            /* years */
    int female, family_history, emphysema;
    /* 1 where the value was not given and the documented default is used */
    int age_default, sex_default, family_default, emphysema_default;
} ms_patient;

/* Defaults: age 62 (the model's centre), male, no family history, no
 * emphysema; every field flagged as a default. */
void ms_patient_defaults(ms_patient *p);
/* "age=62,sex=F,family-history=0,emphysema=1" over the defaults;
 * MS_ERR_USAGE naming the bad item. */
int ms_patient_parse(const char *s, ms_patient *p, char *err, int errlen);

typedef struct ms_risk_nodule {
    double diameter_mm;        /* mean of long and short axial axes */
    double long_axis_mm;
    double solid_diameter_mm;  /* mean axial diameter of the solid part */
    ms_ntype type;
    int upper_lobe;
    double spiculation;        /* 0..1 */
    int juxtapleural;
} ms_risk_nodule;

/* Brock (PanCan) full model with spiculation; probability of malignancy.
 * `count` is the number of nodules in the scan. Size is the long axis. */
double ms_brock(const ms_patient *p, const ms_risk_nodule *n, int count);

/* Lung-RADS v2022 baseline category: "2", "3", "4A", "4B" or "4X", with
 * the rule that gave it. Spiculation at or above this makes 3/4 into 4X. */
#define MS_SPICULATED 0.5
typedef struct ms_lungrads {
    char category[4];
    const char *rule;
    const char *management;
} ms_lungrads;
void ms_lungrads_nodule(const ms_risk_nodule *n, ms_lungrads *out);
/* Exam category: the most suspicious nodule's (1 when there is none). */
void ms_lungrads_exam(const ms_lungrads *cats, int n, ms_lungrads *out);
/* Orders categories: 1 < 2 < 3 < 4A < 4B < 4X. */
int ms_lungrads_rank(const char *category);

/* Fleischner Society 2017, incidental nodules (adults >= 35 years). */
typedef struct ms_fleischner {
    const char *rule;          /* which row of the table */
    const char *low_risk;      /* recommendation for a low-risk patient */
    const char *high_risk;
} ms_fleischner;
void ms_fleischner_nodule(const ms_risk_nodule *n, int count, ms_fleischner *out);

/* ---- detection ------------------------------------------------------ */

typedef struct ms_nodule {
    int id;                    /* 1.. in report order; 0 for a candidate not reported */
    double center_lps[3];      /* mm */
    double center_voxel[3];    /* continuous index into the input */
    double probability;
    double diameter_mm, long_axis_mm, short_axis_mm, solid_diameter_mm;
    double volume_mm3, mean_hu, sphericity, spiculation, elongation, solid_fraction;
    double response, scale_mm; /* the candidate filter's peak and its scale */
    ms_ntype type;
    int side;                  /* 1 right, 2 left, 0 outside both */
    int upper;                 /* upper half of its lung's height */
    int juxtapleural;
    double brock;
    ms_lungrads lung_rads;
    ms_fleischner fleischner;
} ms_nodule;

/* Optional model stages: a function and its context replace a classical
 * stage. lung: writes labels 0/1/2 on the 1 mm grid for its HU volume.
 * fp: the probability that a candidate centred at voxel c of the 1 mm HU
 * grid is a nodule. */
typedef ms_status (*ms_lung_fn)(void *ctx, const ms_volume *iso_hu, uint8_t *labels);
typedef ms_status (*ms_fp_fn)(void *ctx, const ms_volume *iso_hu, const double c[3], double *p);

typedef struct ms_detect_opts {
    double min_diameter_mm;    /* reported nodules at least this big */
    int max_nodules;           /* at most this many reported */
    double threshold;          /* reported when probability >= this */
    int max_candidates;        /* kept after non-maximum suppression */
    ms_patient patient;
    ms_lung_fn lung_fn;
    void *lung_ctx;
    ms_fp_fn fp_fn;
    void *fp_ctx;
    ms_device device;
} ms_detect_opts;

void ms_detect_defaults(ms_detect_opts *o);

#define MS_DETECT_STAGES 5
#define MS_DETECT_MAX_WARNINGS 8
typedef struct ms_detect_result {
    ms_volume lungs;           /* uint8 on the input grid: 1 right, 2 left */
    ms_volume nodules;         /* uint16: label k = reported nodule k */
    double lung_ml[2];         /* right, left */
    ms_nodule *cand;           /* every candidate after NMS, by probability */
    int n_cand;
    int n_reported;            /* the first n_reported of cand, ids 1.. */
    ms_lungrads exam;
    double seconds[MS_DETECT_STAGES];
    int n_warnings;
    char warnings[MS_DETECT_MAX_WARNINGS][160];
} ms_detect_result;
extern const char *const ms_detect_stage_names[MS_DETECT_STAGES];

/* ct: HU, any grid. MS_ERR_INPUT when it does not look like a chest CT
 * (values not in HU, a single slice, no lungs). */
ms_status ms_detect_nodules(const ms_volume *ct, const ms_detect_opts *o, ms_detect_result *r);
void ms_detect_result_free(ms_detect_result *r);
/* The CT on a 1 mm grid (trilinear, -1024 HU outside), the grid that the
 * pipeline and the patch models work on. */
ms_status ms_ct_to_iso(const ms_volume *ct, ms_volume *iso);
/* Fills brock, lung_rads and fleischner of n[0..count) for patient p. */
void ms_nodules_score_risk(ms_nodule *n, int count, const ms_patient *p);

#ifdef __cplusplus
}
#endif
#endif
