/* Reading and writing volumes: NIfTI files and DICOM series. */
#ifndef MEDSEG_IO_H
#define MEDSEG_IO_H

#include "volume.h"
#include "dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MS_FMT_UNKNOWN = 0, MS_FMT_NIFTI, MS_FMT_DICOM, MS_FMT_PAIR } ms_format;

/* 1 when path s ends with sfx (e.g. ".nii.gz"). */
int ms_path_has_suffix(const char *s, const char *sfx);

/* Decides by what is on disk (a directory is DICOM; magic bytes; suffix). */
ms_format ms_detect_format(const char *path);

/* NIfTI-1/-2, .nii or .nii.gz. Applies scl_slope/scl_inter: integer slope and
 * intercept keep an integer dtype when the scaled range fits, anything else
 * becomes float32 (float64 stays float64). The header is kept in v->nifti. */
ms_status ms_nifti_read(const char *path, ms_volume *v);

/* The volume (from 0) a 4-D NIfTI is read as; -1 (the default) refuses
 * 4-D files, naming how many volumes they hold. Process-wide, set once
 * from the command line. */
void ms_nifti_set_volume(int index);

/* 1: NaN and infinite voxels of float files are kept as they are (convert,
 * info); 0 (the default): they are read as 0 with a warning that counts
 * them, for commands whose arithmetic needs finite values. */
void ms_nifti_set_keep_nonfinite(int keep);

typedef struct ms_nifti_write_opts {
    int version;          /* 1 or 2; 0: as the source header, else 1 */
    int gz_level;         /* zlib level for .nii.gz, 0 means default (6) */
} ms_nifti_write_opts;

/* Writes atomically. A volume whose geometry still matches its source header
 * keeps that header's qform and sform untouched; otherwise both are set from
 * the affine (qform: the nearest rigid transform). */
ms_status ms_nifti_write(const char *path, const ms_volume *v, const ms_nifti_write_opts *o);

/* Any supported input. `series` selects a DICOM series (NULL: the largest);
 * `info` (may be NULL) is filled for DICOM input. */
ms_status ms_read_volume(const char *path, const char *series, ms_volume *v, ms_dicom_info *info);

#ifdef __cplusplus
}
#endif
#endif
