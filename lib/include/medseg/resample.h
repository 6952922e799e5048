/* Resampling onto a new grid through world coordinates. Output voxel
 * (i,j,k) takes the input's value at the world position of its centre
 * (NIfTI convention: the affine maps voxel centres), so world positions are
 * preserved whatever the grid. */
#ifndef MEDSEG_RESAMPLE_H
#define MEDSEG_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "device.h"
#include "volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ms_interp { MS_INTERP_NEAREST = 0, MS_INTERP_LINEAR = 1, MS_INTERP_CUBIC = 3 } ms_interp;

typedef struct ms_grid {
    int64_t dim[3];
    double affine[4][4];   /* voxel -> LPS mm */
} ms_grid;

/* Same orientation and the same physical extent (the box of the outer
 * voxel faces), centred: spacing exactly as asked, dims rounded. */
ms_status ms_grid_from_spacing(const ms_volume *in, const double spacing[3], ms_grid *g);
/* Same orientation and extent with exactly these dims. */
ms_status ms_grid_from_shape(const ms_volume *in, const int64_t shape[3], ms_grid *g);
void ms_grid_of(const ms_volume *ref, ms_grid *g);

typedef struct ms_resample_opts {
    ms_interp interp;
    int labels;            /* label map: nearest, or linear = label-aware */
    double fill;           /* value of samples outside the input */
    ms_dtype out_dtype;    /* rounded and clamped when integer */
    ms_device device;
} ms_resample_opts;

/* out gets g's geometry. With labels and linear interpolation each output
 * voxel takes the label whose trilinear partial-volume weight is largest;
 * ties go to a nonzero label (the smallest), which keeps one-voxel-thin
 * structures that plain nearest can drop. *clamped (may be NULL) counts
 * values clamped to out_dtype's range. */
ms_status ms_resample(const ms_volume *in, const ms_grid *g, const ms_resample_opts *o, ms_volume *out,
                      size_t *clamped);

/* Continuous input index of output voxel centres: c = m * (i,j,k,1), m 3x4
 * row-major. Off-diagonal terms below 1e-9 are snapped to zero so grids
 * that differ only by rounding take the fast axis-aligned path. */
ms_status ms_resample_map(const ms_volume *in, const ms_grid *g, double m[12]);

/* Interpolating cubic B-spline coefficients of in (mirror boundary, as
 * scipy.ndimage.spline_filter), as float32. */
ms_status ms_bspline_coefficients(const ms_volume *in, float **coef);

#ifdef __cplusplus
}
#endif
#endif
