/* The distance hierarchy's arrays, shared by the builder and the queries. */
#ifndef MEDSEG_SDF_INTERNAL_H
#define MEDSEG_SDF_INTERNAL_H

#include "medseg/rng.h"
#include "medseg/sdf.h"
#include "sdf_math.h"

struct ms_sdf_mesh {
    ms_bvh_node *nodes;
    int64_t n_nodes;
    ms_sdf_tri *tris;       /* in leaf order */
    int32_t *source;        /* index in the source mesh of tris[i] */
    int64_t n_tris;
};

#endif
