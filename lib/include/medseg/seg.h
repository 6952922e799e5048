/* Prompt-driven segmentation of one slice (box and/or points) and its
 * propagation through the volume, slice by slice, forward and backward.
 *
 * Slice coordinates: an axial slice fixes the third voxel index k and has
 * X = i, Y = j; coronal fixes j with X = i, Y = k; sagittal fixes i with
 * X = j, Y = k. Boxes are inclusive voxel ranges X1..X2, Y1..Y2. */
#ifndef MEDSEG_SEG_H
#define MEDSEG_SEG_H

#include <stdint.h>
#include "device.h"
#include "volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ms_axis { MS_AXIS_AXIAL = 0, MS_AXIS_CORONAL, MS_AXIS_SAGITTAL } ms_axis;

int ms_axis_parse(const char *s, ms_axis *out);      /* 0 if unknown */
const char *ms_axis_name(ms_axis a);
/* Volume axes (0=i, 1=j, 2=k) that play slice X, slice Y and the slice index. */
void ms_axis_map(ms_axis a, int *xa, int *ya, int *za);

typedef struct ms_slice {
    int64_t w, h;            /* pixels along X and Y */
    double sx, sy;           /* pixel size in mm along X and Y */
    float *px;               /* w*h values, X fastest */
} ms_slice;

ms_status ms_slice_get(const ms_volume *v, ms_axis a, int64_t k, ms_slice *s);
void ms_slice_free(ms_slice *s);
/* Clamps values to the window [c - w/2, c + w/2]. */
void ms_slice_window(ms_slice *s, double center, double width);
/* Writes value where m is nonzero into slice k of a uint8 volume. */
void ms_slice_put(ms_volume *mask, ms_axis a, int64_t k, const uint8_t *m, uint8_t value);
/* Adds 1 (saturating) where m is nonzero to slice k of a uint8 volume. */
void ms_slice_add(ms_volume *counts, ms_axis a, int64_t k, const uint8_t *m);
/* Reads slice k of any volume as a 0/1 mask (nonzero -> 1). */
void ms_slice_mask(const ms_volume *v, ms_axis a, int64_t k, uint8_t *m);

typedef struct ms_point2 {
    int64_t x, y;
    int fg;                  /* 1 foreground, 0 background */
} ms_point2;

#define MS_MAX_POINTS 256

typedef struct ms_prompt {
    int has_box;
    int64_t box[4];          /* X1, Y1, X2, Y2 inclusive */
    int npoints;
    ms_point2 points[MS_MAX_POINTS];
} ms_prompt;

/* Checks the prompt against the slice: box inside and not empty, points on
 * the slice, at least one of them; `what` names the input in messages. */
ms_status ms_prompt_check(const ms_prompt *p, int64_t w, int64_t h, const char *what);
/* The box the segmenters work in: the given box, or without one the
 * foreground points' bounding box padded by half its size and at least
 * 16 pixels, clipped to the slice. */
void ms_prompt_region(const ms_prompt *p, int64_t w, int64_t h, int64_t box[4]);

/* What propagation hands a segmenter besides the prompt: the previous
 * slice and its mask (NULL for a key slice). */
typedef struct ms_seg_prior {
    const ms_slice *slice;         /* the previous slice and its mask: a spatial prior */
    const uint8_t *mask;
    const ms_slice *model_slice;   /* where the foreground's intensities are learnt */
    const uint8_t *model_mask;     /* (the key slice); NULL: slice and mask */
    const uint8_t *allowed;        /* pixels the mask may hold; NULL: all */
    /* The model mask's parts (its 8-connected components, 1..nparts) and,
     * for each pixel of the slice being segmented, the part whose
     * intensities it is judged by (NULL, or a label outside 1..nparts: the
     * whole model mask). */
    const int32_t *model_parts;
    const int32_t *part_of;
    int64_t nparts;
} ms_seg_prior;

/* A 2-D segmenter: writes a 0/1 mask of s->w * s->h pixels. */
typedef ms_status (*ms_seg2d_fn)(void *ctx, const ms_slice *s, const ms_prompt *p, const ms_seg_prior *prior,
                                 uint8_t *mask);

/* The embedded default: iterated graph cut (GrabCut-style) with intensity
 * histograms learnt from the box and a ring around it, contrast-weighted
 * 8-neighbour smoothness, points as hard constraints; then hole filling
 * and the largest 8-connected component (when propagating: every component
 * touching the previous mask, so a structure may split). ctx is unused. */
ms_status ms_graphcut_segment(void *ctx, const ms_slice *s, const ms_prompt *p, const ms_seg_prior *prior,
                              uint8_t *mask);

