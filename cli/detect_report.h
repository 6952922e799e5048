/* The detect-nodules report (report.json) and candidate list, shared by
 * detect-nodules, which writes them, and classify, which re-scores them. */
#ifndef MEDSEG_CLI_DETECT_REPORT_H
#define MEDSEG_CLI_DETECT_REPORT_H

#include <cjson/cJSON.h>

#include "medseg/dicom.h"
#include "medseg/lung.h"

typedef struct {
    const char *input;
    int is_dicom;
    const ms_dicom_info *dicom;   /* when is_dicom */
    const char *series_uid;       /* DICOM's, or the name given to a NIfTI input */
    const char *study_uid;
    const ms_volume *ct;
    const char *method;           /* "classical" or the models used */
    double total_seconds;
} detect_meta;

cJSON *nodule_json(const ms_nodule *n);
cJSON *patient_json(const ms_patient *p);
cJSON *detect_report_json(const detect_meta *m, const ms_detect_result *r, const ms_patient *p);
/* LUNA16 columns, every candidate. */
ms_status write_candidates_csv(const char *path, const char *series_uid, const ms_detect_result *r);

#endif
