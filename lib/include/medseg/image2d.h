/* 2-D images for classifiers: PNG, a single-frame DICOM, or a slice of a
 * NIfTI volume, as float planes. */
#ifndef MEDSEG_IMAGE2D_H
#define MEDSEG_IMAGE2D_H

#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_image2d {
    int64_t w, h;
    int channels;            /* 1 grey, 3 RGB; planar */
    float *px;
    const char *kind;        /* "png", "dicom", "nifti" */
} ms_image2d;

/* Values: PNG 0..255 (16-bit samples divided by 257; alpha dropped,
 * palettes expanded); DICOM radiographs (any modality but CT) through the
 * pixel pipeline to display values 0..255: rescale, then the first VOI LUT,
 * else the first window (PS3.3 C.11.2.1.2), else the image's own range,
 * and MONOCHROME1 inverted; DICOM CT and NIfTI: Hounsfield units (the
 * modality rescale only). `slice` picks the axial slice of a NIfTI volume
 * (-1: the middle one). */
ms_status ms_image2d_read(const char *path, int slice, ms_image2d *out);
void ms_image2d_free(ms_image2d *im);
/* Axial slice `slice` (-1: the middle one) of a volume already read from
 * path (named in messages), as ms_image2d_read gives it. */
struct ms_volume;
ms_status ms_image2d_from_volume(const struct ms_volume *v, const char *path, int slice, ms_image2d *out);

#ifdef __cplusplus
}
#endif
#endif
