/* DICOM series: reading a directory or file into a volume, writing a
 * volume as a CT series. The DCMTK part lives in a small C++ shim. */
#ifndef MEDSEG_DICOM_H
#define MEDSEG_DICOM_H

#include "volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_DICOM_MAX_SERIES_LISTED 32
#define MS_UID_MAX 128

typedef struct ms_dicom_series_summary {
    char uid[MS_UID_MAX + 1];
    char modality[20];
    int n_images;
} ms_dicom_series_summary;

typedef struct ms_dicom_info {
    int n_files;                 /* files looked at */
    int n_non_dicom;             /* files that were not DICOM and were skipped */
    int n_unreadable;            /* DICOM files that could not be read, skipped (--skip-bad-files) */
    char first_unreadable[512];  /* the first of them */
    int n_series;
    ms_dicom_series_summary series[MS_DICOM_MAX_SERIES_LISTED];
    char series_uid[MS_UID_MAX + 1];   /* the series read */
    char study_uid[MS_UID_MAX + 1];
    char frame_uid[MS_UID_MAX + 1];    /* FrameOfReferenceUID */
    double slice_thickness;      /* (0018,0050) of the first slice, 0 if absent */
    char modality[20];
    char transfer_syntax[68];
    char manufacturer[68];
    int n_slices;                /* images of the chosen series used */
    int n_ignored;               /* images of that series left out (other size/orientation) */
    double slice_step;           /* mm between output slices */
    double min_gap, max_gap;     /* measured gaps between input slices, mm */
    int uneven;                  /* gaps differ by more than the tolerance */
    int resampled;               /* output slices interpolated onto an even grid */
    double tilt_deg;             /* angle between slice normal and stacking direction */
    double gantry_tilt_tag;      /* (0018,1120) as written, NaN if absent */
    int tilted;
    /* Geometry the files do not give, assumed (and warned about): */
    int assumed_position;        /* no ImagePositionPatient: origin 0 */
    int assumed_orientation;     /* no ImageOrientationPatient: axial rows and columns */
    int assumed_spacing;         /* no PixelSpacing: 1 mm */
    int assumed_slice_step;      /* one image without SliceThickness: 1 mm */
} ms_dicom_info;

/* Reads a directory (recursively) or a single file. Images are grouped by
 * SeriesInstanceUID; `series` picks one, else the one with most images.
 * Slices are ordered by ImagePositionPatient projected on the slice normal.
 * Gantry tilt is kept exact in a sheared affine; uneven gaps are resampled
 * linearly onto the median gap (see medseg-convert(1)). */
ms_status ms_dicom_read(const char *path, const char *series, ms_volume *v, ms_dicom_info *info);
/* A DICOM file in the folder that cannot be read (truncated, corrupt) is
 * refused by default (exit 3, naming it); with skip set it is left out,
 * named in a warning and counted in ms_dicom_info. */
void ms_dicom_set_skip_unreadable(int skip);

typedef struct ms_dicom_write_opts {
    const char *study_uid;
    const char *series_uid;
    const char *uid_root_seed_text;  /* instance UIDs derive from this */
    const char *patient_name;
    const char *patient_id;
    const char *series_description;
    int series_number;
} ms_dicom_write_opts;

/* Writes a CT Image Storage series (one file per slice, explicit VR little
 * endian, stored value = HU + 1024 with RescaleIntercept -1024) into `dir`,
 * atomically. The volume's in-plane axes must be orthogonal. */
ms_status ms_dicom_write_ct(const char *dir, const ms_volume *v, const ms_dicom_write_opts *o);

/* When DCMDICTPATH is unset, points it at DCMTK's public dictionary alone,
 * leaving out its private-tag dictionary: medseg reads no private
 * attribute, and parsing that file was a fifth of converting a small series.
 * For programs (it sets an environment variable); call before the first
 * DICOM read. */
void ms_dicom_public_dictionary_only(void);

/* A DICOM UID "2.25.<decimal>" derived deterministically from text. */
void ms_dicom_uid_from_text(const char *text, char uid[68]);

#ifdef __cplusplus
}
#endif
#endif
