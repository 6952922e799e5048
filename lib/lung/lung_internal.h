/* Internal to lib/lung: binary masks on the 1 mm working grid and the
 * helpers the lung mask, candidate search and nodule segmentation share. */
#ifndef MEDSEG_LUNG_INTERNAL_H
#define MEDSEG_LUNG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "medseg/components.h"
#include "medseg/lung.h"

/* A box of voxels [lo, hi) on a grid of dims dim. */
typedef struct {
    int64_t lo[3], hi[3];
} lbox;

static inline size_t lbox_nvox(const lbox *b)
{
    return (size_t)(b->hi[0] - b->lo[0]) * (size_t)(b->hi[1] - b->lo[1]) * (size_t)(b->hi[2] - b->lo[2]);
}
/* Grows b by m voxels on every side, clipped to dim. */
void lbox_grow(lbox *b, int64_t m, const int64_t dim[3]);
/* The box of the nonzero voxels of m (empty box when none). */
lbox lbox_of_mask(const uint8_t *m, const int64_t dim[3]);

/* Copies box b of src (grid dim) to a new buffer, and back. */
uint8_t *crop_u8(const uint8_t *src, const int64_t dim[3], const lbox *b);
float *crop_f32(const float *src, const int64_t dim[3], const lbox *b);
void paste_u8(uint8_t *dst, const int64_t dim[3], const lbox *b, const uint8_t *crop);

/* Morphology with Euclidean balls (mm on a grid of spacing 1 mm), through
 * exact distance transforms, in place. */
ms_status morph_dilate(uint8_t *m, const int64_t dim[3], double r);
ms_status morph_erode(uint8_t *m, const int64_t dim[3], double r);
ms_status morph_close(uint8_t *m, const int64_t dim[3], double r);
ms_status morph_open(uint8_t *m, const int64_t dim[3], double r);
/* Fills, slice by slice along z, background not 4-connected to the slice
 * border. */
void fill_holes_2d(uint8_t *m, const int64_t dim[3]);

/* Labels a binary buffer (26-connected unless said) into int32 labels
 * (caller frees) with their sizes and boxes. */
ms_status label_mask(const uint8_t *m, const int64_t dim[3], int conn, int32_t **labels, ms_components *cc);

/* sqrt of the largest over the smallest variance of the positions of the
 * set voxels (1 for a ball; vessel pieces are long). */
double mask_elongation(const uint8_t *m, const int64_t dim[3]);

/* Median of the values of v where mask is set, on a 1 HU histogram over
 * [-1024, 3071]; NAN when the mask is empty. */
double masked_median(const float *v, const uint8_t *mask, size_t n);
/* The same for the q-quantile (0..1). */
double masked_percentile(const float *v, const uint8_t *mask, size_t n, double q);

#endif
