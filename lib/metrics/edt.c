/* Exact Euclidean distance transform with anisotropic spacing, after
 * Felzenszwalb and Huttenlocher (2012): the squared distance is separable,
 * so one pass per axis replaces each line by the lower envelope of the
 * parabolas f(q) + (s * (p - q))^2 rooted at its samples. The first pass
 * only needs the nearest feature on the line. Lines are independent, so
 * they are shared among threads without changing any result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/log.h"
#include "medseg/metrics.h"
#include "medseg/threads.h"

typedef struct edt_pass {
    const uint8_t *feature;
    double *d2;
    int64_t dim[3];
    double s;
    int axis;
    ms_status rc;
} edt_pass;

/* Start and stride of line `l` along `axis`. */
static void line_at(const edt_pass *p, size_t l, int64_t *start, int64_t *stride, int64_t *n)
{
    int64_t nx = p->dim[0], ny = p->dim[1];
    if (p->axis == 0) {
        *start = (int64_t)l * nx; *stride = 1; *n = nx;
    } else if (p->axis == 1) {
        int64_t x = (int64_t)l % nx, z = (int64_t)l / nx;
        *start = z * nx * ny + x; *stride = nx; *n = ny;
    } else {
        *start = (int64_t)l; *stride = nx * ny; *n = p->dim[2];
    }
}

/* Along x: squared distance to the nearest feature on the line. */
static void first_pass(void *ctx, size_t b, size_t e)
{
    edt_pass *p = ctx;
    for (size_t l = b; l < e; l++) {
        int64_t st, sd, n;
        line_at(p, l, &st, &sd, &n);
        const uint8_t *f = p->feature + st;
        double *d = p->d2 + st;
        int64_t last = -1;
        for (int64_t i = 0; i < n; i++) {
            if (f[i]) last = i;
            d[i] = last < 0 ? INFINITY : (double)(i - last);
        }
        last = -1;
        for (int64_t i = n - 1; i >= 0; i--) {
            if (f[i]) last = i;
            double r = last < 0 ? INFINITY : (double)(last - i);
            double m = r < d[i] ? r : d[i];
            d[i] = m * m * p->s * p->s;
        }
    }
}

/* One line: g holds the input, h scratch (n), v the envelope's parabola
 * roots and zn/zd (n entries each) the boundaries between them as
 * fractions zn/zd with zd > 0, so that no test needs a division. */
static void envelope(const double *g, int64_t n, double s2, int64_t *v, double *zn, double *zd, double *h,
                     double *out)
{
    int64_t k = -1;
    double two_s2 = 2 * s2;
    for (int64_t q = 0; q < n; q++) {
        if (isinf(g[q])) continue;
        h[q] = g[q] + s2 * (double)q * (double)q;
        /* Pop parabolas hidden by q: their left boundary lies right of q's. */
        while (k > 0 && (h[q] - h[v[k]]) * zd[k] <= zn[k] * two_s2 * (double)(q - v[k])) k--;
        k++;
        v[k] = q;
        if (k) {
            zn[k] = h[q] - h[v[k - 1]];
            zd[k] = two_s2 * (double)(q - v[k - 1]);
        }
    }
    if (k < 0) {
        for (int64_t p = 0; p < n; p++) out[p] = INFINITY;
        return;
    }
    int64_t j = 0;
    for (int64_t p = 0; p < n; p++) {
        while (j < k && zn[j + 1] < (double)p * zd[j + 1]) j++;
        double dq = (double)(p - v[j]);
        out[p] = g[v[j]] + s2 * dq * dq;
    }
}

/* Lines along y or z are strided in memory; handled in groups of up to
 * GROUP neighbours in x, so each row read or written is one cache line. */
#define GROUP 8

