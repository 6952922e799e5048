/* Signed distances of a sampled shape: the union's and each class's
 * hierarchies are built first, in parallel; then all are queried with all
 * threads (or on the GPU), the class trees together for the nearest class. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/sdf.h"
#include "medseg/threads.h"
#include "shape_internal.h"

typedef struct {
    const ms_mesh *mesh[MS_SHAPE_MAX_CLASSES + 1];
    ms_sdf_mesh *tree[MS_SHAPE_MAX_CLASSES + 1];
    int cls[MS_SHAPE_MAX_CLASSES + 1];   /* class number of tree[i], i > 0 */
    ms_status st[MS_SHAPE_MAX_CLASSES + 1];
    int order[MS_SHAPE_MAX_CLASSES + 1];   /* largest mesh first */
    int n;
} trees;

static void build_range(void *arg, size_t b, size_t e)
{
    trees *t = arg;
    for (size_t i = b; i < e; i++) {
        int k = t->order[i];
        t->st[k] = ms_sdf_build(t->mesh[k], &t->tree[k]);
    }
}

/* Largest first, so the last tree to finish is a small one. */
static void order_by_size(trees *t)
{
    for (int i = 0; i < t->n; i++) {
        int j = i;
        for (; j > 0 && t->mesh[t->order[j - 1]]->nt < t->mesh[i]->nt; j--) t->order[j] = t->order[j - 1];
        t->order[j] = i;
    }
}

/* Trees in order: union, then the present classes. */
static ms_status build_all(const ms_shape *s, const ms_mesh *uni, trees *t)
{
    int k = 0;
    t->mesh[k++] = uni;
    for (int c = 0; c < s->C; c++)
        if (s->class_present[c]) {
            t->cls[k] = c + 1;
            t->mesh[k++] = &s->mesh[c];
        }
    t->n = k;
    order_by_size(t);
    ms_parallel_for((size_t)k, 1, build_range, t);
    for (int i = 0; i < k; i++)
        if (t->st[i]) return ms_fail(t->st[i], "building the distance hierarchy failed (out of memory?)");
    return MS_OK;
}

/* Each point set is put in Morton order once, for all the trees it meets. */
static ms_status query(ms_shape *s, trees *t, ms_device dev, float *tmp, int32_t *near_part)
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
    if (!st) st = ms_sdf_eval_nearest(t->tree + 1, t->n - 1, s->near_points, no, K, dev, tmp, near_part);
    for (int64_t i = 0; !st && i < K; i++) s->near_labels[i] = near_part[i] >= 0 ? t->cls[near_part[i] + 1] : 0;
    free(vo);
    free(no);
    return st;
}

ms_status ms_shape_distances(ms_shape *s, const ms_mesh *uni, ms_device dev)
{
    int32_t *near_part = NULL;
    float *tmp = NULL;
    trees t;
    memset(&t, 0, sizeof t);
    int64_t most = s->n_vol > s->n_near ? s->n_vol : s->n_near;
    ms_status st = ms_alloc_array((void **)&tmp, (size_t)most, sizeof *tmp, 0, "distances");
    if (!st) st = ms_alloc_array((void **)&near_part, (size_t)s->n_near, sizeof *near_part, 0, "near classes");
    if (!st) st = build_all(s, uni, &t);
    if (!st) st = query(s, &t, dev, tmp, near_part);
    for (int i = 0; i < t.n; i++) ms_sdf_free(t.tree[i]);
    free(near_part);
    free(tmp);
    return st;
}
