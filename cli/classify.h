/* classify nodules: reading a report or CSV, the model beside Brock, and
 * the re-scored answer (cli/classify_nodules.c). */
#ifndef MEDSEG_CLI_CLASSIFY_H
#define MEDSEG_CLI_CLASSIFY_H

#include <cjson/cJSON.h>

#include "medseg/device.h"
#include "medseg/lung.h"
#include "opt.h"

typedef struct classify_set {
    cJSON *doc;               /* the report as read (JSON input), else NULL */
    int is_csv;
    ms_nodule *nod;
    int n;
    int *count;               /* per nodule: nodules in its scan, for Brock and Fleischner */
    double *model_p;          /* with --model: each nodule's probability */
    char model_name[128];
} classify_set;

/* A detect-nodules report.json, or a .csv with header
 * id,diameter_mm,type,upper_lobe,spiculation[,nodule_count]. */
ms_status classify_read(const char *path, classify_set *s);
/* The patch-classifier's probability for each nodule, on the CT the report
 * was made from (cubes around center_lps). */
ms_status classify_model(classify_set *s, const char *image, const char *model, ms_device dev);
/* Scores every nodule for patient p; returns the report with brock,
 * lung_rads, fleischner (and model_probability) replaced, a new patient
 * and exam, and a "classify" record. Takes over s->doc. */
cJSON *classify_answer(classify_set *s, const char *input, const ms_patient *p);
void classify_free(classify_set *s);

typedef struct classify_image_opts {
    const char *model;
    int top;                  /* 0: every label */
    int json;
    const char *csv;
    int slice;                /* NIfTI: axial slice, -1 the middle */
} classify_image_opts;

/* classify image: scores every image; returns the exit code (3 when some
 * image could not be read or scored, the others still reported). */
int classify_images(char **paths, int n, const classify_image_opts *o, ms_device dev);

#endif
