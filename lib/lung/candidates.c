/* Nodule candidates: a multi-scale Hessian "dot" filter (Li, Sone and Doi,
 * Med Phys 2003) on the lungs only.
 *
 * Outside the lung mask the image is replaced by the lungs' median HU, so
 * the chest wall and mediastinum vanish and a juxtapleural nodule (inside
 * the closed mask) is an isolated blob. At scale s the image is smoothed by
 * a Gaussian of s mm; at each lung voxel the Hessian's eigenvalues
 * l1 <= l2 <= l3 give, when all three are negative (a bright blob), the
 * response s^2 l3^2 / |l1|: large for a ball, near zero for a tube (l3 ~ 0)
 * or a plate. Scales 1.0 .. 9.2 mm (a ball of radius s*sqrt(3), 3.5-32 mm
 * across) run on grids of 1, 2 or 4 mm so each costs about the same.
 * Local maxima (3x3x3) over every scale are merged strongest first: a
 * weaker maximum within the radius of a stronger one is dropped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "lung_internal.h"
#include "medseg/threads.h"

#define MIN_RESPONSE 12.0

typedef struct {
    float *v;
    int64_t dim[3];
    int step;            /* mm per voxel */
    uint8_t *lung;
} level;

/* Block-average halving; the lung flag is the block's any(). */
static int halve(const level *in, level *out)
{
    out->step = in->step * 2;
    for (int a = 0; a < 3; a++) out->dim[a] = (in->dim[a] + 1) / 2;
    size_t n = (size_t)out->dim[0] * (size_t)out->dim[1] * (size_t)out->dim[2];
    out->v = calloc(n, sizeof *out->v);
    out->lung = calloc(n, 1);
    if (!out->v || !out->lung) return 0;
    float *cnt = calloc(n, sizeof *cnt);
    if (!cnt) return 0;
    size_t i = 0;
    for (int64_t z = 0; z < in->dim[2]; z++)
        for (int64_t y = 0; y < in->dim[1]; y++)
            for (int64_t x = 0; x < in->dim[0]; x++, i++) {
                size_t o = ((size_t)(z / 2) * (size_t)out->dim[1] + (size_t)(y / 2)) * (size_t)out->dim[0] + (size_t)(x / 2);
                out->v[o] += in->v[i];
                cnt[o] += 1;
                out->lung[o] |= in->lung[i];
            }
    for (size_t k = 0; k < n; k++) out->v[k] /= cnt[k];
    free(cnt);
    return 1;
}

typedef struct {
    const float *src;
    float *dst;
    const int64_t *dim;
    int axis;
    const float *w;
    int r;
} blur_job;

static void blur_lines(void *ctx, size_t b, size_t e)
{
    blur_job *j = ctx;
    int64_t n = j->dim[j->axis];
    size_t stride = j->axis == 0 ? 1 : j->axis == 1 ? (size_t)j->dim[0] : (size_t)j->dim[0] * (size_t)j->dim[1];
    int64_t other = j->axis == 0 ? j->dim[1] : j->dim[0];
    for (size_t l = b; l < e; l++) {
        int64_t u = (int64_t)l % other, w = (int64_t)l / other;
        size_t base = j->axis == 0 ? ((size_t)w * (size_t)j->dim[1] + (size_t)u) * (size_t)j->dim[0]
                      : j->axis == 1 ? (size_t)w * (size_t)j->dim[0] * (size_t)j->dim[1] + (size_t)u
                                     : (size_t)w * (size_t)j->dim[0] + (size_t)u;
        for (int64_t i = 0; i < n; i++) {
            float acc = 0;
            for (int k = -j->r; k <= j->r; k++) {
                int64_t q = i + k;
                q = q < 0 ? -q - 1 : q >= n ? 2 * n - q - 1 : q;   /* mirror */
                q = q < 0 ? 0 : q >= n ? n - 1 : q;
                acc += j->w[k + j->r] * j->src[base + (size_t)q * stride];
            }
            j->dst[base + (size_t)i * stride] = acc;
        }
    }
}

/* Separable Gaussian of sigma voxels; returns a new buffer. */
static float *gaussian(const level *lv, double sigma)
{
    size_t n = (size_t)lv->dim[0] * (size_t)lv->dim[1] * (size_t)lv->dim[2];
    int r = (int)ceil(3 * sigma);
    float *w = malloc((size_t)(2 * r + 1) * sizeof *w), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    if (!w || !a || !b) {
        free(w), free(a), free(b);
        return NULL;
    }
    double sum = 0;
    for (int k = -r; k <= r; k++) sum += w[k + r] = (float)exp(-0.5 * k * k / (sigma * sigma));
    for (int k = 0; k <= 2 * r; k++) w[k] = (float)(w[k] / sum);
    const float *src = lv->v;
    float *bufs[2] = {a, b};
    for (int axis = 0; axis < 3; axis++) {
        int64_t lines = axis == 0 ? lv->dim[1] * lv->dim[2] : axis == 1 ? lv->dim[0] * lv->dim[2] : lv->dim[0] * lv->dim[1];
        blur_job j = {src, bufs[axis & 1], lv->dim, axis, w, r};
        ms_parallel_for((size_t)lines, 64, blur_lines, &j);
        src = bufs[axis & 1];
    }
    free(w);
    free(b);
    return a;   /* the third pass (axis 2) wrote a */
}

