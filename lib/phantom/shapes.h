/* Internal: shape rasterising shared by the phantoms. Points are in mm in
 * the LPS frame of the phantom grid (centred on the origin). */
#ifndef MEDSEG_PHANTOM_SHAPES_H
#define MEDSEG_PHANTOM_SHAPES_H

#include "medseg/phantom.h"

typedef struct { double x, y, z; } vec3;

vec3 v3(double x, double y, double z);
vec3 v3_add(vec3 a, vec3 b);
vec3 v3_sub(vec3 a, vec3 b);
vec3 v3_scale(vec3 a, double s);
double v3_dot(vec3 a, vec3 b);
double v3_len(vec3 a);

/* Sets up an axial grid centred on the origin. */
ms_status phantom_alloc(const ms_phantom_grid *g, ms_dtype t, ms_volume *v, const char *what);
vec3 phantom_world(const ms_volume *v, int64_t i, int64_t j, int64_t k);
/* Voxel index range [lo, hi] covering a box around centre +- radius. */
void phantom_box(const ms_volume *v, vec3 c, double radius, int64_t lo[3], int64_t hi[3]);

/* Distance from p to segment ab. */
double seg_dist(vec3 p, vec3 a, vec3 b);

/* Calls fn for every voxel within `radius` of segment ab. */
typedef void (*voxel_fn)(void *ctx, size_t idx, double dist);
void raster_capsule(const ms_volume *v, vec3 a, vec3 b, double radius, voxel_fn fn, void *ctx);

#endif
