/* Internal: the C face of the DCMTK shim (dcm_shim.cc). Only what the
 * series logic in dicom_series.c needs crosses this line. */
#ifndef MEDSEG_DCM_SHIM_H
#define MEDSEG_DCM_SHIM_H

#include <stdint.h>
#include "medseg/dicom.h"
#include "medseg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* UIDs may be 64 characters; longer (non-conformant) ones are kept whole
 * up to MS_UID_MAX so two series are never merged by a truncation. */
typedef struct ms_dcm_header {
    char series_uid[MS_UID_MAX + 1];
    char study_uid[MS_UID_MAX + 1];
    char frame_uid[MS_UID_MAX + 1];
    char modality[20];
    char transfer_syntax[68];    /* as the dataset is encoded */
    char declared_syntax[68];    /* the meta header's, when it says otherwise ("" when it agrees) */
    int implicit_dataset;        /* implicit VR although transfer_syntax (encapsulated) says explicit */
    char manufacturer[68];
    char photometric[20];
    int has_ipp, has_iop, has_spacing, has_tilt;
    double ipp[3], iop[6];
    double pixel_spacing[2];     /* row spacing, column spacing (mm) */
    double slice_thickness;
    double gantry_tilt;
    int rows, cols, bits_alloc, bits_stored, pixel_rep, samples, frames;
    int frame;                   /* the frame this header describes (0-based; see ms_dcm_frame_headers) */
    int frame_step_assumed;      /* frames without positions, stacked at an assumed step */
    double slice_spacing;        /* SpacingBetweenSlices (0: not given) */
    int seg_type;                /* a Segmentation object: 0 no, 1 BINARY, 2 FRACTIONAL */
    int segment;                 /* the frame's ReferencedSegmentNumber (0: none) */
    double max_fraction;         /* MaximumFractionalValue of a FRACTIONAL one */
    double slope, intercept;
    int instance;
    int has_window, has_voi_lut; /* the first VOI window (center, width); a VOI LUT present */
    double window_center, window_width;
    int unreadable;              /* failed: DICM magic, but the header does not parse */
    int uid_too_long;            /* a UID longer than MS_UID_MAX */
} ms_dcm_header;

/* Registers DCMTK's JPEG and JPEG-LS decoders from their plugin
 * (codecs_loader.c), once; MS_ERR_INTERNAL naming path when it cannot. */
ms_status ms_dcm_open_codecs(const char *path);

/* MS_ERR_INPUT when the file is not DICOM or lacks image attributes. */
ms_status ms_dcm_read_header(const char *path, ms_dcm_header *h);

/* Decodes frame h->frame of the pixel data into rows*cols stored values
 * (masked to BitsStored, sign-extended when PixelRepresentation is 1). */
ms_status ms_dcm_read_pixels(const char *path, const ms_dcm_header *h, int32_t *out);
/* A colour frame (h->frame) as three planes, R, G, B (3*rows*cols values,
 * YCbCr converted as pydicom converts it). */
ms_status ms_dcm_read_rgb(const char *path, const ms_dcm_header *h, int32_t *out);
/* A Segmentation object's frames, one after the other (rows*cols*frames
 * bytes): 1-bit frames unpacked to 0/1, 8-bit (FRACTIONAL) ones as stored. */
ms_status ms_dcm_read_seg_frames(const char *path, const ms_dcm_header *h, uint8_t *out);
/* Every frame, one after the other (rows*cols*frames values). */
ms_status ms_dcm_read_all_frames(const char *path, const ms_dcm_header *h, int32_t *out);

/* A multi-frame image (h->frames > 1) as h->frames headers, one a frame,
 * each a copy of h with its frame index and the frame's own position,
 * orientation, pixel spacing, thickness and rescale: from the per-frame
 * and shared functional groups (Enhanced CT/MR/PET), else from
 * GridFrameOffsetVector along the slice normal (RT dose, whose
 * DoseGridScaling is its slope); frames that give no positions are
 * stacked along the normal (frame_step_assumed). */
ms_status ms_dcm_frame_headers(const char *path, const ms_dcm_header *h, ms_dcm_header *out);

/* The VOI of a radiograph: the first window (center, width) and/or the
 * first VOI LUT (descriptor: entries, first stored value mapped, bits).
 * The header already holds the window; read this when has_voi_lut. */
typedef struct ms_dcm_voi {
    int has_window, has_lut;
    double center, width;
    int lut_n, lut_first, lut_bits;
    uint16_t *lut;               /* lut_n entries, malloc'd */
} ms_dcm_voi;
ms_status ms_dcm_read_voi(const char *path, ms_dcm_voi *voi);

typedef struct ms_dcm_ct_slice {
    const char *study_uid, *series_uid, *sop_uid, *frame_uid;
    const char *patient_name, *patient_id, *series_description;
    int series_number, instance;
    int rows, cols;
    double ipp[3], iop[6], pixel_spacing[2], slice_thickness;
    const uint16_t *stored;      /* HU + 1024 */
} ms_dcm_ct_slice;

ms_status ms_dcm_write_ct_slice(const char *path, const ms_dcm_ct_slice *s);

#ifdef __cplusplus
}
#endif
#endif
