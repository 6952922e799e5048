/* Signed distance from points to a closed triangle mesh (BVH on the CPU, a
 * CUDA kernel on the GPU; both give the same nearest triangle and sign). */
#ifndef MEDSEG_SDF_H
#define MEDSEG_SDF_H

#include <stdint.h>
#include "device.h"
#include "mesh.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_sdf_mesh ms_sdf_mesh;

/* Builds the hierarchy and pseudo-normals; m must be closed and consistently
 * oriented for the sign to mean inside/outside. */
ms_status ms_sdf_build(const ms_mesh *m, ms_sdf_mesh **out);
void ms_sdf_free(ms_sdf_mesh *s);

/* One hierarchy over several meshes side by side, from their hierarchies
 * (which stay the caller's): triangle i of part k becomes triangle
 * i + (triangles of parts before k), so the earlier part wins ties. */
#define MS_SDF_MERGE_MAX 256
ms_status ms_sdf_merge(ms_sdf_mesh *const *parts, int n, ms_sdf_mesh **out);
int64_t ms_sdf_tri_count(const ms_sdf_mesh *s);

/* sdf[i] = signed distance of pts[3i..3i+2] (negative inside), in the mesh's
 * units; nearest (may be NULL) gets the nearest triangle's index in m. */
ms_status ms_sdf_eval(const ms_sdf_mesh *s, const float *pts, int64_t n, ms_device dev, float *sdf,
                      int32_t *nearest);

/* The same for a point set queried against several meshes: order (from
 * ms_sdf_order, n entries) is the Morton order the CPU walks the points in,
 * computed once instead of per mesh. The GPU ignores it. */
ms_status ms_sdf_order(const float *pts, int64_t n, int64_t *order);
ms_status ms_sdf_eval_ordered(const ms_sdf_mesh *s, const float *pts, const int64_t *order, int64_t n, ms_device dev,
                              float *sdf, int32_t *nearest);

/* For points queried against several meshes at once (ordered as above):
 * sdf[i] = signed distance to the nearest of parts[0..n), part[i] = which,
 * the first at ties (-1 for NaN points). The same answer as querying
 * ms_sdf_merge(parts), which is what the GPU does; the CPU walks the parts
 * one after another instead of paying for the copy. */
ms_status ms_sdf_eval_nearest(ms_sdf_mesh *const *parts, int n, const float *pts, const int64_t *order, int64_t count,
                              ms_device dev, float *sdf, int32_t *part);

#ifdef __cplusplus
}
#endif
#endif
