/* LUNA16 candidate matching (Setio et al. 2017, the challenge's evaluation
 * script): which candidate hits which nodule, which are ignored, which are
 * false positives. The FROC curve itself is in froc_curve.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/metrics.h"

/* Findings grouped by scan: order[start[s]..start[s+1]) in file order. */
static ms_status group(const ms_finding *f, int64_t n, int nscans, int64_t **start, int64_t **order)
{
    ms_status rc = ms_alloc_array((void **)start, (size_t)nscans + 1, sizeof **start, 1, "matching");
    if (!rc) rc = ms_alloc_array((void **)order, (size_t)(n ? n : 1), sizeof **order, 0, "matching");
    if (rc) return rc;
    for (int64_t i = 0; i < n; i++) (*start)[f[i].scan + 1]++;
    for (int s = 0; s < nscans; s++) (*start)[s + 1] += (*start)[s];
    int64_t *pos = malloc(((size_t)nscans + 1) * sizeof *pos);
    if (!pos) return ms_fail(MS_ERR_NOMEM, "matching: out of memory");
    memcpy(pos, *start, ((size_t)nscans + 1) * sizeof *pos);
    for (int64_t i = 0; i < n; i++) (*order)[pos[f[i].scan]++] = i;
    free(pos);
    return MS_OK;
}

static int desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

/* LUNA16's cap: keep marks above the (max+1)-th highest probability, so
 * ties at the cut are all dropped. keep[] marks survivors. */
static int64_t cap_marks(const ms_finding *c, const int64_t *idx, int64_t n, int max_marks, uint8_t *keep,
                         double *scratch)
{
    for (int64_t i = 0; i < n; i++) keep[i] = 1;
    if (max_marks <= 0 || n <= max_marks) return 0;
    for (int64_t i = 0; i < n; i++) scratch[i] = c[idx[i]].value;
    qsort(scratch, (size_t)n, sizeof *scratch, desc);
    double cut = scratch[max_marks];
    int64_t dropped = 0;
    for (int64_t i = 0; i < n; i++)
        if (!(c[idx[i]].value > cut)) {
            keep[i] = 0;
            dropped++;
        }
    return dropped;
}

static int within(const ms_finding *c, const ms_finding *nod)
{
    double d = nod->value < 0 ? 10.0 : nod->value, r2 = (d / 2) * (d / 2);
    double dx = nod->xyz[0] - c->xyz[0], dy = nod->xyz[1] - c->xyz[1], dz = nod->xyz[2] - c->xyz[2];
    return dx * dx + dy * dy + dz * dz < r2;
}

typedef struct groups {
    int64_t *cs, *co, *ns, *no, *es, *eo;
} groups;

/* One scan: state[i] 1 = hit a nodule, 2 = ignored, 0 = false positive. */
static void match_scan(const ms_detect_input *in, const groups *g, int s, const uint8_t *keep, uint8_t *state,
                       ms_detect_match *m)
{
    int64_t c0 = g->cs[s], nc = g->cs[s + 1] - c0;
    for (int64_t j = g->ns[s]; j < g->ns[s + 1]; j++) {
        const ms_finding *nod = &in->nod[g->no[j]];
        int64_t hits = 0;
        for (int64_t i = 0; i < nc; i++) {
            const ms_finding *c = &in->cand[g->co[c0 + i]];
            if (!keep[i] || !within(c, nod)) continue;
            hits++;
            state[i] = 1;
            if (c->value > m->nod_prob[g->no[j]]) m->nod_prob[g->no[j]] = c->value;
        }
        if (hits > 1) m->double_hits += hits - 1;
    }
    for (int64_t j = g->es[s]; j < g->es[s + 1]; j++)
        for (int64_t i = 0; i < nc; i++)
            if (keep[i] && state[i] == 0 && within(&in->cand[g->co[c0 + i]], &in->excl[g->eo[j]])) {
                state[i] = 2;
                m->ignored_excluded++;
            }
}

static ms_status match_all(const ms_detect_input *in, int max_marks, const groups *g, ms_detect_match *m)
{
    int64_t most = 1;
    for (int s = 0; s < in->nscans; s++)
        if (g->cs[s + 1] - g->cs[s] > most) most = g->cs[s + 1] - g->cs[s];
    uint8_t *keep = malloc((size_t)most * 2);
    double *scratch = malloc((size_t)most * sizeof *scratch);
    ms_status rc = ms_alloc_array((void **)&m->fp_prob, (size_t)(in->ncand ? in->ncand : 1), sizeof *m->fp_prob, 0,
                                  "matching");
    if (!rc && (!keep || !scratch)) rc = ms_fail(MS_ERR_NOMEM, "matching: out of memory");
    for (int s = 0; s < in->nscans && !rc; s++) {
        int64_t c0 = g->cs[s], nc = g->cs[s + 1] - c0;
        uint8_t *state = keep + most;
        m->dropped_over_cap += cap_marks(in->cand, g->co + c0, nc, max_marks, keep, scratch);
        memset(state, 0, (size_t)nc);
        match_scan(in, g, s, keep, state, m);
        m->fp_scan_start[s] = m->nfp;
        for (int64_t i = 0; i < nc; i++)
            if (keep[i] && state[i] == 0) m->fp_prob[m->nfp++] = in->cand[g->co[c0 + i]].value;
    }
    m->fp_scan_start[in->nscans] = m->nfp;
    free(keep);
    free(scratch);
    return rc;
}

ms_status ms_detect_match_run(const ms_detect_input *in, int max_marks, ms_detect_match *m)
{
    memset(m, 0, sizeof *m);
    groups g = {0};
    ms_status rc = group(in->cand, in->ncand, in->nscans, &g.cs, &g.co);
    if (!rc) rc = group(in->nod, in->nnod, in->nscans, &g.ns, &g.no);
    if (!rc) rc = group(in->excl, in->nexcl, in->nscans, &g.es, &g.eo);
    if (!rc) rc = ms_alloc_array((void **)&m->nod_prob, (size_t)(in->nnod ? in->nnod : 1), sizeof *m->nod_prob, 0,
                                 "matching");
    if (!rc) rc = ms_alloc_array((void **)&m->fp_scan_start, (size_t)in->nscans + 1, sizeof *m->fp_scan_start, 0,
                                 "matching");
    for (int64_t j = 0; !rc && j < in->nnod; j++) m->nod_prob[j] = -INFINITY;
    if (!rc) rc = match_all(in, max_marks, &g, m);
    free(g.cs); free(g.co); free(g.ns); free(g.no); free(g.es); free(g.eo);
    if (rc) ms_detect_match_free(m);
    return rc;
}

void ms_detect_match_free(ms_detect_match *m)
{
    free(m->nod_prob);
    free(m->fp_scan_start);
    free(m->fp_prob);
    memset(m, 0, sizeof *m);
}
