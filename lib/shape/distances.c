/* Signed distances of a sampled shape: every hierarchy (the union, each
 * class, all classes together for the nearest class) is built first, in
 * parallel, then queried with all threads (or on the GPU). */
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

/* All class meshes as one, for the nearest class of near points. */
static ms_status concat_classes(const ms_shape *s, ms_mesh *all, int32_t **tri_cls)
{
    memset(all, 0, sizeof *all);
    ms_mesh *list[MS_SHAPE_MAX_CLASSES];
    int cls[MS_SHAPE_MAX_CLASSES], k = ms_shape_class_meshes(s, NULL, list, cls);
    for (int m = 0; m < k; m++) {
        all->nv += list[m]->nv;
        all->nt += list[m]->nt;
    }
    if (all->nv > INT32_MAX) return ms_fail(MS_ERR_NOMEM, "meshes too large");
    all->v = malloc((size_t)all->nv * 3 * sizeof *all->v);
    all->t = malloc((size_t)all->nt * 3 * sizeof *all->t);
    *tri_cls = malloc((size_t)all->nt * sizeof **tri_cls);
    if (!all->v || !all->t || !*tri_cls) return ms_fail(MS_ERR_NOMEM, "out of memory for meshes");
    int64_t ov = 0, ot = 0;
    for (int m = 0; m < k; m++) {
        memcpy(all->v + 3 * ov, list[m]->v, (size_t)list[m]->nv * 3 * sizeof *all->v);
        for (int64_t t = 0; t < list[m]->nt; t++, ot++) {
            for (int c = 0; c < 3; c++) all->t[3 * ot + c] = (int32_t)(list[m]->t[3 * t + c] + ov);
            (*tri_cls)[ot] = cls[m];
        }
        ov += list[m]->nv;
    }
    return MS_OK;
}

/* Trees in order: union, present classes, all classes. */
static ms_status build_all(const ms_shape *s, const ms_mesh *uni, const ms_mesh *all, trees *t, int *n)
{
    int k = 0;
    t->mesh[k++] = uni;
    for (int c = 0; c < s->C; c++)
        if (s->class_present[c]) t->mesh[k++] = &s->mesh[c];
    t->mesh[k++] = all;
    ms_parallel_for((size_t)k, 1, build_range, t);
    *n = k;
    for (int i = 0; i < k; i++)
        if (t->st[i]) return ms_fail(t->st[i], "building the distance hierarchy failed (out of memory?)");
    return MS_OK;
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
    ms_mesh all;
    int32_t *tri_cls = NULL, *near_tri = NULL;
    float *tmp = NULL;
    trees t;
    int n = 0;
    memset(&t, 0, sizeof t);
    int64_t most = s->n_vol > s->n_near ? s->n_vol : s->n_near;
    ms_status st = concat_classes(s, &all, &tri_cls);
    if (!st) st = ms_alloc_array((void **)&tmp, (size_t)most, sizeof *tmp, 0, "distances");
    if (!st) st = ms_alloc_array((void **)&near_tri, (size_t)s->n_near, sizeof *near_tri, 0, "near triangles");
    if (!st) st = build_all(s, uni, &all, &t, &n);
    if (!st) st = query(s, &t, n, tri_cls, dev, tmp, near_tri);
    for (int i = 0; i < MS_SHAPE_MAX_CLASSES + 2; i++) ms_sdf_free(t.tree[i]);
    ms_mesh_free(&all);
    free(tri_cls);
    free(near_tri);
    free(tmp);
    return st;
}