static void later_pass(void *ctx, size_t b, size_t e)
{
    edt_pass *p = ctx;
    int64_t n = p->dim[p->axis], nx = p->dim[0], groups_per_row = (nx + GROUP - 1) / GROUP;
    int64_t stride = p->axis == 1 ? nx : nx * p->dim[1];
    double *g = malloc((size_t)n * (GROUP + 4) * sizeof *g);
    int64_t *v = malloc((size_t)n * sizeof *v);
    if (!g || !v) {
        p->rc = ms_fail(MS_ERR_NOMEM, "distance transform: out of memory");
        free(g);
        free(v);
        return;
    }
    double *zn = g + n * GROUP, *zd = zn + n, *out = zd + n, *h = out + n;
    for (size_t grp = b; grp < e; grp++) {
        int64_t plane = (int64_t)grp / groups_per_row, x0 = (int64_t)grp % groups_per_row * GROUP;
        int64_t w = nx - x0 < GROUP ? nx - x0 : GROUP;
        /* axis 1: plane is z, lines run along y; axis 2: plane is y, along z. */
        double *base = p->d2 + (p->axis == 1 ? plane * nx * p->dim[1] : plane * nx) + x0;
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < w; k++) g[k * n + i] = base[i * stride + k];
        for (int64_t k = 0; k < w; k++) {
            envelope(g + k * n, n, p->s * p->s, v, zn, zd, h, out);
            memcpy(g + k * n, out, (size_t)n * sizeof *out);
        }
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < w; k++) base[i * stride + k] = g[k * n + i];
    }
    free(g);
    free(v);
}

/* The last pass at query voxels only: along each z column, the minimum of
 * g(z') + (s (z - z'))^2 searched outward from z until the parabola term
 * alone reaches the best value so far. Queries sit on a surface and lie
 * near features, so a few steps usually settle them; the result equals the
 * envelope's. Results are written after the column is read. */
typedef struct query_pass {
    double *d2;
    const uint8_t *query;
    int64_t dim[3];
    double s2;
} query_pass;

static void query_columns(void *ctx, size_t b, size_t e)
{
    query_pass *q = ctx;
    int64_t n = q->dim[2], plane = q->dim[0] * q->dim[1];
    double found[64];
    int64_t where[64];
    for (size_t col = b; col < e; col++) {
        double *d = q->d2 + col;
        const uint8_t *qm = q->query + col;
        int m = 0;
        for (int64_t z = 0; z < n; z++) {
            if (!qm[z * plane]) continue;
            double best = d[z * plane];
            for (int64_t k = 1; k < n; k++) {
                double t = q->s2 * (double)k * (double)k;
                if (t >= best || (z - k < 0 && z + k >= n)) break;
                if (z - k >= 0 && d[(z - k) * plane] + t < best) best = d[(z - k) * plane] + t;
                if (z + k < n && d[(z + k) * plane] + t < best) best = d[(z + k) * plane] + t;
            }
            if (m == 64) {   /* flush: those values are no longer read */
                for (int i = 0; i < m; i++) d[where[i] * plane] = found[i];
                m = 0;
            }
            found[m] = best;
            where[m++] = z;
        }
        for (int i = 0; i < m; i++) d[where[i] * plane] = found[i];
    }
}

ms_status ms_edt_squared(const uint8_t *feature, const int64_t dim[3], const double s[3], const uint8_t *query,
                         double *d2)
{
    edt_pass p = {feature, d2, {dim[0], dim[1], dim[2]}, s[0], 0, MS_OK};
    size_t lines = (size_t)(dim[1] * dim[2]);
    ms_parallel_for(lines, 64, first_pass, &p);
    for (int a = 1; a < 3 && !p.rc; a++) {
        p.axis = a;
        p.s = s[a];
        if (a == 2 && query) {
            query_pass q = {d2, query, {dim[0], dim[1], dim[2]}, s[2] * s[2]};
            ms_parallel_for((size_t)(dim[0] * dim[1]), 256, query_columns, &q);
            break;
        }
        size_t planes = (size_t)(a == 1 ? dim[2] : dim[1]), per_row = (size_t)((dim[0] + GROUP - 1) / GROUP);
        ms_parallel_for(planes * per_row, 8, later_pass, &p);
    }
    return p.rc;
}