/* Eigenvalues of a symmetric 3x3 matrix, ascending (trigonometric form). */
void ms_eig3_sym(double xx, double yy, double zz, double xy, double xz, double yz, double l[3])
{
    double p1 = xy * xy + xz * xz + yz * yz, q = (xx + yy + zz) / 3;
    if (p1 < 1e-12) {
        l[0] = xx, l[1] = yy, l[2] = zz;
    } else {
        double p2 = (xx - q) * (xx - q) + (yy - q) * (yy - q) + (zz - q) * (zz - q) + 2 * p1, p = sqrt(p2 / 6);
        double b00 = (xx - q) / p, b11 = (yy - q) / p, b22 = (zz - q) / p, b01 = xy / p, b02 = xz / p, b12 = yz / p;
        double det = b00 * (b11 * b22 - b12 * b12) - b01 * (b01 * b22 - b12 * b02) + b02 * (b01 * b12 - b11 * b02);
        double r = fmax(-1, fmin(1, det / 2)), phi = acos(r) / 3;
        l[2] = q + 2 * p * cos(phi);
        l[0] = q + 2 * p * cos(phi + 2 * M_PI / 3);
        l[1] = 3 * q - l[0] - l[2];
    }
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2 - i; k++)
            if (l[k] > l[k + 1]) {
                double t = l[k];
                l[k] = l[k + 1], l[k + 1] = t;
            }
}

typedef struct {
    const float *g;
    const level *lv;
    float *resp;
    double norm;         /* s^2 / step^2: scale normalisation and mm units */
} dot_job;

static void dot_slices(void *ctx, size_t z0, size_t z1)
{
    dot_job *j = ctx;
    int64_t nx = j->lv->dim[0], ny = j->lv->dim[1], nz = j->lv->dim[2];
    size_t sy = (size_t)nx, sz = (size_t)nx * (size_t)ny;
    for (size_t z = z0; z < z1; z++)
        for (int64_t y = 0; y < ny; y++)
            for (int64_t x = 0; x < nx; x++) {
                size_t i = z * sz + (size_t)y * sy + (size_t)x;
                j->resp[i] = 0;
                if (!j->lv->lung[i] || x == 0 || y == 0 || z == 0 || x == nx - 1 || y == ny - 1 || (int64_t)z == nz - 1)
                    continue;
                const float *g = j->g;
                double c = 2 * g[i];
                double xx = g[i + 1] + g[i - 1] - c, yy = g[i + sy] + g[i - sy] - c, zz = g[i + sz] + g[i - sz] - c;
                double xy = 0.25 * (g[i + 1 + sy] - g[i + 1 - sy] - g[i - 1 + sy] + g[i - 1 - sy]);
                double xz = 0.25 * (g[i + 1 + sz] - g[i + 1 - sz] - g[i - 1 + sz] + g[i - 1 - sz]);
                double yz = 0.25 * (g[i + sy + sz] - g[i + sy - sz] - g[i - sy + sz] + g[i - sy - sz]);
                double l[3];
                ms_eig3_sym(xx, yy, zz, xy, xz, yz, l);
                if (l[2] < 0) j->resp[i] = (float)(j->norm * l[2] * l[2] / -l[0]);
            }
}

typedef struct {
    ms_blob *b;
    int n, cap;
} blob_list;

static int push(blob_list *L, ms_blob b)
{
    if (L->n == L->cap) {
        int cap = L->cap ? 2 * L->cap : 1024;
        ms_blob *nb = realloc(L->b, (size_t)cap * sizeof *nb);
        if (!nb) return 0;
        L->b = nb, L->cap = cap;
    }
    L->b[L->n++] = b;
    return 1;
}

static int local_max(const float *r, const int64_t *d, int64_t x, int64_t y, int64_t z)
{
    size_t i = ((size_t)z * (size_t)d[1] + (size_t)y) * (size_t)d[0] + (size_t)x;
    for (int dz = -1; dz <= 1; dz++)
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int64_t X = x + dx, Y = y + dy, Z = z + dz;
                if ((!dx && !dy && !dz) || X < 0 || Y < 0 || Z < 0 || X >= d[0] || Y >= d[1] || Z >= d[2]) continue;
                float o = r[((size_t)Z * (size_t)d[1] + (size_t)Y) * (size_t)d[0] + (size_t)X];
                /* Plateaus: the first voxel in raster order wins. */
                if (o > r[i] || (o == r[i] && (dz < 0 || (dz == 0 && (dy < 0 || (dy == 0 && dx < 0)))))) return 0;
            }
    return 1;
}

