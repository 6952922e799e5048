/* Minimum s-t cut by Dinic's algorithm: breadth-first levels from the
 * source, then blocking flows along level-increasing arcs, found by an
 * iterative depth-first walk with a current-arc pointer per node (so the
 * walk never recurses and never rescans a dead arc). On the 8-connected
 * grids of a graph cut this finishes in a few dozen phases. */
#include <stdlib.h>
#include <string.h>

#include "seg_internal.h"

ms_status ms_flow_init(ms_flow *g, int32_t n, int64_t max_pairs)
{
    memset(g, 0, sizeof *g);
    size_t arcs;
    if (n < 0 || n > INT32_MAX - 2 || !ms_mul_size((size_t)max_pairs, 2, &arcs))
        return ms_fail(MS_ERR_NOMEM, "graph cut: graph too large");
    g->n = n;
    g->cap = (int64_t)arcs;
    ms_status rc = ms_alloc_array((void **)&g->from, arcs, sizeof *g->from, 0, "graph arcs");
    if (!rc) rc = ms_alloc_array((void **)&g->to, arcs, sizeof *g->to, 0, "graph arcs");
    if (!rc) rc = ms_alloc_array((void **)&g->rcap, arcs, sizeof *g->rcap, 0, "graph arcs");
    if (rc) ms_flow_free(g);
    return rc;
}

void ms_flow_free(ms_flow *g)
{
    free(g->from);
    free(g->to);
    free(g->rcap);
    free(g->first);
    free(g->rev);
    free(g->pos);
    free(g->level);
    memset(g, 0, sizeof *g);
}

void ms_flow_edge(ms_flow *g, int32_t u, int32_t v, int32_t c_uv, int32_t c_vu)
{
    if (g->narcs + 2 > g->cap) return;
    int64_t a = g->narcs;
    g->from[a] = u; g->to[a] = v; g->rcap[a] = c_uv;
    g->from[a + 1] = v; g->to[a + 1] = u; g->rcap[a + 1] = c_vu;
    g->narcs += 2;
}

void ms_flow_tlink(ms_flow *g, int32_t i, int32_t cs, int32_t ct)
{
    int32_t common = cs < ct ? cs : ct;
    cs -= common;
    ct -= common;
    if (cs > 0) ms_flow_edge(g, g->n, i, cs, 0);
    if (ct > 0) ms_flow_edge(g, i, g->n + 1, ct, 0);
}

/* Sorts the arc list by tail into per-node ranges (a counting sort), with
 * rev[] pointing each arc at its partner. */
static ms_status layout(ms_flow *g)
{
    int64_t nn = (int64_t)g->n + 2, m = g->narcs;
    int64_t *start = NULL, *where = NULL;
    int32_t *to = NULL, *cap = NULL, *tail = NULL;
    ms_status rc = ms_alloc_array((void **)&start, (size_t)nn + 1, sizeof *start, 1, "graph layout");
    if (!rc) rc = ms_alloc_array((void **)&where, (size_t)m + 1, sizeof *where, 0, "graph layout");
    if (!rc) rc = ms_alloc_array((void **)&g->rev, (size_t)m + 1, sizeof *g->rev, 0, "graph layout");
    if (!rc) rc = ms_alloc_array((void **)&g->pos, (size_t)nn, sizeof *g->pos, 0, "graph layout");
    if (!rc) rc = ms_alloc_array((void **)&g->level, (size_t)nn, sizeof *g->level, 0, "graph layout");
    if (!rc) rc = ms_alloc_array((void **)&to, (size_t)m + 1, sizeof *to, 0, "graph layout");
    if (!rc) rc = ms_alloc_array((void **)&cap, (size_t)m + 1, sizeof *cap, 0, "graph layout");
    if (!rc) rc = ms_alloc_array((void **)&tail, (size_t)m + 1, sizeof *tail, 0, "graph layout");
    if (rc) goto done;
    for (int64_t a = 0; a < m; a++) start[g->from[a] + 1]++;
    for (int64_t v = 0; v < nn; v++) start[v + 1] += start[v];
    memcpy(g->pos, start, (size_t)nn * sizeof *start);
    for (int64_t a = 0; a < m; a++) where[a] = g->pos[g->from[a]]++;
    for (int64_t a = 0; a < m; a++) {
        to[where[a]] = g->to[a];
        cap[where[a]] = g->rcap[a];
        tail[where[a]] = g->from[a];
        g->rev[where[a]] = where[a ^ 1];
    }
    free(g->from);
    free(g->to);
    free(g->rcap);
    g->from = tail;
    g->to = to;
    g->rcap = cap;
    to = cap = tail = NULL;
    g->first = start;
    start = NULL;
done:
    free(start);
    free(where);
    free(to);
    free(cap);
    free(tail);
    return rc;
}

