/* 26-connected binary labelling on blocks of 2x2 rows. Any two voxels of a
 * 2x2x2 cube are 26-neighbours, so within the rows (y, z), (y+1, z),
 * (y, z+1), (y+1, z+1) every run of the rows' OR is one connected set.
 * Those runs are the union-find nodes: on noisy masks about sixteen times
 * fewer than voxel runs. A block is joined with its earlier neighbours
 * through the rows that face them, then components are numbered by their
 * first voxel in raster order, as everywhere else. */
#include <stdlib.h>
#include <string.h>

#include "cc_runs.h"
#include "medseg/threads.h"
#include "ops_internal.h"

typedef struct bk_job {
    const ms_volume *in;
    int64_t nx, ny, nz, nby, nbz;
    size_t nw;              /* words per row bitmask */
    uint64_t *bits;         /* every row's bitmask */
    size_t *node_start;     /* nblocks + 1 */
    cc_run *node;           /* runs of each block's OR, in block raster order */
    uint32_t *parent;       /* union-find, then the final label */
    uint64_t *key;          /* raster index of each node's first voxel */
    int64_t *slab_z;        /* nslabs + 1 bounds in block z */
    size_t nslabs;
    uint64_t *scratch;      /* 3 rows of words per slab */
    int32_t *out;
} bk_job;

/* A neighbour block at (dY, dZ) and the rows, as (dy, dz) from the
 * block's first row, through which the two can touch. */
typedef struct face { int dY, dZ, n; int a[2][2], b[2][2]; } face;
static const face FACES[4] = {
    {-1, 0, 2, {{0, 0}, {0, 1}}, {{-1, 0}, {-1, 1}}},
    {0, -1, 2, {{0, 0}, {1, 0}}, {{0, -1}, {1, -1}}},
    {-1, -1, 1, {{0, 0}}, {{-1, -1}}},
    {1, -1, 1, {{1, 0}}, {{2, -1}}},
};

static const uint64_t *row_bits(const bk_job *j, int64_t y, int64_t z)
{
    if (y < 0 || y >= j->ny || z < 0 || z >= j->nz) return NULL;
    return j->bits + (size_t)(z * j->ny + y) * j->nw;
}

/* OR of the listed rows (relative to row (y, z)) into w. */
static void or_rows(const bk_job *j, int64_t y, int64_t z, const int (*d)[2], int n, uint64_t *w)
{
    memset(w, 0, j->nw * sizeof *w);
    for (int k = 0; k < n; k++) {
        const uint64_t *r = row_bits(j, y + d[k][0], z + d[k][1]);
        if (r)
            for (size_t i = 0; i < j->nw; i++) w[i] |= r[i];
    }
}

static const int BLOCK[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};   /* raster order */

static size_t block_index(const bk_job *j, int64_t by, int64_t bz) { return (size_t)(bz * j->nby + by); }

/* Bits of word i that lie in [x0, x1). */
static inline uint64_t span_mask(size_t i, int64_t x0, int64_t x1)
{
    int64_t lo = (int64_t)i * 64, a = x0 > lo ? x0 - lo : 0, b = x1 < lo + 64 ? x1 - lo : 64;
    if (a >= b) return 0;
    uint64_t hi = b == 64 ? ~0ull : (1ull << b) - 1;
    return hi & (~0ull << a);
}

/* Whether an edge voxel of node a (bits ea) and one of node b (bits eb)
 * are within one voxel in x: ea over a, against eb over b dilated by one. */
static int nodes_touch(const bk_job *j, const uint64_t *ea, cc_run a, const uint64_t *eb, cc_run b)
{
    int64_t lo = a.x0 > b.x0 - 1 ? a.x0 : b.x0 - 1, hi = a.x1 < b.x1 + 1 ? a.x1 : b.x1 + 1;
    for (size_t i = (size_t)(lo >> 6); lo < hi && i <= (size_t)((hi - 1) >> 6); i++) {
        uint64_t cur = eb[i] & span_mask(i, b.x0, b.x1);
        uint64_t prev = i > 0 ? eb[i - 1] & span_mask(i - 1, b.x0, b.x1) : 0;
        uint64_t next = i + 1 < j->nw ? eb[i + 1] & span_mask(i + 1, b.x0, b.x1) : 0;
        uint64_t near = cur | cur << 1 | cur >> 1 | prev >> 63 | next << 63;
        if (ea[i] & span_mask(i, lo, hi) & near) return 1;
    }
    return 0;
}