static int scale_maxima(const level *lv, const int64_t fine_dim[3], double sigma_mm, blob_list *L)
{
    float *g = gaussian(lv, sigma_mm / lv->step);
    size_t n = (size_t)lv->dim[0] * (size_t)lv->dim[1] * (size_t)lv->dim[2];
    float *resp = malloc(n * sizeof *resp);
    if (!g || !resp) {
        free(g), free(resp);
        return 0;
    }
    dot_job j = {g, lv, resp, sigma_mm * sigma_mm / ((double)lv->step * lv->step)};
    ms_parallel_for((size_t)lv->dim[2], 1, dot_slices, &j);
    int ok = 1;
    size_t i = 0;
    for (int64_t z = 0; z < lv->dim[2]; z++)
        for (int64_t y = 0; y < lv->dim[1]; y++)
            for (int64_t x = 0; x < lv->dim[0]; x++, i++) {
                if (resp[i] < MIN_RESPONSE || !local_max(resp, lv->dim, x, y, z)) continue;
                double h = 0.5 * (lv->step - 1);   /* centre of a block of step fine voxels */
                int64_t p[3] = {x, y, z};
                ms_blob b = {{0}, sigma_mm, resp[i]};
                for (int a = 0; a < 3; a++)   /* a last, partial block ends at the grid's edge */
                    b.pos[a] = fmin((double)(p[a] * lv->step) + h, (double)(fine_dim[a] - 1));
                ok = ok && push(L, b);
            }
    free(g);
    free(resp);
    return ok;
}

static int by_response(const void *a, const void *b)
{
    const ms_blob *x = a, *y = b;
    if (x->response != y->response) return x->response < y->response ? 1 : -1;
    for (int k = 2; k >= 0; k--)
        if (x->pos[k] != y->pos[k]) return x->pos[k] < y->pos[k] ? -1 : 1;
    return x->sigma < y->sigma ? -1 : x->sigma > y->sigma;
}

static void suppress(blob_list *L, int max_out)
{
    qsort(L->b, (size_t)L->n, sizeof *L->b, by_response);
    int kept = 0;
    for (int i = 0; i < L->n && kept < max_out; i++) {
        int ok = 1;
        for (int k = 0; k < kept && ok; k++) {
            double d2 = 0, r = sqrt(3.0) * fmax(L->b[i].sigma, L->b[k].sigma);
            for (int a = 0; a < 3; a++) d2 += (L->b[i].pos[a] - L->b[k].pos[a]) * (L->b[i].pos[a] - L->b[k].pos[a]);
            ok = d2 > r * r;
        }
        if (ok) L->b[kept++] = L->b[i];
    }
    L->n = kept;
}

ms_status ms_find_blobs(const float *hu, const uint8_t *lung, const int64_t dim[3], int max_out, ms_blob **out,
                        int *n_out)
{
    static const double scales[] = {1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0, 11.3, 16.0};
    size_t n = (size_t)dim[0] * (size_t)dim[1] * (size_t)dim[2];
    double bg = masked_median(hu, lung, n);
    level lv[3] = {{malloc(n * sizeof(float)), {dim[0], dim[1], dim[2]}, 1, (uint8_t *)lung}};
    blob_list L = {0};
    ms_status st = lv[0].v ? MS_OK : ms_fail(MS_ERR_NOMEM, "candidate search: out of memory");
    for (size_t i = 0; !st && i < n; i++) lv[0].v[i] = lung[i] ? fminf(fmaxf(hu[i], -1000.f), 200.f) : (float)bg;
    if (!st && (!halve(&lv[0], &lv[1]) || !halve(&lv[1], &lv[2])))
        st = ms_fail(MS_ERR_NOMEM, "candidate search: out of memory");
    for (size_t s = 0; !st && s < sizeof scales / sizeof *scales; s++) {
        int li = scales[s] < 2.0 ? 0 : scales[s] < 4.0 ? 1 : 2;
        if (!scale_maxima(&lv[li], dim, scales[s], &L)) st = ms_fail(MS_ERR_NOMEM, "candidate search: out of memory");
    }
    free(lv[0].v);
    for (int i = 1; i < 3; i++) free(lv[i].v), free(lv[i].lung);
    if (st) {
        free(L.b);
        return st;
    }
    suppress(&L, max_out);
    *out = L.b;
    *n_out = L.n;
    return MS_OK;
}
