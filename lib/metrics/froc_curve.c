/* The FROC curve from matched findings, the CPM, and bootstrap intervals.
 * A point per distinct probability (highest first): false positives at or
 * above it per scan, and the fraction of nodules whose best hit is at or
 * above it. This is the curve LUNA16 builds with sklearn's roc_curve and
 * reads with numpy.interp; interpolation here follows numpy.interp. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/metrics.h"
#include "medseg/rng.h"
#include "medseg/threads.h"

const double ms_froc_fps[MS_FROC_POINTS] = {0.125, 0.25, 0.5, 1, 2, 4, 8};

typedef struct entry {
    double p;
    int scan;
    int tp;
} entry;

static int by_prob_desc(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->p != y->p) return x->p > y->p ? -1 : 1;
    if (x->scan != y->scan) return x->scan - y->scan;
    return y->tp - x->tp;
}

/* Detected (and selected) nodules and every false positive, sorted. */
static ms_status make_entries(const ms_detect_input *in, const ms_detect_match *m, const uint8_t *mask, entry **out,
                              int64_t *n)
{
    ms_status rc = ms_alloc_array((void **)out, (size_t)(in->nnod + m->nfp + 1), sizeof **out, 0, "FROC");
    if (rc) return rc;
    *n = 0;
    for (int64_t j = 0; j < in->nnod; j++)
        if ((!mask || mask[j]) && isfinite(m->nod_prob[j])) (*out)[(*n)++] = (entry){m->nod_prob[j], in->nod[j].scan, 1};
    for (int s = 0; s < in->nscans; s++)
        for (int64_t i = m->fp_scan_start[s]; i < m->fp_scan_start[s + 1]; i++)
            (*out)[(*n)++] = (entry){m->fp_prob[i], s, 0};
    qsort(*out, (size_t)*n, sizeof **out, by_prob_desc);
    return MS_OK;
}

static double interp_between(double x, double f0, double s0, double f1, double s1)
{
    if (x == f0) return s0;
    double slope = (s1 - s0) / (f1 - f0);
    return slope * (x - f0) + s0;
}

double ms_froc_interp(const ms_froc *f, double x)
{
    if (f->npts == 0) return NAN;
    if (x < f->fp[0]) return f->sens[0];
    int64_t lo = 0, hi = f->npts;   /* last j with fp[j] <= x */
    while (hi - lo > 1) {
        int64_t mid = (lo + hi) / 2;
        if (f->fp[mid] <= x) lo = mid;
        else hi = mid;
    }
    if (lo == f->npts - 1) return f->sens[lo];
    return interp_between(x, f->fp[lo], f->sens[lo], f->fp[lo + 1], f->sens[lo + 1]);
}

/* Walks the sorted entries with per-scan weights (NULL: 1) and feeds each
 * curve point to `point`. */
typedef void (*point_fn)(void *ctx, double fp, double sens);

static void walk(const entry *e, int64_t n, const int32_t *w, double total, double nscans, point_fn point, void *ctx)
{
    double tp = 0, fp = 0;
    point(ctx, 0, 0);
    for (int64_t i = 0; i < n;) {
        double p = e[i].p;
        for (; i < n && e[i].p == p; i++) {
            double wi = w ? w[e[i].scan] : 1;
            if (e[i].tp) tp += wi;
            else fp += wi;
        }
        point(ctx, fp / nscans, total > 0 ? tp / total : NAN);
    }
}

typedef struct collect {
    ms_froc *f;
} collect;

static void keep_point(void *ctx, double fp, double sens)
{
    ms_froc *f = ((collect *)ctx)->f;
    f->fp[f->npts] = fp;
    f->sens[f->npts++] = sens;
}

