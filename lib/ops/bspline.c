/* Cubic B-spline prefilter (Unser's recursive filter, pole sqrt(3)-2) with
 * whole-sample mirror boundaries, separably along x, y and z. The result
 * makes the cubic B-spline interpolate the samples exactly. */
#include <math.h>
#include <stdlib.h>

#include "medseg/resample.h"
#include "medseg/threads.h"

#define POLE (-0.267949192431122706)   /* sqrt(3) - 2 */

/* Causal initial value for a mirror-extended line: exact for short lines,
 * truncated where the pole's powers fall under 1e-15 otherwise. */
static double causal_init(const double *s, int64_t n)
{
    int64_t horizon = (int64_t)ceil(log(1e-15) / log(fabs(POLE)));
    if (horizon < n) {
        double sum = s[0], zk = POLE;
        for (int64_t k = 1; k < horizon; k++, zk *= POLE) sum += zk * s[k];
        return sum;
    }
    double zn = pow(POLE, (double)(n - 1)), z2n = zn * zn / POLE;
    double sum = s[0] + zn * s[n - 1], zk = POLE;
    for (int64_t k = 1; k < n - 1; k++, zk *= POLE) {
        sum += (zk + z2n) * s[k];
        z2n /= POLE;
    }
    return sum / (1.0 - zn * zn);
}

static void filter_line(double *s, int64_t n)
{
    if (n < 2) return;
    for (int64_t k = 0; k < n; k++) s[k] *= 6.0;   /* (1 - z)(1 - 1/z) */
    s[0] = causal_init(s, n);
    for (int64_t k = 1; k < n; k++) s[k] += POLE * s[k - 1];
    s[n - 1] = (POLE / (POLE * POLE - 1.0)) * (s[n - 1] + POLE * s[n - 2]);
    for (int64_t k = n - 2; k >= 0; k--) s[k] = POLE * (s[k + 1] - s[k]);
}

typedef struct axis_job {
    double *c;
    int64_t dim[3];
    int axis;
    int failed;
} axis_job;

/* Lines along `axis`, enumerated by the other two indices. */
static void filter_lines(void *ctx, size_t b, size_t e)
{
    axis_job *j = ctx;
    int64_t n = j->dim[j->axis];
    size_t stride = j->axis == 0 ? 1 : j->axis == 1 ? (size_t)j->dim[0] : (size_t)j->dim[0] * (size_t)j->dim[1];
    int64_t nu = j->axis == 0 ? j->dim[1] : j->dim[0];
    double *line = malloc((size_t)n * sizeof *line);
    if (!line) {
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    for (size_t l = b; l < e; l++) {
        int64_t u = (int64_t)l % nu, v = (int64_t)l / nu;
        size_t base;
        if (j->axis == 0) base = ((size_t)v * (size_t)j->dim[1] + (size_t)u) * (size_t)j->dim[0];
        else if (j->axis == 1) base = (size_t)v * (size_t)j->dim[0] * (size_t)j->dim[1] + (size_t)u;
        else base = (size_t)v * (size_t)j->dim[0] + (size_t)u;
        for (int64_t k = 0; k < n; k++) line[k] = j->c[base + (size_t)k * stride];
        filter_line(line, n);
        for (int64_t k = 0; k < n; k++) j->c[base + (size_t)k * stride] = line[k];
    }
    free(line);
}

ms_status ms_bspline_coefficients(const ms_volume *in, float **coef)
{
    size_t n = ms_volume_nvox(in);
    double *c;
    ms_status st = ms_alloc_array((void **)&c, n, sizeof *c, 0, "spline coefficients");
    if (st) return st;
    ms_volume_read_f64(in, 0, 1, n, c);
    for (int a = 0; a < 3; a++) {
        axis_job j = {c, {in->dim[0], in->dim[1], in->dim[2]}, a, 0};
        ms_parallel_for(n / (size_t)in->dim[a], 64, filter_lines, &j);
        if (j.failed) {
            free(c);
            return ms_fail(MS_ERR_NOMEM, "out of memory filtering spline coefficients");
        }
    }
    st = ms_alloc_array((void **)coef, n, sizeof **coef, 0, "spline coefficients");
    if (!st)
        for (size_t i = 0; i < n; i++) (*coef)[i] = (float)c[i];
    free(c);
    return st;
}