/* Unites the nodes of blocks A and B that touch through edge rows ea and
 * eb. Nodes of one block are at least a voxel apart, so a merge walk over
 * the two node lists meets every pair whose spans touch; the bit test runs
 * only for pairs not already in one set (most, in a large component). */
static void join_edges(const bk_job *j, size_t ba, const uint64_t *ea, size_t bb, const uint64_t *eb)
{
    uint32_t *p = j->parent;
    size_t ka = j->node_start[ba], ea_end = j->node_start[ba + 1];
    size_t kb = j->node_start[bb], eb_end = j->node_start[bb + 1];
    while (ka < ea_end && kb < eb_end) {
        cc_run a = j->node[ka], b = j->node[kb];
        if (a.x0 < b.x1 + 1 && b.x0 < a.x1 + 1) {
            uint32_t ra = cc_find(p, (uint32_t)ka), rb = cc_find(p, (uint32_t)kb);
            if (ra != rb && nodes_touch(j, ea, a, eb, b)) {
                if (ra < rb) p[rb] = ra;
                else p[ra] = rb;
            }
        }
        if (a.x1 <= b.x1) ka++;
        else kb++;
    }
}

static void join_block(const bk_job *j, int64_t by, int64_t bz, int64_t bzmin, int only_dz, uint64_t *s)
{
    size_t ba = block_index(j, by, bz);
    if (j->node_start[ba] == j->node_start[ba + 1]) return;
    for (int f = 0; f < 4; f++) {
        const face *fc = &FACES[f];
        int64_t yb = by + fc->dY, zb = bz + fc->dZ;
        if ((only_dz && fc->dZ == 0) || yb < 0 || yb >= j->nby || zb < bzmin) continue;
        size_t bb = block_index(j, yb, zb);
        if (j->node_start[bb] == j->node_start[bb + 1]) continue;
        or_rows(j, 2 * by, 2 * bz, fc->a, fc->n, s);
        or_rows(j, 2 * by, 2 * bz, fc->b, fc->n, s + j->nw);
        join_edges(j, ba, s, bb, s + j->nw);
    }
}

/* First set bit of w in [x0, x1), or -1. */
static int64_t first_bit(const uint64_t *w, int64_t x0, int64_t x1)
{
    for (int64_t x = x0; x < x1;) {
        uint64_t m = w[x >> 6] >> (x & 63);
        if (m) {
            int64_t f = x + __builtin_ctzll(m);
            return f < x1 ? f : -1;
        }
        x = (x | 63) + 1;
    }
    return -1;
}

static void key_nodes(const bk_job *j, int64_t by, int64_t bz)
{
    size_t b = block_index(j, by, bz);
    for (size_t k = j->node_start[b]; k < j->node_start[b + 1]; k++)
        for (int r = 0; r < 4; r++) {
            int64_t y = 2 * by + BLOCK[r][0], z = 2 * bz + BLOCK[r][1];
            const uint64_t *w = row_bits(j, y, z);
            int64_t f = w ? first_bit(w, j->node[k].x0, j->node[k].x1) : -1;
            if (f >= 0) {
                j->key[k] = ((uint64_t)z * (uint64_t)j->ny + (uint64_t)y) * (uint64_t)j->nx + (uint64_t)f;
                break;
            }
        }
}

static void make_bits(void *ctx, size_t b, size_t e)
{
    bk_job *j = ctx;
    size_t rowbytes = (size_t)j->nx * ms_dtype_size(j->in->dtype);
    for (size_t r = b; r < e; r++)
        cc_row_bits((const char *)j->in->data + r * rowbytes, j->in->dtype, j->nx, j->bits + r * j->nw);
}

static void count_slabs(void *ctx, size_t b, size_t e)
{
    bk_job *j = ctx;
    for (size_t s = b; s < e; s++) {
        uint64_t *w = j->scratch + s * 3 * j->nw;
        for (int64_t bz = j->slab_z[s]; bz < j->slab_z[s + 1]; bz++)
            for (int64_t by = 0; by < j->nby; by++) {
                or_rows(j, 2 * by, 2 * bz, BLOCK, 4, w);
                j->node_start[block_index(j, by, bz)] = cc_bits_count_runs(w, j->nw);
            }
    }
}

