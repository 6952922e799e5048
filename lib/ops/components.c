/* CPU connected-component labelling by runs: each row is reduced to runs,
 * runs of neighbouring rows are joined with union-find, and the roots are
 * numbered in raster order. Rows are counted first, so every run has its
 * final index before labelling; slabs of z are then labelled in parallel
 * and joined at their borders afterwards, so the result never depends on
 * the thread count. */
#include "medseg/components.h"

#include <stdlib.h>
#include <string.h>

#include "cc_runs.h"
#include "medseg/log.h"
#include "medseg/threads.h"
#include "ops_internal.h"

typedef struct cc_job {
    const ms_volume *in;
    int conn, per_label;
    int64_t nx, ny, nz;
    size_t rowbytes;
    size_t *row_start;     /* nrows + 1 run offsets */
    int64_t *slab_z;       /* nslabs + 1 bounds in z */
    size_t nslabs;
    cc_run *run;
    int32_t *val;          /* per-label mode only */
    uint32_t *parent;      /* becomes the final label */
    int32_t *out;
    int32_t *scratch;      /* a painting row per slab */
} cc_job;

/* Earlier rows that can touch row (y, z), with the x extension each needs
 * (-1: not a neighbour at that connectivity). */
typedef struct prev_row { int64_t dy, dz; int ext6, ext18, ext26; } prev_row;
static const prev_row PREV[4] = {
    {-1, 0, 0, 1, 1}, {0, -1, 0, 1, 1}, {-1, -1, -1, 0, 1}, {1, -1, -1, 0, 1},
};

/* A neighbour row being walked alongside the current one. */
typedef struct walk { size_t k, end; int ext; } walk;

/* Unites run i with every run of w it touches (and, per label, shares a
 * value with). root is i's root so far; the new root is returned, which
 * saves a find per union. The smaller root wins, so a component's root is
 * its first run. w->k stays on the last run that may also touch
 * the next run of the current row. */
static uint32_t join_run(const cc_job *j, size_t i, walk *w, uint32_t root)
{
    const cc_run *run = j->run;
    uint32_t *p = j->parent;
    while (w->k < w->end && run[w->k].x1 + w->ext <= run[i].x0) w->k++;
    for (size_t m = w->k; m < w->end && run[m].x0 < run[i].x1 + w->ext; m++) {
        if (j->val && j->val[i] != j->val[m]) continue;
        uint32_t r = cc_find(p, (uint32_t)m);
        if (r < root) {
            p[root] = r;
            root = r;
        } else if (r > root) {
            p[r] = root;
        }
    }
    return root;
}

/* Joins row (y, z) with its earlier neighbour rows at z >= zmin; with
 * only_dz, only with those in the previous slice. */
static void join_with_prev(const cc_job *j, int64_t y, int64_t z, int64_t zmin, int only_dz)
{
    size_t r = (size_t)(z * j->ny + y);
    walk w[4];
    int nw = 0;
    if (j->row_start[r] == j->row_start[r + 1]) return;
    for (int k = 0; k < 4; k++) {
        const prev_row *pr = &PREV[k];
        int ext = j->conn == 6 ? pr->ext6 : j->conn == 18 ? pr->ext18 : pr->ext26;
        if (ext < 0 || (only_dz && pr->dz == 0)) continue;
        int64_t yy = y + pr->dy, zz = z + pr->dz;
        if (yy < 0 || yy >= j->ny || zz < zmin) continue;
        size_t q = (size_t)(zz * j->ny + yy);
        if (j->row_start[q] == j->row_start[q + 1]) continue;
        w[nw++] = (walk){j->row_start[q], j->row_start[q + 1], ext};
    }
    for (size_t i = j->row_start[r]; i < j->row_start[r + 1]; i++) {
        uint32_t root = cc_find(j->parent, (uint32_t)i);
        for (int k = 0; k < nw; k++) root = join_run(j, i, &w[k], root);
    }
}

static const void *row_data(const cc_job *j, size_t r)
{
    return (const char *)j->in->data + r * j->rowbytes;
}

static void count_rows(void *ctx, size_t b, size_t e)
{
    cc_job *j = ctx;
    for (size_t r = b; r < e; r++)
        j->row_start[r] = cc_count_row(row_data(j, r), j->in->dtype, j->nx, j->per_label);
}

static void label_slabs(void *ctx, size_t b, size_t e)
{
    cc_job *j = ctx;
    for (size_t s = b; s < e; s++)
        for (int64_t z = j->slab_z[s]; z < j->slab_z[s + 1]; z++)
            for (int64_t y = 0; y < j->ny; y++) {
                size_t r = (size_t)(z * j->ny + y), k0 = j->row_start[r];
                size_t n = cc_extract_row(j->run + k0, j->val ? j->val + k0 : NULL, row_data(j, r),
                                          j->in->dtype, j->nx, j->per_label);
                for (size_t k = k0; k < k0 + n; k++) j->parent[k] = (uint32_t)k;
                join_with_prev(j, y, z, j->slab_z[s], 0);
            }
}