static int bfs(ms_flow *g, int32_t *queue)
{
    int32_t nn = g->n + 2, s = g->n, t = g->n + 1;
    for (int32_t v = 0; v < nn; v++) g->level[v] = -1;
    int32_t head = 0, tail = 0;
    g->level[s] = 0;
    queue[tail++] = s;
    while (head < tail) {
        int32_t v = queue[head++];
        for (int64_t a = g->first[v]; a < g->first[v + 1]; a++) {
            int32_t u = g->to[a];
            if (g->rcap[a] > 0 && g->level[u] < 0) {
                g->level[u] = g->level[v] + 1;
                queue[tail++] = u;
            }
        }
    }
    return g->level[t] >= 0;
}

/* One blocking flow. path[] holds the arcs of the current walk. */
static int64_t blocking_flow(ms_flow *g, int64_t *path)
{
    int32_t s = g->n, t = g->n + 1, v = s;
    int64_t depth = 0, total = 0;
    for (int32_t u = 0; u < g->n + 2; u++) g->pos[u] = g->first[u];
    for (;;) {
        if (v == t) {
            int32_t f = MS_FLOW_INF;
            int64_t cut = 0;
            for (int64_t i = 0; i < depth; i++)
                if (g->rcap[path[i]] < f) f = g->rcap[path[i]];
            for (int64_t i = depth - 1; i >= 0; i--) {
                g->rcap[path[i]] -= f;
                g->rcap[g->rev[path[i]]] += f;
                if (g->rcap[path[i]] == 0) cut = i;
            }
            total += f;
            depth = cut;
            v = g->from[path[cut]];
            continue;
        }
        int64_t a = g->pos[v];
        for (; a < g->first[v + 1]; a++)
            if (g->rcap[a] > 0 && g->level[g->to[a]] == g->level[v] + 1) break;
        g->pos[v] = a;
        if (a < g->first[v + 1]) {
            path[depth++] = a;
            v = g->to[a];
            continue;
        }
        g->level[v] = -1;   /* dead end for this phase */
        if (v == s) return total;
        a = path[--depth];
        v = g->from[a];
        g->pos[v]++;
    }
}

ms_status ms_flow_solve(ms_flow *g, int64_t *flow)
{
    ms_status rc = layout(g);
    if (rc) return rc;
    int32_t *queue;
    int64_t *path;
    rc = ms_alloc_array((void **)&queue, (size_t)g->n + 2, sizeof *queue, 0, "graph cut");
    if (rc) return rc;
    rc = ms_alloc_array((void **)&path, (size_t)g->n + 2, sizeof *path, 0, "graph cut");
    if (rc) { free(queue); return rc; }
    *flow = 0;
    while (bfs(g, queue)) *flow += blocking_flow(g, path);
    free(queue);
    free(path);
    return MS_OK;
}

void ms_flow_source_side(const ms_flow *g, uint8_t *side)
{
    int32_t nn = g->n + 2, *stack = malloc((size_t)nn * sizeof *stack);
    uint8_t *seen = calloc((size_t)nn, 1);
    if (!stack || !seen) {
        free(stack);
        free(seen);
        memset(side, 0, (size_t)g->n);
        return;
    }
    int32_t top = 0;
    seen[g->n] = 1;
    stack[top++] = g->n;
    while (top) {
        int32_t v = stack[--top];
        for (int64_t a = g->first[v]; a < g->first[v + 1]; a++)
            if (g->rcap[a] > 0 && !seen[g->to[a]]) {
                seen[g->to[a]] = 1;
                stack[top++] = g->to[a];
            }
    }
    memcpy(side, seen, (size_t)g->n);
    free(stack);
    free(seen);
}
