/* The hierarchy of several meshes side by side, made from their own
 * hierarchies: a small tree over their roots, then their nodes and
 * triangles copied after it with shifted indices. The GPU answers
 * ms_sdf_eval_nearest (prepare-npz's nearest class) on this tree; the CPU
 * walks the parts in turn to the same answer without the copy. Triangles
 * are numbered part after part, so where parts' triangles tie the earlier
 * part wins. */
#include <stdlib.h>
#include <string.h>

#include "sdf_internal.h"

typedef struct {
    ms_sdf_mesh *const *part;
    int *order;              /* parts, regrouped as the top tree splits them */
    int64_t *node_off, *tri_off;
    ms_bvh_node *node;
    int64_t n_nodes;
} merger;

/* A part's node as it reads in the merged arrays. */
static ms_bvh_node shifted(const merger *m, int k, int64_t i)
{
    ms_bvh_node nd = m->part[k]->nodes[i];
    nd.first += (int32_t)(nd.count > 0 ? m->tri_off[k] : m->node_off[k]);
    return nd;
}

static float centre(const merger *m, int k, int a)
{
    const ms_bvh_node *r = &m->part[k]->nodes[0];
    return 0.5f * (r->lo[a] + r->hi[a]);
}

/* Splits parts order[lo, hi) at the median root centre of the widest axis;
 * a single part's slot takes (a copy of) that part's root. */
static void top(merger *m, int64_t slot, int lo, int hi)
{
    if (hi - lo == 1) {
        m->node[slot] = shifted(m, m->order[lo], 0);
        return;
    }
    float cl[3] = {INFINITY, INFINITY, INFINITY}, ch[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int i = lo; i < hi; i++)
        for (int a = 0; a < 3; a++) {
            float c = centre(m, m->order[i], a);
            cl[a] = c < cl[a] ? c : cl[a];
            ch[a] = c > ch[a] ? c : ch[a];
        }
    int ax = 0;
    for (int a = 1; a < 3; a++)
        if (ch[a] - cl[a] > ch[ax] - cl[ax]) ax = a;
    for (int i = lo + 1; i < hi; i++)   /* insertion sort: at most 256 parts */
        for (int j = i; j > lo && centre(m, m->order[j], ax) < centre(m, m->order[j - 1], ax); j--) {
            int t = m->order[j];
            m->order[j] = m->order[j - 1];
            m->order[j - 1] = t;
        }
    int mid = (lo + hi) / 2;
    int64_t child = m->n_nodes;
    m->n_nodes += 2;
    top(m, child, lo, mid);
    top(m, child + 1, mid, hi);
    ms_bvh_node *nd = &m->node[slot];
    for (int a = 0; a < 3; a++) {
        nd->lo[a] = fminf(m->node[child].lo[a], m->node[child + 1].lo[a]);
        nd->hi[a] = fmaxf(m->node[child].hi[a], m->node[child + 1].hi[a]);
    }
    nd->first = (int32_t)child;
    nd->count = 0;
}

static ms_status alloc_merged(ms_sdf_mesh *s, int64_t nodes, int64_t tris)
{
    ms_status st = ms_alloc_array((void **)&s->nodes, (size_t)nodes, sizeof *s->nodes, 0, "distance hierarchy");
    if (!st) st = ms_alloc_array((void **)&s->tris, (size_t)tris, sizeof *s->tris, 0, "distance hierarchy");
    if (!st) st = ms_alloc_array((void **)&s->source, (size_t)tris, sizeof *s->source, 0, "distance hierarchy");
    return st;
}

static ms_status merge_into(ms_sdf_mesh *s, merger *m, int n)
{
    int64_t nodes = 2 * (int64_t)n - 1, tris = 0;
    for (int k = 0; k < n; k++) {
        m->order[k] = k;
        m->node_off[k] = nodes;
        m->tri_off[k] = tris;
        nodes += m->part[k]->n_nodes;
        tris += m->part[k]->n_tris;
    }
    if (nodes > INT32_MAX || tris > INT32_MAX / 2) return ms_fail(MS_ERR_NOMEM, "meshes too large to merge");
    ms_status st = alloc_merged(s, nodes, tris);
    if (st) return st;
    m->node = s->nodes;
    m->n_nodes = 1;
    top(m, 0, 0, n);
    for (int k = 0; k < n; k++) {
        const ms_sdf_mesh *p = m->part[k];
        for (int64_t i = 0; i < p->n_nodes; i++) s->nodes[m->node_off[k] + i] = shifted(m, k, i);
        memcpy(s->tris + m->tri_off[k], p->tris, (size_t)p->n_tris * sizeof *s->tris);
        for (int64_t i = 0; i < p->n_tris; i++) s->source[m->tri_off[k] + i] = p->source[i] + (int32_t)m->tri_off[k];
    }
    s->n_nodes = nodes;
    s->n_tris = tris;
    return ms_sdf_build_wide(s);
}

ms_status ms_sdf_merge(ms_sdf_mesh *const *parts, int n, ms_sdf_mesh **out)
{
    *out = NULL;
    if (n < 1 || n > MS_SDF_MERGE_MAX) return ms_fail(MS_ERR_USAGE, "can merge 1 to %d meshes, not %d", MS_SDF_MERGE_MAX, n);
    merger m = {parts, NULL, NULL, NULL, NULL, 0};
    ms_sdf_mesh *s = calloc(1, sizeof *s);
    m.order = malloc((size_t)n * sizeof *m.order);
    m.node_off = malloc((size_t)n * sizeof *m.node_off);
    m.tri_off = malloc((size_t)n * sizeof *m.tri_off);
    ms_status st = s && m.order && m.node_off && m.tri_off ? merge_into(s, &m, n)
                   : ms_fail(MS_ERR_NOMEM, "out of memory for the distance hierarchy");
    free(m.order);
    free(m.node_off);
    free(m.tri_off);
    if (st) {
        ms_sdf_free(s);
        return st;
    }
    *out = s;
    return MS_OK;
}
