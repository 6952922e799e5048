/* Marching cubes on a binary region, built from face rules instead of the
 * classic 256-entry triangle table.
 *
 * Cube corners are numbered by bits (x, y, z) = (c&1, c>>1&1, c>>2&1); cube
 * edges by axis: 0-3 run along x (index y+2z), 4-7 along y (x+2z), 8-11
 * along z (x+2y). On each of the six faces, walked counter-clockwise seen
 * from outside the cube, every run of inside corners is cut off by one
 * directed segment, from the crossing that leaves the run to the crossing
 * that enters it. A face with two diagonal inside corners is two runs, so
 * its inside corners stay apart. The rule reads only the face's own corners,
 * so the two cubes sharing a face cut it the same way (in opposite
 * directions): no cracks, every edge in exactly two triangles. Each crossing
 * is the tail of one segment and the head of one, so the segments chain into
 * closed loops, each triangulated as a fan (emit_loop).
 *
 *        6-------7        z
 *       /|      /|        |  y
 *      4-------5 |        | /
 *      | 2-----|-3        |/____ x
 *      |/      |/
 *      0-------1
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/mesh.h"

typedef struct {
    int8_t n_loops;
    int8_t len[6];
    int8_t edge[12];        /* loops one after another */
} cube_loops;

static cube_loops table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static int edge_id(int c0, int c1)
{
    int diff = c0 ^ c1, lo = c0 & c1;
    int x = lo & 1, y = lo >> 1 & 1, z = lo >> 2 & 1;
    if (diff == 1) return y + 2 * z;
    if (diff == 2) return 4 + x + 2 * z;
    return 8 + x + 2 * y;
}

