/* Shape-completion training data from multi-class label maps: per-class
 * marching-cubes meshes, surface samples with one-hot classes and normals,
 * volume and near-surface SDF samples, partial-label variants (prepare-npz). */
#ifndef MEDSEG_SHAPE_H
#define MEDSEG_SHAPE_H

#include <stdint.h>
#include "device.h"
#include "mesh.h"
#include "volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_SHAPE_MAX_CLASSES 255

/* Raw label value -> class 1..C; values not listed are background. */
typedef struct ms_class_map {
    int n;
    int64_t raw[MS_SHAPE_MAX_CLASSES * 4];
    int cls[MS_SHAPE_MAX_CLASSES * 4];
} ms_class_map;

/* Parses "V1:1,V2:2,..." (classes 1..n_classes). */
ms_status ms_class_map_parse(const char *s, int n_classes, ms_class_map *out);

typedef enum { MS_NORM_SPHERE = 0, MS_NORM_BOX } ms_normalize;

typedef struct ms_shape_opts {
    int n_classes;
    const ms_class_map *map;        /* NULL: values 1..C are the classes */
    int64_t n_surface, n_vol, n_near;
    double near_sigma[2];
    ms_normalize normalize;
    uint64_t seed;
    ms_device device;
    const char *mesh_dir;           /* if set, PLY meshes (LPS mm) go there */
} ms_shape_opts;

/* One case's samples, in the normalised frame: world = p / scale + shifts. */
typedef struct ms_shape {
    int C;
    int64_t n_surface, n_vol, n_near;
    float *surface_points, *surface_labels, *surface_normals;
    float *vol_points, *vol_sdf, *vol_sdf_class;
    float *near_points, *near_sdf;
    int32_t *near_labels;
    uint8_t class_present[MS_SHAPE_MAX_CLASSES];
    double shifts[3], scale, affine[4][4], spacing[3];
    ms_mesh *mesh;                  /* C class meshes, normalised frame */
    uint64_t stream;                /* the case's random stream */
    double seconds[4];              /* meshing, sampling, SDF, writing */
} ms_shape;

/* Reads `path`, meshes every class and draws all samples. A label map with a
 * fractional value or no foreground is bad input. */
ms_status ms_shape_prepare(const char *path, const char *stem, const ms_shape_opts *o, ms_shape *out);
void ms_shape_free(ms_shape *s);

/* Surface samples from the classes flagged in keep only (C flags): n points,
 * one-hot labels (n, C) and normals; stream picks the random numbers. */
ms_status ms_shape_sample_classes(const ms_shape *s, const uint8_t *keep, int64_t n, uint64_t stream, float *pts,
                                  float *labels, float *normals);

/* Writes the npz; when keep is not NULL adds the partial input arrays
 * (input_surface_points, input_surface_labels, input_class_present). */
ms_status ms_shape_write(const ms_shape *s, const char *path, const uint8_t *keep, uint64_t variant_stream);

#ifdef __cplusplus
}
#endif
#endif
