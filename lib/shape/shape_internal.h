/* Pieces of prepare-npz shared between its files. */
#ifndef MEDSEG_SHAPE_INTERNAL_H
#define MEDSEG_SHAPE_INTERNAL_H

#include "medseg/dataset.h"
#include "medseg/shape.h"

/* Class index per voxel (0 background) and per-class boxes; entry 0 of
 * count/lo/hi is the union of all classes. */
typedef struct ms_class_volume {
    uint8_t *cls;
    int64_t dim[3];
    int64_t count[MS_SHAPE_MAX_CLASSES + 1];
    int64_t lo[MS_SHAPE_MAX_CLASSES + 1][3], hi[MS_SHAPE_MAX_CLASSES + 1][3];
} ms_class_volume;

ms_status ms_shape_classes(const ms_volume *v, const char *path, const ms_shape_opts *o, ms_class_volume *cv);
void ms_region_of_class(const ms_class_volume *cv, const ms_volume *v, int c, ms_region *r);

/* Random streams of one case, derived from the seed and the case name so a
 * case gets the same numbers whatever shard or job runs it. */
enum { STREAM_SURFACE = 1, STREAM_VOL, STREAM_NEAR, STREAM_VARIANT = 1000 };

/* Area-weighted surface sampling over the meshes flagged in keep. */
ms_status ms_surface_sample(ms_mesh *const *mesh, const int *cls_of_mesh, int n_mesh, int C, int64_t n,
                            uint64_t seed, uint64_t stream, float *pts, float *labels, float *normals, int32_t *cls);

/* Present class meshes (those flagged in keep, or all when NULL) and
 * their class numbers; returns how many. */
int ms_shape_class_meshes(const ms_shape *s, const uint8_t *keep, ms_mesh **list, int *cls);
/* vol_sdf, near_sdf, vol_sdf_class and near_labels of a sampled shape. */
ms_status ms_shape_distances(ms_shape *s, const ms_mesh *uni, ms_device dev);

/* Dataset helpers (dataset.c) for the batch driver (batch.c). */
struct ms_dataset;
struct ms_dataset_opts;
void ms_dataset_split(struct ms_dataset *d, uint64_t seed, double fraction);
ms_status ms_dataset_write_csv(const struct ms_dataset *d, const struct ms_dataset_opts *o, char **suffixes,
                               int n_suffixes);

#endif
