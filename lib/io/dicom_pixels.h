/* Internal to lib/io: a series' pixels, from each file's stored values to
 * the volume's type (dicom_pixels.c). The stack is staged in the narrowest
 * type that holds every stored value (int16 for 12-bit and signed CT), and
 * rescaled in place when the output is as wide: no wider staging buffer,
 * no per-voxel calls. */
#ifndef MEDSEG_IO_DICOM_PIXELS_H
#define MEDSEG_IO_DICOM_PIXELS_H

#include <pthread.h>

#include "dcm_shim.h"
#include "medseg/volume.h"

/* The staging type of a series whose slices have these stored formats:
 * int16 unless some slice holds unsigned 16-bit values (uint16), or both
 * those and signed ones (int32). */
ms_dtype ms_dcm_stage_type(const ms_dcm_header *const *h, int n);

/* The decoded frames of the last compressed multi-frame file read, shared
 * by the threads reading a series. */
typedef struct ms_dcm_frame_cache {
    pthread_mutex_t lock;
    char *path;
    int32_t *values;
} ms_dcm_frame_cache;
void ms_dcm_frame_cache_free(ms_dcm_frame_cache *c);

/* One slice's (frame h->frame's) rows*cols stored values (masked to
 * BitsStored, sign-extended when PixelRepresentation is 1) into dst of type
 * `stage`. Native little-endian pixel data at the end of the file is read
 * in place without parsing the file again; anything else is decoded through
 * DCMTK (a multi-frame file once, into cache). */
ms_status ms_dcm_read_slice(const char *path, const ms_dcm_header *h, void *dst, ms_dtype stage,
                            ms_dcm_frame_cache *cache);

/* Applies slope[s] and intercept[s] to slice s of the staged stack and
 * gives it its output type: int16 when every value fits, then int32, then
 * float64 for integer rescales; float32 otherwise. In place when the
 * output is as wide as the stage. */
/* u32: an int32 stage holds unsigned 32-bit samples (their bits as they
 * are), read as unsigned. */
ms_status ms_dcm_rescale(const char *path, const double *slope, const double *intercept, int u32, ms_volume *stack);

#endif
