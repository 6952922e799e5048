/* DICOM Structured Report of detected lung nodules: TID 1500 Measurement
 * Report written with DCMTK's dcmsr, behind a C face. */
#ifndef MEDSEG_SR_H
#define MEDSEG_SR_H

#include "lung.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_sr_report {
    const char *study_uid;         /* the source study (made up for NIfTI input) */
    const char *series_uid;        /* the source series, NULL when not DICOM */
    const char *frame_uid;         /* its FrameOfReferenceUID, may be NULL */
    const char *modality;
    const ms_nodule *nodules;      /* reported nodules, ids 1..n */
    int n;
    const char *exam_category;     /* Lung-RADS */
} ms_sr_report;

/* Writes the SR atomically. UIDs of the new SR series and instance derive
 * from the study UID and the findings, so a rerun gives the same file. */
ms_status ms_sr_write(const char *path, const ms_sr_report *r);

#ifdef __cplusplus
}
#endif
#endif
