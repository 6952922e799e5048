/* Internals of lib/seg: the s-t max-flow solver the graph cut uses. */
#ifndef MEDSEG_SEG_INTERNAL_H
#define MEDSEG_SEG_INTERNAL_H

#include <stdint.h>
#include "medseg/status.h"

/* A graph of n nodes plus a source (n) and a sink (n + 1). Arcs are added
 * in pairs; ms_flow_solve lays them out per node and runs Dinic's
 * algorithm. Capacities are integers so the cut is exact. */
typedef struct ms_flow {
    int32_t n;
    int64_t narcs, cap;
    int32_t *from, *to, *rcap;       /* arc list while adding */
    int64_t *first, *rev, *pos;      /* per-node arc ranges after solve */
    int32_t *level;
} ms_flow;

#define MS_FLOW_INF (1 << 28)

ms_status ms_flow_init(ms_flow *g, int32_t n, int64_t max_pairs);
void ms_flow_free(ms_flow *g);
/* Arc u->v with capacity c_uv and its reverse with c_vu. */
void ms_flow_edge(ms_flow *g, int32_t u, int32_t v, int32_t c_uv, int32_t c_vu);
/* Source->i with cs and i->sink with ct (the common part cancels). */
void ms_flow_tlink(ms_flow *g, int32_t i, int32_t cs, int32_t ct);
ms_status ms_flow_solve(ms_flow *g, int64_t *flow);
/* side[i] = 1 for nodes still reachable from the source after solving. */
void ms_flow_source_side(const ms_flow *g, uint8_t *side);

#endif
