/* Connected-component labelling of 3-D volumes and the clean-ups built on
 * it (largest K, minimum size). Labels are canonical: 1..K in raster order
 * (x fastest) of each component's first voxel, so CPU and GPU agree. */
#ifndef MEDSEG_COMPONENTS_H
#define MEDSEG_COMPONENTS_H

#include <stdint.h>
#include "device.h"
#include "volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_component {
    int64_t size;          /* voxels */
    int64_t lo[3], hi[3];  /* inclusive bounding box, voxel indices */
    int64_t value;         /* input value (per-label mode) or 1 */
} ms_component;

typedef struct ms_components {
    int64_t count;
    ms_component *comp;    /* comp[l-1] describes label l */
} ms_components;

typedef struct ms_cc_opts {
    int connectivity;      /* 6, 18 or 26 */
    int per_label;         /* 0: every nonzero voxel is foreground;
                              1: each distinct nonzero value separately */
    ms_device device;
} ms_cc_opts;

/* Labels `in` (any dtype; nonzero is foreground) into a new int32 volume
 * with in's geometry. `stats` may be NULL. Per-label mode needs integer
 * values (float volumes must hold whole numbers). */
ms_status ms_label_components(const ms_volume *in, const ms_cc_opts *o, ms_volume *labels,
                              ms_components *stats);
void ms_components_free(ms_components *c);

/* Recomputes sizes and boxes from an int32 label volume whose labels are
 * 1..count; values come from `source` when given, else 1. */
ms_status ms_components_measure(const ms_volume *labels, const ms_volume *source, int64_t count,
                                ms_components *out);

/* Keeps the `largest` biggest components (0: all) - per input value when
 * per_label - and drops those under min_size voxels, then renumbers the
 * survivors 1..K in their original order. Equal sizes: the component that
 * comes first in raster order wins. */
ms_status ms_components_filter(ms_volume *labels, ms_components *stats, int64_t largest, int per_label,
                               int64_t min_size);

/* The smallest label type that holds labels 1..count: uint8, uint16, else
 * int32 (as cc3d chooses, with int32 for the widest since volumes hold no
 * uint32). */
ms_dtype ms_labels_dtype(int64_t count);

/* Narrows an int32 label volume to t (uint8, uint16 or int32) in place;
 * every label must fit t. */
void ms_labels_narrow(ms_volume *labels, ms_dtype t);

/* Binary helper: replaces mask (any dtype) by its largest component (value 1
 * in the mask's dtype); an empty mask stays empty. *kept may be NULL. */
ms_status ms_keep_largest_component(ms_volume *mask, int connectivity, ms_device dev, int64_t *kept);

#ifdef __cplusplus
}
#endif
#endif
