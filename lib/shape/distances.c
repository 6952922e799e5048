/* Signed distances of a sampled shape: the union's and each class's
 * hierarchies are built first, in parallel, and the classes' merged into
 * one for the nearest class; then all are queried with all threads (or on
 * the GPU). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/sdf.h"
#include "medseg/threads.h"
#include "shape_internal.h"

typedef struct {
    const ms_mesh *mesh[MS_SHAPE_MAX_CLASSES + 2];
    ms_sdf_mesh *tree[MS_SHAPE_MAX_CLASSES + 2];
    ms_status st[MS_SHAPE_MAX_CLASSES + 2];
} trees;

static void build_range(void *arg, size_t b, size_t e)
{
    trees *t = arg;
    for (size_t i = b; i < e; i++) t->st[i] = ms_sdf_build(t->mesh[i], &t->tree[i]);
}

/* The class of each triangle of the merged class tree: classes in order,
 * each class's triangles in its own mesh's order. */
static ms_status triangle_classes(const ms_shape *s, int32_t **tri_cls)
{
    ms_mesh *list[MS_SHAPE_MAX_CLASSES];
    int cls[MS_SHAPE_MAX_CLASSES], k = ms_shape_class_meshes(s, NULL, list, cls);
    int64_t nt = 0;
    for (int m = 0; m < k; m++) nt += list[m]->nt;
    ms_status st = ms_alloc_array((void **)tri_cls, nt ? (size_t)nt : 1, sizeof **tri_cls, 0, "mesh triangles");
    for (int m = 0, o = 0; !st && m < k; m++)
        for (int64_t t = 0; t < list[m]->nt; t++) (*tri_cls)[o++] = cls[m];
    return st;
}

/* Trees in order: union, present classes, all classes (merged). */
static ms_status build_all(const ms_shape *s, const ms_mesh *uni, trees *t, int *n)
{
    int k = 0;
    t->mesh[k++] = uni;
    for (int c = 0; c < s->C; c++)
        if (s->class_present[c]) t->mesh[k++] = &s->mesh[c];
    ms_parallel_for((size_t)k, 1, build_range, t);
    for (int i = 0; i < k; i++)
        if (t->st[i]) return ms_fail(t->st[i], "building the distance hierarchy failed (out of memory?)");
    *n = k + 1;
    return ms_sdf_merge(t->tree + 1, k - 1, &t->tree[k]);
}

/* Each point set is put in Morton order once, for all the trees it meets. */
static ms_status query(ms_shape *s, trees *t, int n, const int32_t *tri_cls, ms_device dev, float *tmp, int32_t *near_tri)
{
    const int64_t M = s->n_vol, K = s->n_near;
    int64_t *vo = NULL, *no = NULL;
    ms_status st = ms_alloc_array((void **)&vo, (size_t)M, sizeof *vo, 0, "query order");
    if (!st) st = ms_alloc_array((void **)&no, (size_t)K, sizeof *no, 0, "query order");
    if (!st) st = ms_sdf_order(s->vol_points, M, vo);
    if (!st) st = ms_sdf_order(s->near_points, K, no);
    if (!st) st = ms_sdf_eval_ordered(t->tree[0], s->vol_points, vo, M, dev, s->vol_sdf, NULL);
    if (!st) st = ms_sdf_eval_ordered(t->tree[0], s->near_points, no, K, dev, s->near_sdf, NULL);
    for (int c = 0, k = 1; c < s->C && !st; c++) {
        if (!s->class_present[c]) {
            for (int64_t i = 0; i < M; i++) s->vol_sdf_class[i * s->C + c] = NAN;
            continue;
        }
        st = ms_sdf_eval_ordered(t->tree[k++], s->vol_points, vo, M, dev, tmp, NULL);
        for (int64_t i = 0; !st && i < M; i++) s->vol_sdf_class[i * s->C + c] = tmp[i];
    }
    if (!st) st = ms_sdf_eval_ordered(t->tree[n - 1], s->near_points, no, K, dev, tmp, near_tri);
    for (int64_t i = 0; !st && i < K; i++) s->near_labels[i] = tri_cls[near_tri[i]];
    free(vo);
    free(no);
    return st;
}

ms_status ms_shape_distances(ms_shape *s, const ms_mesh *uni, ms_device dev)
{
    int32_t *tri_cls = NULL, *near_tri = NULL;
    float *tmp = NULL;
    trees t;
    int n = 0;
    memset(&t, 0, sizeof t);
    int64_t most = s->n_vol > s->n_near ? s->n_vol : s->n_near;
    ms_status st = triangle_classes(s, &tri_cls);
    if (!st) st = ms_alloc_array((void **)&tmp, (size_t)most, sizeof *tmp, 0, "distances");
    if (!st) st = ms_alloc_array((void **)&near_tri, (size_t)s->n_near, sizeof *near_tri, 0, "near triangles");
    if (!st) st = build_all(s, uni, &t, &n);
    if (!st) st = query(s, &t, n, tri_cls, dev, tmp, near_tri);
    for (int i = 0; i < MS_SHAPE_MAX_CLASSES + 2; i++) ms_sdf_free(t.tree[i]);
    free(tri_cls);
    free(near_tri);
    free(tmp);
    return st;
}
