/* Triangle meshes from label maps: marching cubes, areas, PLY output. */
#ifndef MEDSEG_MESH_H
#define MEDSEG_MESH_H

#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_mesh {
    int64_t nv, nt;
    double *v;          /* nv * 3 coordinates (LPS mm unless said otherwise) */
    int32_t *t;         /* nt * 3 vertex indices, counter-clockwise seen from outside */
    int64_t cap_v, cap_t;
} ms_mesh;

void ms_mesh_free(ms_mesh *m);
double ms_mesh_area(const ms_mesh *m);
/* Volume enclosed (divergence theorem): positive for outward-facing triangles. */
double ms_mesh_volume(const ms_mesh *m);
/* Unit normal of triangle t (zero for a degenerate one); returns its area. */
double ms_mesh_face_normal(const ms_mesh *m, int64_t t, double n[3]);
/* Binary little-endian PLY (float64 vertices, int32 faces), written atomically. */
ms_status ms_mesh_write_ply(const ms_mesh *m, const char *path);

/* Which voxels of a class-index volume form the region: value == cls, or any
 * nonzero value when cls is 0. */
typedef struct ms_region {
    const uint8_t *cls;     /* nx*ny*nz class indices, x fastest */
    int64_t dim[3];
    double affine[4][4];    /* voxel -> world */
    int cls_id;             /* 1..255, or 0 for the union of all classes */
    int64_t lo[3], hi[3];   /* inclusive voxel box holding the region */
} ms_region;

/* Marching cubes of the region's boundary at the midpoints between voxel
 * centres (the 0.5 level of the binary mask), with one voxel of background
 * assumed around the volume so the surface is always closed. Ambiguous faces
 * keep diagonal inside voxels apart, the same choice on both sides of every
 * face, so the result is a closed 2-manifold with consistent orientation. */
ms_status ms_marching_cubes(const ms_region *r, ms_mesh *out);

#ifdef __cplusplus
}
#endif
#endif
