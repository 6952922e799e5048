/* Exact Euclidean distance transform with anisotropic spacing, after
 * Felzenszwalb and Huttenlocher (2012): the squared distance is separable,
 * so one pass per axis replaces each line by the lower envelope of the
 * parabolas f(q) + (s * (p - q))^2 rooted at its samples. The first pass
 * only needs the nearest feature on the line. Lines are independent, so
 * they are shared among threads without changing any result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* One line: g holds the input, v and z (n + 1 entries) the envelope's
 * parabola roots and boundaries, out the result. */
static void envelope(const double *g, int64_t n, double s2, int64_t *v, double *z, double *out)
{
    int64_t k = -1;
    for (int64_t q = 0; q < n; q++) {
        if (isinf(g[q])) continue;
        double fq = g[q] + s2 * (double)q * (double)q, x = 0;
        if (k >= 0) {
            for (;;) {
                double fv = g[v[k]] + s2 * (double)v[k] * (double)v[k];
                x = (fq - fv) / (2 * s2 * (double)(q - v[k]));
                if (x > z[k]) break;
                k--;   /* never below 0: z[0] is -inf */
            }
        }
        k++;
        v[k] = q;
        z[k] = k ? x : -INFINITY;
        z[k + 1] = INFINITY;
    }
    if (k < 0) {
        for (int64_t p = 0; p < n; p++) out[p] = INFINITY;
        return;
    }
    int64_t j = 0;
    for (int64_t p = 0; p < n; p++) {
        while (z[j + 1] < (double)p) j++;
        double dq = (double)(p - v[j]);
        out[p] = g[v[j]] + s2 * dq * dq;
    }
}

static void later_pass(void *ctx, size_t b, size_t e)
{
    edt_pass *p = ctx;
    int64_t n = p->dim[p->axis];
    double *g = malloc(((size_t)n * 3 + 1) * sizeof *g);
    int64_t *v = malloc((size_t)n * sizeof *v);
    if (!g || !v) {
        p->rc = ms_fail(MS_ERR_NOMEM, "distance transform: out of memory");
        free(g);
        free(v);
        return;
    }
    double *z = g + n, *out = g + 2 * n + 1;
    for (size_t l = b; l < e; l++) {
        int64_t st, sd, len;
        line_at(p, l, &st, &sd, &len);
        double *d = p->d2 + st;
        for (int64_t i = 0; i < len; i++) g[i] = d[i * sd];
        envelope(g, len, p->s * p->s, v, z, out);
        for (int64_t i = 0; i < len; i++) d[i * sd] = out[i];
    }
    free(g);
    free(v);
}

ms_status ms_edt_squared(const uint8_t *feature, const int64_t dim[3], const double s[3], double *d2)
{
    edt_pass p = {feature, d2, {dim[0], dim[1], dim[2]}, s[0], 0, MS_OK};
    size_t lines = (size_t)(dim[1] * dim[2]);
    ms_parallel_for_n(lines, 64, 0, first_pass, &p);
    for (int a = 1; a < 3 && !p.rc; a++) {
        p.axis = a;
        p.s = s[a];
        lines = (size_t)(dim[0] * dim[1] * dim[2] / dim[a]);
        ms_parallel_for_n(lines, 64, 0, later_pass, &p);
    }
    return p.rc;
}
