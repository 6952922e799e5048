/* C interface to the CUDA kernels (the .cu files here). Every function returns 0
 * on success, or nonzero with a one-line reason in err. Host functions copy
 * to and from the device; the *_device variants work on device pointers so
 * benchmarks can time the kernels alone. */
#ifndef MEDSEG_MSK_H
#define MEDSEG_MSK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int ms_kernels_device_count(void);

/* Labelling. keys: uint8 (key_bytes 1, binary: nonzero is foreground) or
 * int32 (key_bytes 4, per-label: equal nonzero values join). labels gets
 * canonical int32 labels (raster order of first voxel); *count their
 * number. */
int msk_label(const void *keys, int key_bytes, const int64_t dim[3], int conn, int32_t *labels, int64_t *count,
              char *err, size_t errlen);
int msk_label_device(const void *d_keys, int key_bytes, const int64_t dim[3], int conn, int32_t *d_labels,
                     void *d_scratch, int64_t *count, char *err, size_t errlen);
/* Bytes of d_scratch msk_label_device needs. */
size_t msk_label_scratch_bytes(const int64_t dim[3]);

/* Resampling: out(i,j,k) = in sampled at continuous index m * (i,j,k,1)
 * (m: 3x4, row-major). interp 0 nearest, 1 trilinear, 2 label vote
 * (trilinear partial-volume argmax), 3 cubic B-spline (in must then hold
 * the prefiltered coefficients as float32). in_dtype uses ms_dtype
 * numbering. out is double for 0 and 2 (exact), float for 1 and 3.
 * Samples outside [-0.5, n-0.5] get fill; inside, indices are clamped
 * (nearest, linear, vote) or mirrored (cubic). */
int msk_resample(const void *in, int in_dtype, const int64_t in_dim[3], const double m[12], int interp,
                 double fill, const int64_t out_dim[3], void *out, char *err, size_t errlen);
int msk_resample_device(const void *d_in, int in_dtype, const int64_t in_dim[3], const double m[12], int interp,
                        double fill, const int64_t out_dim[3], void *d_out, char *err, size_t errlen);

/* Signed distance of n points (xyz float) to a mesh given as the CPU's
 * bounding volume hierarchy (sdf_math.h layouts): sdf gets the distance
 * (negative inside), nearest (may be NULL) the nearest triangle's index in
 * tris. */
struct ms_bvh_node;
struct ms_sdf_tri;
int msk_sdf(const struct ms_bvh_node *nodes, int64_t n_nodes, const struct ms_sdf_tri *tris, int64_t n_tris,
            const float *pts, int64_t n, float *sdf, int32_t *nearest, char *err, size_t errlen);
int msk_sdf_device(const struct ms_bvh_node *d_nodes, const struct ms_sdf_tri *d_tris, const float *d_pts, int64_t n,
                   float *d_sdf, int32_t *d_nearest, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