ms_status ms_froc_compute(const ms_detect_input *in, const ms_detect_match *m, const uint8_t *mask, ms_froc *f)
{
    memset(f, 0, sizeof *f);
    entry *e;
    int64_t n;
    ms_status rc = make_entries(in, m, mask, &e, &n);
    if (rc) return rc;
    for (int64_t j = 0; j < in->nnod; j++)
        if (!mask || mask[j]) {
            f->nodules++;
            f->detected += isfinite(m->nod_prob[j]) != 0;
        }
    rc = ms_alloc_array((void **)&f->fp, (size_t)n + 1, 2 * sizeof *f->fp, 0, "FROC");
    if (!rc) {
        f->sens = f->fp + n + 1;
        collect c = {f};
        walk(e, n, NULL, (double)f->nodules, in->nscans, keep_point, &c);
        f->cpm = 0;
        for (int k = 0; k < MS_FROC_POINTS; k++) {
            f->sens_at[k] = ms_froc_interp(f, ms_froc_fps[k]);
            f->cpm += f->sens_at[k] / MS_FROC_POINTS;
        }
    }
    free(e);
    return rc;
}

void ms_froc_free(ms_froc *f)
{
    free(f->fp);
    memset(f, 0, sizeof *f);
}

/* ---- bootstrap --------------------------------------------------------- */

/* Interpolates a streamed curve at ascending targets. */
typedef struct stream {
    const double *t;
    int nt, next;
    double *out;
    double pf, ps;
    int have;
} stream;

static void stream_point(void *ctx, double fp, double sens)
{
    stream *s = ctx;
    while (s->have && s->next < s->nt && fp > s->t[s->next]) {
        double x = s->t[s->next];
        s->out[s->next++] = x < s->pf ? s->ps : interp_between(x, s->pf, s->ps, fp, sens);
    }
    s->pf = fp;
    s->ps = sens;
    s->have = 1;
}

typedef struct boot {
    const ms_detect_input *in;
    const entry *e;
    int64_t n;
    const int64_t *nod_per_scan;
    uint64_t seed;
    const double *targets;    /* the seven points, then the grid, sorted */
    const int *slot;          /* target index -> result column */
    int nt, ncols;
    double *res;              /* resamples x ncols */
    ms_status rc;
} boot;

static void one_resample(boot *b, int64_t r, int32_t *w, double *vals)
{
    ms_rng rng;
    ms_rng_seed(&rng, b->seed, (uint64_t)r);
    int ns = b->in->nscans;
    memset(w, 0, (size_t)ns * sizeof *w);
    double total = 0;
    for (int i = 0; i < ns; i++) {
        int s = (int)(ms_rng_u64(&rng) % (uint64_t)ns);
        w[s]++;
        total += (double)b->nod_per_scan[s];
    }
    stream st = {b->targets, b->nt, 0, vals, 0, 0, 0};
    walk(b->e, b->n, w, total, ns, stream_point, &st);
    for (; st.next < st.nt; st.next++) st.out[st.next] = st.ps;
    for (int k = 0; k < b->nt; k++) b->res[(size_t)r * (size_t)b->ncols + (size_t)b->slot[k]] = vals[k];
}

static void resample_range(void *ctx, size_t lo, size_t hi)
{
    boot *b = ctx;
    int32_t *w = malloc((size_t)b->in->nscans * sizeof *w);
    double *vals = malloc((size_t)b->nt * sizeof *vals);
    if (!w || !vals) b->rc = ms_fail(MS_ERR_NOMEM, "bootstrap: out of memory");
    for (size_t r = lo; r < hi && w && vals; r++) one_resample(b, (int64_t)r, w, vals);
    free(w);
    free(vals);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile's default (linear) on sorted values; NaNs sort last. */
static double percentile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    while (n > 0 && isnan(v[n - 1])) n--;
    if (n == 0) return NAN;
    double pos = q / 100.0 * (n - 1);
    int i = (int)floor(pos);
    if (i >= n - 1) return v[n - 1];
    return v[i] + (v[i + 1] - v[i]) * (pos - i);
}

typedef struct target {
    double x;
    int col;
} target;

static int by_x(const void *a, const void *b) { return cmp_double(&((const target *)a)->x, &((const target *)b)->x); }