static void label_slabs(void *ctx, size_t b, size_t e)
{
    bk_job *j = ctx;
    for (size_t s = b; s < e; s++) {
        uint64_t *w = j->scratch + s * 3 * j->nw;
        for (int64_t bz = j->slab_z[s]; bz < j->slab_z[s + 1]; bz++)
            for (int64_t by = 0; by < j->nby; by++) {
                size_t k0 = j->node_start[block_index(j, by, bz)];
                or_rows(j, 2 * by, 2 * bz, BLOCK, 4, w + 2 * j->nw);
                size_t n = cc_bits_runs(w + 2 * j->nw, j->nw, j->node + k0);
                for (size_t k = k0; k < k0 + n; k++) j->parent[k] = (uint32_t)k;
                key_nodes(j, by, bz);
                join_block(j, by, bz, j->slab_z[s], 0, w);
            }
    }
}

typedef struct root_key { uint64_t key; uint32_t node; } root_key;

static int by_key(const void *a, const void *b)
{
    uint64_t x = ((const root_key *)a)->key, y = ((const root_key *)b)->key;
    return (x > y) - (x < y);
}

/* Links point to smaller indices, so one ascending pass resolves every node
 * to its root and gathers each root's smallest key; roots sorted by key
 * get 1..K, and every node takes its root's number. */
static ms_status number_components(bk_job *j, size_t nnodes, int64_t *count)
{
    size_t k = 0;
    for (size_t i = 0; i < nnodes; i++) {
        uint32_t r = j->parent[j->parent[i]];
        if (r == i) {
            k++;
            continue;
        }
        j->parent[i] = r;
        if (j->key[i] < j->key[r]) j->key[r] = j->key[i];
    }
    if (k > INT32_MAX) return ms_fail(MS_ERR_INPUT, "more than %d components", INT32_MAX);
    root_key *roots;
    ms_status st = ms_alloc_array((void **)&roots, k ? k : 1, sizeof *roots, 0, "component table");
    if (st) return st;
    for (size_t i = 0, n = 0; i < nnodes; i++)
        if (j->parent[i] == i) roots[n++] = (root_key){j->key[i], (uint32_t)i};
    qsort(roots, k, sizeof *roots, by_key);
    for (size_t n = 0; n < k; n++) j->key[roots[n].node] = n + 1;
    free(roots);
    for (size_t i = 0; i < nnodes; i++) j->parent[i] = (uint32_t)j->key[j->parent[i]];
    *count = (int64_t)k;
    return MS_OK;
}

/* Within a node, a voxel takes the label where its bit is set. Whole words
 * of ones or zeros (anatomy) are filled at once; mixed words (noise) take a
 * masked store per voxel rather than a branch. */
static void paint_node(int32_t *o, const uint64_t *w, int64_t x0, int64_t x1, int32_t l)
{
    for (int64_t x = x0; x < x1;) {
        int64_t end = (x | 63) + 1 < x1 ? (x | 63) + 1 : x1;
        uint64_t m = w[x >> 6] >> (x & 63);
        uint64_t all = end - x == 64 ? ~0ull : (1ull << (end - x)) - 1;
        if ((m & all) == all) {
            for (; x < end; x++) o[x] = l;
        } else if ((m & all) == 0) {
            memset(o + x, 0, (size_t)(end - x) * sizeof *o);
            x = end;
        } else {
            for (; x < end; x++, m >>= 1) o[x] = -(int32_t)(m & 1) & l;
        }
    }
}

static void paint_rows(void *ctx, size_t b, size_t e)
{
    bk_job *j = ctx;
    for (size_t r = b; r < e; r++) {
        int64_t y = (int64_t)(r % (size_t)j->ny), z = (int64_t)(r / (size_t)j->ny);
        const uint64_t *w = j->bits + r * j->nw;
        int32_t *o = j->out + r * (size_t)j->nx;
        size_t blk = block_index(j, y / 2, z / 2);
        int64_t x = 0;
        for (size_t k = j->node_start[blk]; k < j->node_start[blk + 1]; k++) {
            int32_t l = (int32_t)j->parent[k];
            memset(o + x, 0, (size_t)(j->node[k].x0 - x) * sizeof *o);
            paint_node(o, w, j->node[k].x0, j->node[k].x1, l);
            x = j->node[k].x1;
        }
        memset(o + x, 0, (size_t)(j->nx - x) * sizeof *o);
    }
}

/* Index of the node of a block that contains x, searching on from *k. */
static uint32_t owner(const bk_job *j, size_t *k, int32_t x)
{
    while (j->node[*k].x1 <= x) (*k)++;
    return (uint32_t)*k;
}

