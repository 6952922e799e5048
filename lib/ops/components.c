/* CPU connected-component labelling by runs: each row is reduced to runs,
 * runs of neighbouring rows are joined with union-find, and the roots are
 * numbered in raster order. Slabs of z are labelled in parallel and joined
 * at their borders afterwards, so the result never depends on threads. */
#include "medseg/components.h"

#include <stdlib.h>
#include <string.h>

#include "cc_runs.h"
#include "medseg/log.h"
#include "medseg/threads.h"
#include "ops_internal.h"

typedef struct slab {
    int64_t z0, z1;
    cc_runs runs;
    uint32_t *parent;      /* slab-local indices */
    size_t pcap;
    size_t offset;         /* index of the slab's first run overall */
    int failed;
} slab;

typedef struct cc_job {
    const ms_volume *in;
    int conn, per_label;
    int64_t nx, ny, nz;
    size_t *row_start;     /* nrows + 1 global run offsets */
    slab *slabs;
    size_t nslabs;
    cc_run *run;           /* all runs, global order */
    int32_t *val;
    uint32_t *parent;      /* global; becomes the final label */
    int32_t *out;
} cc_job;

static inline uint32_t find(uint32_t *p, uint32_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

/* The smaller root wins, so a component's root is its first run. */
static inline void unite(uint32_t *p, uint32_t a, uint32_t b)
{
    a = find(p, a);
    b = find(p, b);
    if (a < b) p[b] = a;
    else if (b < a) p[a] = b;
}

/* Joins the runs of two rows that touch. ext is 1 when diagonal steps in x
 * count as neighbours (18/26 connectivity on these rows). Extended runs of
 * one row may overlap each other, so each run scans every run of the other
 * row it can reach instead of a plain merge walk. */
static void join_rows(uint32_t *p, const cc_run *ra, const int32_t *va, size_t na, uint32_t ia,
                      const cc_run *rb, const int32_t *vb, size_t nb, uint32_t ib, int ext)
{
    size_t j0 = 0;
    for (size_t i = 0; i < na; i++) {
        const cc_run a = ra[i];
        while (j0 < nb && rb[j0].x1 + ext <= a.x0) j0++;
        for (size_t j = j0; j < nb && rb[j].x0 < a.x1 + ext; j++)
            if (!va || va[i] == vb[j]) unite(p, ia + (uint32_t)i, ib + (uint32_t)j);
    }
}

/* Earlier rows that can touch row (y, z), with the x extension each needs. */
typedef struct prev_row { int64_t dy, dz; int ext6, ext18, ext26; } prev_row;
static const prev_row PREV[4] = {
    {-1, 0, 0, 1, 1}, {0, -1, 0, 1, 1}, {-1, -1, -1, 0, 1}, {1, -1, -1, 0, 1},
};

static int prev_ext(const prev_row *pr, int conn)
{
    return conn == 6 ? pr->ext6 : conn == 18 ? pr->ext18 : pr->ext26;
}

typedef struct row_view { const cc_run *run; const int32_t *val; size_t n; uint32_t first; } row_view;

/* Joins row (y, z) with its earlier neighbour rows for which z >= zmin.
 * view(y, z) describes a row in the index space of the parent array. */
typedef row_view (*view_fn)(void *ctx, int64_t y, int64_t z);

static void join_with_prev(const cc_job *j, uint32_t *p, view_fn view, void *ctx, int64_t y, int64_t z,
                           int64_t zmin, int only_dz)
{
    row_view cur = view(ctx, y, z);
    if (!cur.n) return;
    for (int k = 0; k < 4; k++) {
        const prev_row *pr = &PREV[k];
        int ext = prev_ext(pr, j->conn);
        if (ext < 0 || (only_dz && pr->dz == 0)) continue;
        int64_t yy = y + pr->dy, zz = z + pr->dz;
        if (yy < 0 || yy >= j->ny || zz < zmin) continue;
        row_view o = view(ctx, yy, zz);
        join_rows(p, cur.run, cur.val, cur.n, cur.first, o.run, o.val, o.n, o.first, ext);
    }
}

typedef struct slab_view { slab *s; size_t *row_local; int64_t ny; size_t cur; } slab_view;

/* The current row's end is not stored yet: row_local[cur + 1] may be the
 * next slab's first entry, which another thread owns. */
static row_view slab_row(void *ctx, int64_t y, int64_t z)
{
    slab_view *sv = ctx;
    size_t r = (size_t)((z - sv->s->z0) * sv->ny + y);
    size_t b = sv->row_local[r], e = r == sv->cur ? sv->s->runs.n : sv->row_local[r + 1];
    row_view v = {sv->s->runs.run + b, sv->s->runs.val ? sv->s->runs.val + b : NULL, e - b, (uint32_t)b};
    return v;
}

static int slab_parents(slab *s)
{
    if (s->pcap >= s->runs.n) return 1;
    size_t cap = s->runs.cap;
    uint32_t *np = realloc(s->parent, cap * sizeof *np);
    if (!np) return 0;
    for (size_t i = s->pcap; i < cap; i++) np[i] = (uint32_t)i;
    s->parent = np;
    s->pcap = cap;
    return 1;
}

static void label_slab(cc_job *j, slab *s)
{
    size_t rowbytes = (size_t)j->nx * ms_dtype_size(j->in->dtype);
    slab_view sv = {s, j->row_start + (size_t)(s->z0 * j->ny), j->ny, 0};
    for (int64_t z = s->z0; z < s->z1; z++)
        for (int64_t y = 0; y < j->ny; y++) {
            size_t r = (size_t)((z - s->z0) * j->ny + y);
            const char *row = (const char *)j->in->data + ((size_t)z * (size_t)j->ny + (size_t)y) * rowbytes;
            sv.row_local[r] = s->runs.n;
            sv.cur = r;
            if (!cc_extract_row(&s->runs, row, j->in->dtype, j->nx, j->per_label) || !slab_parents(s)
                || s->runs.n >= UINT32_MAX) {
                s->failed = 1;
                return;
            }
            join_with_prev(j, s->parent, slab_row, &sv, y, z, s->z0, 0);
        }
}

static void label_slabs(void *ctx, size_t b, size_t e)
{
    cc_job *j = ctx;
    for (size_t i = b; i < e; i++) label_slab(j, &j->slabs[i]);
}

static row_view global_row(void *ctx, int64_t y, int64_t z)
{
    cc_job *j = ctx;
    size_t r = (size_t)(z * j->ny + y);
    size_t b = j->row_start[r], e = j->row_start[r + 1];
    row_view v = {j->run + b, j->val ? j->val + b : NULL, e - b, (uint32_t)b};
    return v;
}

/* Slab-local row offsets were written in place; make them global. */
static void gather_slab(void *ctx, size_t b, size_t e)
{
    cc_job *j = ctx;
    for (size_t i = b; i < e; i++) {
        slab *s = &j->slabs[i];
        size_t r0 = (size_t)(s->z0 * j->ny), r1 = (size_t)(s->z1 * j->ny);
        for (size_t r = r0; r < r1; r++) j->row_start[r] += s->offset;
        if (s->runs.n) memcpy(j->run + s->offset, s->runs.run, s->runs.n * sizeof *j->run);
        if (j->val && s->runs.n) memcpy(j->val + s->offset, s->runs.val, s->runs.n * sizeof *j->val);
        for (size_t k = 0; k < s->runs.n; k++) j->parent[s->offset + k] = s->parent[k] + (uint32_t)s->offset;
        cc_runs_free(&s->runs);
        free(s->parent);
        s->parent = NULL;
    }
}

static void paint_rows(void *ctx, size_t b, size_t e)
{
    cc_job *j = ctx;
    for (size_t r = b; r < e; r++) {
        int32_t *o = j->out + r * (size_t)j->nx;
        memset(o, 0, (size_t)j->nx * sizeof *o);
        for (size_t k = j->row_start[r]; k < j->row_start[r + 1]; k++) {
            int32_t l = (int32_t)j->parent[k];
            for (int32_t x = j->run[k].x0; x < j->run[k].x1; x++) o[x] = l;
        }
    }
}

/* Parents never point forward, so one ascending pass turns them into
 * labels numbered in raster order of each component's first run. */
static ms_status number_roots(cc_job *j, size_t nruns, int64_t *count)
{
    uint32_t k = 0;
    for (size_t i = 0; i < nruns; i++) {
        uint32_t p = j->parent[i];
        if (p == i) {
            if (k == INT32_MAX) return ms_fail(MS_ERR_INPUT, "more than %d components", INT32_MAX);
            j->parent[i] = ++k;
        } else {
            j->parent[i] = j->parent[p];
        }
    }
    *count = k;
    return MS_OK;
}

static void measure_runs(const cc_job *j, ms_components *c)
{
    for (int64_t z = 0; z < j->nz; z++)
        for (int64_t y = 0; y < j->ny; y++) {
            size_t r = (size_t)(z * j->ny + y);
            for (size_t k = j->row_start[r]; k < j->row_start[r + 1]; k++) {
                ms_component *m = &c->comp[j->parent[k] - 1];
                int64_t x0 = j->run[k].x0, x1 = j->run[k].x1 - 1;
                if (m->size == 0) {
                    m->lo[0] = x0, m->lo[1] = y, m->lo[2] = z;
                    m->hi[0] = x1, m->hi[1] = y, m->hi[2] = z;
                    m->value = j->val ? j->val[k] : 1;
                }
                m->size += x1 - x0 + 1;
                if (x0 < m->lo[0]) m->lo[0] = x0;
                if (x1 > m->hi[0]) m->hi[0] = x1;
                if (y < m->lo[1]) m->lo[1] = y;
                if (y > m->hi[1]) m->hi[1] = y;
                m->hi[2] = z;
            }
        }
}

static ms_status setup_slabs(cc_job *j)
{
    int64_t t = ms_threads_get();
    j->nslabs = (size_t)(t < j->nz ? t : j->nz);
    ms_status st = ms_alloc_array((void **)&j->slabs, j->nslabs, sizeof *j->slabs, 1, "labelling slabs");
    if (st) return st;
    for (size_t i = 0; i < j->nslabs; i++) {
        j->slabs[i].z0 = j->nz * (int64_t)i / (int64_t)j->nslabs;
        j->slabs[i].z1 = j->nz * (int64_t)(i + 1) / (int64_t)j->nslabs;
    }
    size_t nrows = (size_t)j->ny * (size_t)j->nz;
    return ms_alloc_array((void **)&j->row_start, nrows + 1, sizeof *j->row_start, 1, "labelling rows");
}

static ms_status gather(cc_job *j, size_t *nruns)
{
    size_t total = 0;
    for (size_t i = 0; i < j->nslabs; i++) {
        if (j->slabs[i].failed) return ms_fail(MS_ERR_NOMEM, "out of memory labelling components (too many runs)");
        j->slabs[i].offset = total;
        total += j->slabs[i].runs.n;
    }
    if (total >= UINT32_MAX) return ms_fail(MS_ERR_NOMEM, "too many runs (%zu) to label", total);
    size_t alloc = total ? total : 1;
    ms_status st = ms_alloc_array((void **)&j->run, alloc, sizeof *j->run, 0, "component runs");
    if (!st) st = ms_alloc_array((void **)&j->parent, alloc, sizeof *j->parent, 0, "component runs");
    if (!st && j->per_label) st = ms_alloc_array((void **)&j->val, alloc, sizeof *j->val, 0, "component runs");
    if (st) return st;
    ms_parallel_for(j->nslabs, 1, gather_slab, j);
    j->row_start[(size_t)j->ny * (size_t)j->nz] = total;
    *nruns = total;
    return MS_OK;
}

static void join_slab_borders(cc_job *j)
{
    for (size_t i = 1; i < j->nslabs; i++)
        for (int64_t y = 0; y < j->ny; y++)
            join_with_prev(j, j->parent, global_row, j, y, j->slabs[i].z0, 0, 1);
}

static void cc_job_free(cc_job *j)
{
    if (j->slabs)
        for (size_t i = 0; i < j->nslabs; i++) {
            cc_runs_free(&j->slabs[i].runs);
            free(j->slabs[i].parent);
        }
    free(j->slabs);
    free(j->row_start);
    free(j->run);
    free(j->val);
    free(j->parent);
}

ms_status ms_cc_label_cpu(const ms_volume *in, const ms_cc_opts *o, ms_volume *labels, ms_components *stats)
{
    cc_job j = {.in = in, .conn = o->connectivity, .per_label = o->per_label,
                .nx = in->dim[0], .ny = in->dim[1], .nz = in->dim[2]};
    size_t nruns = 0;
    int64_t count = 0;
    ms_status st = setup_slabs(&j);
    if (!st) {
        ms_parallel_for(j.nslabs, 1, label_slabs, &j);
        st = gather(&j, &nruns);
    }
    if (!st) {
        join_slab_borders(&j);
        st = number_roots(&j, nruns, &count);
    }
    if (!st) st = ms_volume_like(labels, in, MS_I32);
    if (!st) {
        j.out = labels->data;
        ms_parallel_for((size_t)j.ny * (size_t)j.nz, 16, paint_rows, &j);
        if (stats) {
            stats->count = count;
            st = ms_alloc_array((void **)&stats->comp, count ? (size_t)count : 1, sizeof *stats->comp, 1,
                                "component table");
            if (!st) measure_runs(&j, stats);
            else ms_volume_free(labels);
        }
    }
    cc_job_free(&j);
    return st;
}