static void intervals(const double *res, int resamples, int ncols, ms_froc_ci *ci, double *col)
{
    for (int c = 0; c < ncols; c++) {
        for (int r = 0; r < resamples; r++) col[r] = res[(size_t)r * (size_t)ncols + (size_t)c];
        double lo = percentile(col, resamples, 2.5), hi = percentile(col, resamples, 97.5);
        if (c < MS_FROC_POINTS) { ci->sens_lo[c] = lo; ci->sens_hi[c] = hi; }
        else if (c == MS_FROC_POINTS) { ci->cpm_lo = lo; ci->cpm_hi = hi; }
        else { ci->band_lo[c - MS_FROC_POINTS - 1] = lo; ci->band_hi[c - MS_FROC_POINTS - 1] = hi; }
    }
}

static ms_status run_bootstrap(boot *b, int resamples, int ncols, ms_froc_ci *ci)
{
    ms_status rc = ms_alloc_array((void **)&b->res, (size_t)resamples, (size_t)ncols * sizeof *b->res, 0, "bootstrap");
    if (rc) return rc;
    ms_parallel_for((size_t)resamples, 8, resample_range, b);
    if (b->rc) { free(b->res); return b->rc; }
    /* The CPM column: mean of the seven points, per resample. */
    for (int r = 0; r < resamples; r++) {
        double *row = b->res + (size_t)r * (size_t)ncols, cpm = 0;
        for (int k = 0; k < MS_FROC_POINTS; k++) cpm += row[k] / MS_FROC_POINTS;
        row[MS_FROC_POINTS] = cpm;
    }
    double *col = malloc((size_t)resamples * sizeof *col);
    if (!col) rc = ms_fail(MS_ERR_NOMEM, "bootstrap: out of memory");
    else intervals(b->res, resamples, ncols, ci, col);
    free(col);
    free(b->res);
    return rc;
}

ms_status ms_froc_bootstrap(const ms_detect_input *in, const ms_detect_match *m, int resamples, uint64_t seed,
                            const double *grid, int ngrid, ms_froc_ci *ci)
{
    memset(ci, 0, sizeof *ci);
    if (resamples < 2) return ms_fail(MS_ERR_USAGE, "bootstrap needs at least 2 resamples");
    int nt = MS_FROC_POINTS + ngrid, ncols = nt + 1;
    entry *e = NULL;
    int64_t n, *per_scan = NULL;
    target *t = malloc((size_t)nt * sizeof *t);
    double *tx = malloc((size_t)nt * sizeof *tx);
    int *slot = malloc((size_t)nt * sizeof *slot);
    ms_status rc = t && tx && slot ? make_entries(in, m, NULL, &e, &n) : ms_fail(MS_ERR_NOMEM, "bootstrap");
    if (!rc) rc = ms_alloc_array((void **)&per_scan, (size_t)in->nscans, sizeof *per_scan, 1, "bootstrap");
    if (!rc) rc = ms_alloc_array((void **)&ci->grid, (size_t)(ngrid ? ngrid : 1), 3 * sizeof *ci->grid, 0, "bootstrap");
    if (!rc) {
        ci->ngrid = ngrid;
        ci->band_lo = ci->grid + ngrid;
        ci->band_hi = ci->grid + 2 * ngrid;
        memcpy(ci->grid, grid, (size_t)ngrid * sizeof *grid);
        for (int64_t j = 0; j < in->nnod; j++) per_scan[in->nod[j].scan]++;
        for (int k = 0; k < nt; k++)   /* result columns: 7 points, CPM, grid */
            t[k] = (target){k < MS_FROC_POINTS ? ms_froc_fps[k] : grid[k - MS_FROC_POINTS],
                            k < MS_FROC_POINTS ? k : k + 1};
        qsort(t, (size_t)nt, sizeof *t, by_x);
        for (int k = 0; k < nt; k++) { tx[k] = t[k].x; slot[k] = t[k].col; }
        boot b = {in, e, n, per_scan, seed, tx, slot, nt, ncols, NULL, MS_OK};
        rc = run_bootstrap(&b, resamples, ncols, ci);
    }
    free(e); free(per_scan); free(t); free(tx); free(slot);
    if (rc) ms_froc_ci_free(ci);
    return rc;
}

void ms_froc_ci_free(ms_froc_ci *ci)
{
    free(ci->grid);
    memset(ci, 0, sizeof *ci);
}