/* 2-D mask helpers (w*h, X fastest). */
int64_t ms_mask2d_count(const uint8_t *m, int64_t w, int64_t h);
/* Bounding box of nonzero pixels; returns 0 when empty. */
int ms_mask2d_box(const uint8_t *m, int64_t w, int64_t h, int64_t box[4]);
void ms_mask2d_fill_holes(uint8_t *m, int64_t w, int64_t h);
/* Keeps the largest 8-connected component (ties: first in raster order). */
ms_status ms_mask2d_keep_largest(uint8_t *m, int64_t w, int64_t h);
/* 8-connected components of m into lab (w*h; 0 background, 1..*n). */
ms_status ms_mask2d_label(const uint8_t *m, int64_t w, int64_t h, int32_t *lab, int64_t *n);
/* out[i] = the label of lab's nearest labelled pixel (3-4 chamfer metric);
 * all 0 when lab has none. */
ms_status ms_mask2d_nearest_label(const int32_t *lab, int64_t w, int64_t h, int32_t *out);
/* Keeps the 8-connected components that touch a nonzero pixel of ref. */
ms_status ms_mask2d_keep_overlapping(uint8_t *m, int64_t w, int64_t h, const uint8_t *ref);
/* The segmenters' clean-up: fills holes, then keeps the components touching
 * ref (propagation: the previous slice's mask) or, without ref, the largest. */
ms_status ms_mask2d_clean(uint8_t *m, int64_t w, int64_t h, const uint8_t *ref);
/* The pixel deepest inside the mask (largest chamfer distance to the
 * outside; ties: first in raster order); returns 0 when empty. */
int ms_mask2d_interior_point(const uint8_t *m, int64_t w, int64_t h, int64_t *x, int64_t *y);

/* 3-D point prompts for propagation, voxel indices (i, j, k). */
typedef struct ms_points3 {
    int n;
    double (*p)[3];
} ms_points3;

/* Reads {"points": [[x,y,z], ...], "space": "voxel"|"lps"}; LPS points are
 * mapped to (rounded) voxel indices of `v`. */
ms_status ms_points3_read(const char *path, const ms_volume *v, ms_points3 *out);
void ms_points3_free(ms_points3 *p);
/* Reads a 2-D prompt file {"box": [x1,y1,x2,y2], "points": [[x,y,label],...]}
 * adding to *p; "slice" and "axis" keys, when present, set *k and *a. */
ms_status ms_prompt_read(const char *path, ms_prompt *p, int64_t *k, ms_axis *a);

typedef struct ms_propagate_opts {
    ms_axis axis;
    int64_t lo, hi;          /* slice range, inclusive; clipped to the volume */
    int lcc;                 /* keep the largest 3-D component (26-connected) */
    ms_device device;
    ms_seg2d_fn seg;         /* NULL: ms_graphcut_segment */
    void *seg_ctx;
} ms_propagate_opts;

/* One pass from a key slice toward `limit` (the next key slice's
 * neighbour or the range's end): it found the structure up to `last` and
 * stopped at `stop` because of stop_reason: "vanished" (nothing found),
 * "regrowth" (after tapering below a quarter of its largest section it
 * widened by half: a neighbour), "key-slice" or "range" (it reached its
 * limit). */
typedef struct ms_propagate_pass {
    int64_t key, limit, last, stop;
    int dir;                        /* -1 toward lower slices, +1 higher */
    const char *stop_reason;
} ms_propagate_pass;

typedef struct ms_propagate_stats {
    int64_t voxels, both, single;   /* nonzero, label 1, label 2 */
    int64_t first, last;            /* slice range that holds the result, -1 if empty */
    int nkeys;
    double seconds;
    int64_t nslices, *area;         /* voxels of the result on each slice */
    int npasses;
    ms_propagate_pass *passes;
} ms_propagate_stats;

void ms_propagate_stats_free(ms_propagate_stats *st);

/* From every slice of `keys` that holds a mask, grows slice by slice toward
 * the neighbouring key slices or the range ends; each pass stops when the
 * structure vanishes. Slices between two key slices are covered by two
 * passes: label 1 where both found the structure, 2 where only one did;
 * slices covered by one pass get 1. Output: uint8, the image's geometry. */
ms_status ms_propagate(const ms_volume *img, const ms_volume *keys, const ms_propagate_opts *o, ms_volume *out,
                       ms_propagate_stats *st);

/* Multi-point prompts: sorts by slice; for each pair of adjacent distinct
 * slices segments the midpoint slice inside the (10% enlarged) bounding box
 * of their points, writing that key mask into `keys` (uint8, img's grid);
 * *lo and *hi become the lowest and highest slice. */
ms_status ms_points_to_keys(const ms_volume *img, const ms_points3 *pts, ms_axis a, ms_seg2d_fn seg, void *ctx,
                            ms_volume *keys, int64_t *lo, int64_t *hi);

/* Enlarges an inclusive box by frac of its size on each side (at least
 * `min_px` pixels) and clips it to w x h. */
void ms_box_enlarge(int64_t box[4], double frac, int64_t min_px, int64_t w, int64_t h);

#ifdef __cplusplus
}
#endif
#endif