/* Row counts to offsets, then the run arrays at their final size. */
static ms_status alloc_runs(cc_job *j, size_t nrows, size_t *nruns)
{
    size_t total = 0;
    for (size_t r = 0; r < nrows; r++) {
        size_t c = j->row_start[r];
        j->row_start[r] = total;
        total += c;
    }
    j->row_start[nrows] = total;
    if (total >= UINT32_MAX) return ms_fail(MS_ERR_NOMEM, "too many runs (%zu) to label", total);
    *nruns = total;
    ms_status st = ms_alloc_big((void **)&j->run, total, sizeof *j->run, "component runs");
    if (!st) st = ms_alloc_big((void **)&j->parent, total, sizeof *j->parent, "component runs");
    if (!st && j->per_label) st = ms_alloc_big((void **)&j->val, total, sizeof *j->val, "component runs");
    return st;
}

/* Rows are built in a scratch row with PAINT voxels of slack, so short
 * runs and gaps (noise has them every few voxels) take fixed-size stores
 * instead of data-dependent loops: a run stores PAINT labels from its
 * start, then PAINT zeros from its end wipe what overshot. */
#define PAINT 8

static inline void paint8(int32_t *o, int32_t v)
{
    for (int i = 0; i < PAINT; i++) o[i] = v;
}

static void paint_row(const cc_job *j, size_t r, int32_t *row)
{
    memset(row, 0, (size_t)j->nx * sizeof *row);
    for (size_t k = j->row_start[r]; k < j->row_start[r + 1]; k++) {
        int32_t l = (int32_t)j->parent[k], x0 = j->run[k].x0, x1 = j->run[k].x1;
        paint8(row + x0, l);
        for (int32_t x = x0 + PAINT; x < x1; x++) row[x] = l;
        paint8(row + x1, 0);
    }
    memcpy(j->out + r * (size_t)j->nx, row, (size_t)j->nx * sizeof *row);
}

/* One block of rows per thread, each with its own scratch row. */
static void paint_blocks(void *ctx, size_t b, size_t e)
{
    cc_job *j = ctx;
    size_t nrows = (size_t)j->ny * (size_t)j->nz, row_len = (size_t)j->nx + PAINT;
    for (size_t i = b; i < e; i++)
        for (size_t r = nrows * i / j->nslabs; r < nrows * (i + 1) / j->nslabs; r++)
            paint_row(j, r, j->scratch + i * row_len);
}

static ms_status paint(cc_job *j, ms_volume *labels)
{
    size_t n;
    ms_status st = ms_mul_size(j->nslabs, (size_t)j->nx + PAINT, &n) ? MS_OK
                   : ms_fail(MS_ERR_NOMEM, "labelling rows: size overflows");
    if (!st) st = ms_alloc_array((void **)&j->scratch, n, sizeof *j->scratch, 0, "labelling rows");
    if (!st) st = ms_volume_like_raw(labels, j->in, MS_I32);
    if (st) return st;
    j->out = labels->data;
    ms_parallel_for(j->nslabs, 1, paint_blocks, j);
    return MS_OK;
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
            for (size_t k = j->row_start[r]; k < j->row_start[r + 1]; k++)
                cc_take_run(&c->comp[j->parent[k] - 1], j->run[k], y, z, j->val ? j->val[k] : 1);
        }
}

static ms_status setup(cc_job *j, size_t nrows)
{
    j->rowbytes = (size_t)j->nx * ms_dtype_size(j->in->dtype);
    ms_status st = cc_slabs(j->nz, &j->slab_z, &j->nslabs);
    if (st) return st;
    return ms_alloc_array((void **)&j->row_start, nrows + 1, sizeof *j->row_start, 0, "labelling rows");
}

static void join_slab_borders(cc_job *j)
{
    for (size_t i = 1; i < j->nslabs; i++)
        for (int64_t y = 0; y < j->ny; y++) join_with_prev(j, y, j->slab_z[i], 0, 1);
}

static void cc_job_free(cc_job *j)
{
    free(j->slab_z);
    free(j->row_start);
    free(j->run);
    free(j->val);
    free(j->parent);
    free(j->scratch);
}

static ms_status label_runs(cc_job *j, size_t *nruns, int64_t *count)
{
    size_t nrows = (size_t)j->ny * (size_t)j->nz;
    ms_status st = setup(j, nrows);
    if (st) return st;
    ms_parallel_for(nrows, 64, count_rows, j);
    st = alloc_runs(j, nrows, nruns);
    if (st) return st;
    ms_parallel_for(j->nslabs, 1, label_slabs, j);
    join_slab_borders(j);
    return number_roots(j, *nruns, count);
}

/* Narrow rows would make row bitmasks bigger than the volume itself. */
#define BLOCKS_MIN_NX 16

ms_status ms_cc_label_cpu(const ms_volume *in, const ms_cc_opts *o, ms_volume *labels, ms_components *stats)
{
    if (o->connectivity == 26 && !o->per_label && in->dim[0] >= BLOCKS_MIN_NX)
        return ms_cc_label_blocks(in, labels, stats);
    cc_job j = {.in = in, .conn = o->connectivity, .per_label = o->per_label,
                .nx = in->dim[0], .ny = in->dim[1], .nz = in->dim[2]};
    size_t nruns = 0;
    int64_t count = 0;
    ms_status st = label_runs(&j, &nruns, &count);
    if (!st) st = paint(&j, labels);
    if (!st) {
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