/* Corners of face (axis a, side s), counter-clockwise around its outward normal. */
static void face_corners(int a, int s, int q[4])
{
    static const int uv[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    int u = (a + 1) % 3, v = (a + 2) % 3;
    for (int i = 0; i < 4; i++) {
        int k = s ? i : 3 - i;
        q[i] = s << a | uv[k][0] << u | uv[k][1] << v;
    }
}

static void face_segments(int config, int a, int s, int next[12])
{
    int q[4];
    face_corners(a, s, q);
    for (int i = 0; i < 4; i++) {
        int in_i = config >> q[i] & 1, in_next = config >> q[(i + 1) % 4] & 1;
        if (!in_i || in_next) continue;
        int st = i;     /* walk back to the first inside corner of the run */
        while (config >> q[(st + 3) % 4] & 1) st = (st + 3) % 4;
        next[edge_id(q[i], q[(i + 1) % 4])] = edge_id(q[(st + 3) % 4], q[st]);
    }
}

static void build_table(void)
{
    for (int config = 0; config < 256; config++) {
        int next[12];
        for (int e = 0; e < 12; e++) next[e] = -1;
        for (int a = 0; a < 3; a++)
            for (int s = 0; s < 2; s++) face_segments(config, a, s, next);
        cube_loops *cl = &table[config];
        int used = 0, seen[12] = {0};
        for (int e = 0; e < 12; e++) {
            if (next[e] < 0 || seen[e]) continue;
            int len = 0;
            for (int f = e; !seen[f] && used + len < 12; f = next[f]) {
                seen[f] = 1;
                cl->edge[used + len++] = (int8_t)f;
            }
            cl->len[cl->n_loops++] = (int8_t)len;
            used += len;
        }
    }
}

/* Vertex ids of the crossings on the grid edges of two planes and the layer
 * between them; -1 until made. */
typedef struct {
    int64_t px, py;          /* padded plane size */
    int32_t *xe[2], *ye[2], *ze;
} edge_cache;

typedef struct {
    const ms_region *r;
    const uint8_t *bin;      /* padded binary copy of the box */
    int64_t n[3];            /* padded box size */
    int64_t origin[3];       /* voxel index of padded (0,0,0) */
    double lin[3][3], off[3];
    int flip;
    int64_t k;               /* current layer */
    edge_cache ec;
    ms_mesh *m;
} mc_ctx;

static ms_status grow(ms_mesh *m, int64_t need_v, int64_t need_t)
{
    if (need_v > INT32_MAX) return ms_fail(MS_ERR_NOMEM, "mesh over 2^31 vertices");
    if (need_v > m->cap_v) {
        int64_t cap = m->cap_v ? m->cap_v * 2 : 4096;
        while (cap < need_v) cap *= 2;
        double *v = realloc(m->v, (size_t)cap * 3 * sizeof *v);
        if (!v) return ms_fail(MS_ERR_NOMEM, "out of memory for mesh vertices");
        m->v = v;
        m->cap_v = cap;
    }
    if (need_t > m->cap_t) {
        int64_t cap = m->cap_t ? m->cap_t * 2 : 8192;
        while (cap < need_t) cap *= 2;
        int32_t *t = realloc(m->t, (size_t)cap * 3 * sizeof *t);
        if (!t) return ms_fail(MS_ERR_NOMEM, "out of memory for mesh triangles");
        m->t = t;
        m->cap_t = cap;
    }
    return MS_OK;
}

static void world_of(const mc_ctx *c, const double p[3], double *w)
{
    for (int r = 0; r < 3; r++) w[r] = c->lin[r][0] * p[0] + c->lin[r][1] * p[1] + c->lin[r][2] * p[2] + c->off[r];
}

/* The vertex on cube (i,j,k)'s edge e, made on first use. */
static int32_t edge_vertex(mc_ctx *c, int64_t i, int64_t j, int e)
{
    int axis = e >> 2, b0 = e & 1, b1 = e >> 1 & 1;
    int64_t x = i, y = j;
    int32_t *slot;
    double p[3];
    if (axis == 0) {
        y += b0;
        slot = &c->ec.xe[b1][y * c->ec.px + x];
    } else if (axis == 1) {
        x += b0;
        slot = &c->ec.ye[b1][y * c->ec.px + x];
    } else {
        x += b0;
        y += b1;
        slot = &c->ec.ze[y * c->ec.px + x];
    }
    if (*slot >= 0) return *slot;
    p[0] = (double)x + (axis == 0 ? 0.5 : 0.0);
    p[1] = (double)y + (axis == 1 ? 0.5 : 0.0);
    p[2] = (double)c->k + (axis == 2 ? 0.5 : (double)b1);
    int32_t id = (int32_t)c->m->nv++;
    world_of(c, p, &c->m->v[3 * (int64_t)id]);
    *slot = id;
    return id;
}

static void add_tri(mc_ctx *c, int32_t a, int32_t b, int32_t d)
{
    int32_t *t = &c->m->t[3 * c->m->nt++];
    t[0] = a;
    t[1] = c->flip ? d : b;
    t[2] = c->flip ? b : d;
}

static double tri_area2(const ms_mesh *m, int32_t a, int32_t b, int32_t c)
{
    const double *p = &m->v[3 * (int64_t)a], *q = &m->v[3 * (int64_t)b], *r = &m->v[3 * (int64_t)c];
    double u[3] = {q[0] - p[0], q[1] - p[1], q[2] - p[2]}, w[3] = {r[0] - p[0], r[1] - p[1], r[2] - p[2]};
    double x = u[1] * w[2] - u[2] * w[1], y = u[2] * w[0] - u[0] * w[2], z = u[0] * w[1] - u[1] * w[0];
    return sqrt(x * x + y * y + z * z);
}

/* A loop of n crossings as n - 2 triangles fanned from one corner. The
 * loops of binary data are often not flat; fanning from the corner that
 * gives the largest area is the fold the classic case tables use, and makes
 * areas agree with scikit-image's marching_cubes. */
static void emit_loop(mc_ctx *c, const int32_t *id, int n)
{
    ms_mesh *m = c->m;
    int apex = 0;
    double best = -1;
    for (int s = 0; s < n && n > 3; s++) {
        double area = 0;
        for (int i = 1; i + 1 < n; i++) area += tri_area2(m, id[s], id[(s + i) % n], id[(s + i + 1) % n]);
        if (area > best * (1 + 1e-12)) {
            best = area;
            apex = s;
        }
    }
    for (int i = 1; i + 1 < n; i++) add_tri(c, id[apex], id[(apex + i) % n], id[(apex + i + 1) % n]);
}

static ms_status do_cube(mc_ctx *c, int64_t i, int64_t j, int config)
{
    const cube_loops *cl = &table[config];
    /* Worst case per cube: 12 crossings, 12 triangles. */
    ms_status st = grow(c->m, c->m->nv + 12, c->m->nt + 12);
    if (st) return st;
    const int8_t *e = cl->edge;
    for (int l = 0; l < cl->n_loops; l++) {
        int32_t id[12];
        for (int q = 0; q < cl->len[l]; q++) id[q] = edge_vertex(c, i, j, e[q]);
        emit_loop(c, id, cl->len[l]);
        e += cl->len[l];
    }
    return MS_OK;
}

static void swap_planes(edge_cache *ec, size_t plane)
{
    int32_t *t = ec->xe[0];
    ec->xe[0] = ec->xe[1];
    ec->xe[1] = t;
    t = ec->ye[0];
    ec->ye[0] = ec->ye[1];
    ec->ye[1] = t;
    memset(ec->xe[1], 0xff, plane * sizeof(int32_t));
    memset(ec->ye[1], 0xff, plane * sizeof(int32_t));
    memset(ec->ze, 0xff, plane * sizeof(int32_t));
}

static ms_status march(mc_ctx *c)
{
    const int64_t nx = c->n[0], ny = c->n[1], nz = c->n[2];
    const size_t plane = (size_t)(nx * ny);
    for (int64_t k = 0; k + 1 < nz; k++) {
        c->k = k;
        const uint8_t *z0 = c->bin + (size_t)k * plane, *z1 = z0 + plane;
        for (int64_t j = 0; j + 1 < ny; j++) {
            const uint8_t *r0 = z0 + j * nx, *r1 = r0 + nx, *r2 = z1 + j * nx, *r3 = r2 + nx;
            int left = r0[0] | r1[0] << 2 | r2[0] << 4 | r3[0] << 6;
            for (int64_t i = 0; i + 1 < nx; i++) {
                int right = r0[i + 1] | r1[i + 1] << 2 | r2[i + 1] << 4 | r3[i + 1] << 6;
                int config = left | right << 1;
                left = right;
                if (config == 0 || config == 255) continue;
                ms_status st = do_cube(c, i, j, config);
                if (st) return st;
            }
        }
        swap_planes(&c->ec, plane);
    }
    return MS_OK;
}

/* Copies the region's box, padded by one voxel of background, as 0/1. */
static ms_status binary_box(mc_ctx *c, uint8_t **out)
{
    const ms_region *r = c->r;
    size_t n;
    for (int a = 0; a < 3; a++) {
        c->origin[a] = r->lo[a] - 1;
        c->n[a] = r->hi[a] - r->lo[a] + 3;
    }
    if (!ms_mul3_size((size_t)c->n[0], (size_t)c->n[1], (size_t)c->n[2], &n))
        return ms_fail(MS_ERR_NOMEM, "marching cubes box too large");
    ms_status st = ms_alloc_array((void **)out, n, 1, 1, "marching cubes box");
    if (st) return st;
    for (int64_t k = r->lo[2]; k <= r->hi[2]; k++)
        for (int64_t j = r->lo[1]; j <= r->hi[1]; j++) {
            const uint8_t *src = r->cls + (size_t)((k * r->dim[1] + j) * r->dim[0]);
            /* The row's start in the box; x is shifted by the origin per
             * element (a pointer before the row would be undefined). */
            uint8_t *dst = *out + (size_t)(((k - c->origin[2]) * c->n[1] + (j - c->origin[1])) * c->n[0]);
            for (int64_t i = r->lo[0]; i <= r->hi[0]; i++)
                dst[i - c->origin[0]] = r->cls_id ? src[i] == r->cls_id : src[i] != 0;
        }
    return MS_OK;
}

static double det3(double a[3][3])
{
    return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
           a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

static void set_geometry(mc_ctx *c)
{
    for (int r = 0; r < 3; r++) {
        c->off[r] = c->r->affine[r][3];
        for (int a = 0; a < 3; a++) {
            c->lin[r][a] = c->r->affine[r][a];
            c->off[r] += c->r->affine[r][a] * (double)c->origin[a];
        }
    }
    /* The loops wind clockwise seen from outside in voxel space; a mirroring
     * affine turns that around once more. */
    c->flip = !(det3(c->lin) < 0);
}

ms_status ms_marching_cubes(const ms_region *r, ms_mesh *out)
{
    pthread_once(&table_once, build_table);
    memset(out, 0, sizeof *out);
    for (int a = 0; a < 3; a++)
        if (r->lo[a] < 0 || r->hi[a] >= r->dim[a] || r->lo[a] > r->hi[a])
            return ms_fail(MS_ERR_USAGE, "marching cubes: empty or invalid box");
    mc_ctx c = {.r = r, .m = out};
    uint8_t *bin = NULL;
    ms_status st = binary_box(&c, &bin);
    if (st) return st;
    c.bin = bin;
    set_geometry(&c);
    size_t plane = (size_t)(c.n[0] * c.n[1]);
    c.ec.px = c.n[0];
    c.ec.py = c.n[1];
    int32_t *cache = malloc(5 * plane * sizeof *cache);
    if (!cache) {
        free(bin);
        return ms_fail(MS_ERR_NOMEM, "out of memory for marching cubes");
    }
    memset(cache, 0xff, 5 * plane * sizeof *cache);
    c.ec.xe[0] = cache;
    c.ec.xe[1] = cache + plane;
    c.ec.ye[0] = cache + 2 * plane;
    c.ec.ye[1] = cache + 3 * plane;
    c.ec.ze = cache + 4 * plane;
    st = march(&c);
    free(cache);
    free(bin);
    if (st) ms_mesh_free(out);
    return st;
}
