/* Internal to lib/lung: segmenting and measuring one candidate. */
#ifndef MEDSEG_LUNG_NODULE_H
#define MEDSEG_LUNG_NODULE_H

#include "candidates.h"
#include "lung_internal.h"

typedef struct {
    /* measurements, mm on the 1 mm grid */
    double center[3];          /* voxel position (centroid) */
    double long_axis, short_axis, diameter, solid_diameter, volume, mean_hu;
    double sphericity, spiculation, elongation, solid_fraction, contrast;
    double grown;              /* voxels grown before attached vessels were cut */
    double blobness;           /* |l3|/|l1| of the Hessian at two scales, the smaller (1: a ball) */
    double grown_low;          /* voxels grown at half the threshold's contrast */
    ms_ntype type;
    int juxtapleural, side;    /* side: lung label under the nodule (1 right, 2 left, 0 none) */
    /* the mask, in box `box` of the grid */
    lbox box;
    uint8_t *mask;
} ms_nodule_seg;

/* Grows the nodule at blob b (hu, lungs on a 1 mm grid of dims dim; bg the
 * lungs' median HU) and measures it. Returns MS_OK with seg->mask NULL when
 * there is nothing nodule-like there. */
ms_status ms_segment_nodule(const float *hu, const uint8_t *lungs, const int64_t dim[3], double bg, const ms_blob *b,
                            ms_nodule_seg *seg);
/* The growing step alone (nodule_grow.c): mask and box, and the core HU. */
ms_status nodule_grow(const float *hu, const uint8_t *lungs, const int64_t dim[3], double bg, const ms_blob *b,
                      ms_nodule_seg *s, double *core);
void ms_nodule_seg_free(ms_nodule_seg *s);

#endif