static void measure(const bk_job *j, ms_components *c)
{
    for (int64_t z = 0; z < j->nz; z++)
        for (int64_t y = 0; y < j->ny; y++) {
            cc_bit_iter it = {row_bits(j, y, z), j->nw, 0};
            size_t k = j->node_start[block_index(j, y / 2, z / 2)];
            cc_run v;
            while (cc_bits_next(&it, &v))
                cc_take_run(&c->comp[j->parent[owner(j, &k, v.x0)] - 1], v, y, z, 1);
        }
}

static ms_status setup(bk_job *j)
{
    size_t nrows = (size_t)j->ny * (size_t)j->nz, nblocks = (size_t)j->nby * (size_t)j->nbz, words;
    ms_status st = cc_slabs(j->nbz, &j->slab_z, &j->nslabs);
    if (st) return st;
    if (!ms_mul3_size(j->nslabs, 3, j->nw, &words)) return ms_fail(MS_ERR_NOMEM, "labelling rows: size overflows");
    st = ms_alloc_array((void **)&j->scratch, words, sizeof *j->scratch, 0, "labelling rows");
    if (!st) st = ms_alloc_array((void **)&j->node_start, nblocks + 1, sizeof *j->node_start, 0, "labelling blocks");
    if (!st && !ms_mul_size(nrows, j->nw, &words)) st = ms_fail(MS_ERR_NOMEM, "row bitmasks: size overflows");
    if (!st) st = ms_alloc_big((void **)&j->bits, words, sizeof *j->bits, "row bitmasks");
    return st;
}

static ms_status alloc_nodes(bk_job *j, size_t *nnodes)
{
    size_t nblocks = (size_t)j->nby * (size_t)j->nbz, total = 0;
    for (size_t b = 0; b < nblocks; b++) {
        size_t c = j->node_start[b];
        j->node_start[b] = total;
        total += c;
    }
    j->node_start[nblocks] = total;
    if (total >= UINT32_MAX) return ms_fail(MS_ERR_NOMEM, "too many runs (%zu) to label", total);
    *nnodes = total;
    ms_status st = ms_alloc_big((void **)&j->node, total, sizeof *j->node, "component runs");
    if (!st) st = ms_alloc_big((void **)&j->parent, total, sizeof *j->parent, "component runs");
    if (!st) st = ms_alloc_big((void **)&j->key, total, sizeof *j->key, "component runs");
    return st;
}

static ms_status label_blocks(bk_job *j, int64_t *count)
{
    size_t nnodes = 0;
    ms_status st = setup(j);
    if (st) return st;
    ms_parallel_for((size_t)j->ny * (size_t)j->nz, 64, make_bits, j);
    ms_parallel_for(j->nslabs, 1, count_slabs, j);
    st = alloc_nodes(j, &nnodes);
    if (st) return st;
    ms_parallel_for(j->nslabs, 1, label_slabs, j);
    for (size_t s = 1; s < j->nslabs; s++)
        for (int64_t by = 0; by < j->nby; by++) join_block(j, by, j->slab_z[s], 0, 1, j->scratch);
    return number_components(j, nnodes, count);
}

ms_status ms_cc_label_blocks(const ms_volume *in, ms_volume *labels, ms_components *stats)
{
    bk_job j = {.in = in, .nx = in->dim[0], .ny = in->dim[1], .nz = in->dim[2]};
    j.nby = (j.ny + 1) / 2;
    j.nbz = (j.nz + 1) / 2;
    j.nw = (size_t)(j.nx + 63) / 64;
    int64_t count = 0;
    ms_status st = label_blocks(&j, &count);
    if (!st) st = ms_volume_like_raw(labels, in, MS_I32);
    if (!st) {
        j.out = labels->data;
        ms_parallel_for((size_t)j.ny * (size_t)j.nz, 16, paint_rows, &j);
    }
    if (!st && stats) {
        stats->count = count;
        st = ms_alloc_array((void **)&stats->comp, count ? (size_t)count : 1, sizeof *stats->comp, 1,
                            "component table");
        if (!st) measure(&j, stats);
        else ms_volume_free(labels);
    }
    free(j.bits);
    free(j.node_start);
    free(j.node);
    free(j.parent);
    free(j.key);
    free(j.slab_z);
    free(j.scratch);
    return st;
}
