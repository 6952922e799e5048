/* The distance hierarchy's arrays, shared by the builder and the queries. */
#ifndef MEDSEG_SDF_INTERNAL_H
#define MEDSEG_SDF_INTERNAL_H

#include "medseg/sdf.h"
#include "sdf_math.h"

/* Four floats at once (GCC vector extensions), for the builder's boxes and
 * the walk's child boxes. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

static inline v4f vmin4(v4f a, v4f b)
{
    v4i m = a < b;
    return (v4f)((m & (v4i)a) | (~m & (v4i)b));
}

static inline v4f vmax4(v4f a, v4f b)
{
    v4i m = a > b;
    return (v4f)((m & (v4i)a) | (~m & (v4i)b));
}

/* Four children of the CPU's hierarchy, boxes by axis then child. count
 * > 0: a leaf over triangles [first, first + count); 0: the wide node
 * `first`; < 0: an empty slot (its box is inverted, so never near). */
typedef struct ms_wide_node {
    float lo[3][4], hi[3][4];
    int32_t first[4], count[4];
    int32_t block[4];       /* a leaf's first block of 8 triangles' corners */
} ms_wide_node;

struct ms_sdf_mesh {
    ms_bvh_node *nodes;     /* binary: the GPU walks this */
    int64_t n_nodes;
    ms_wide_node *wide;     /* the same tree, 4-wide: the CPU walks this */
    float extent;           /* no triangle coordinate is larger in magnitude */
    float *block;           /* [blocks][9][8]: corners a, b, c by coordinate of
                               8 triangles of one leaf, padded by repeats */
    ms_sdf_tri *tris;       /* in leaf order */
    int32_t *source;        /* index in the source mesh of tris[i] */
    int64_t n_tris;
};

/* n items of sz bytes, 64-byte aligned, on huge pages when large (the
 * builds fill hundreds of megabytes, and each 4 KiB page's fault costs
 * more than writing it); NULL when out of memory or n * sz overflows. */
void *ms_sdf_alloc(size_t n, size_t sz);

/* Collapses s->nodes into s->wide. */
ms_status ms_sdf_build_wide(ms_sdf_mesh *s);
/* ms_sdf_query over the wide tree: the same answer, fewer boxes. */
double ms_sdf_query_wide(const ms_sdf_mesh *s, const double *p, int64_t hint, int64_t *nearest);
double ms_sdf_query_wide_avx2(const ms_sdf_mesh *s, const double *p, int64_t hint, int64_t *nearest);
/* The nearest of parts[0..n) (the first at ties): *part and the triangle in
 * it; hint is a triangle of parts[hint_part] likely to be near, or -1. */
double ms_sdf_nearest_wide(ms_sdf_mesh *const *parts, int n, const double *p, int hint_part, int64_t hint, int *part,
                           int64_t *nearest);
double ms_sdf_nearest_wide_avx2(ms_sdf_mesh *const *parts, int n, const double *p, int hint_part, int64_t hint,
                                int *part, int64_t *nearest);

#endif
