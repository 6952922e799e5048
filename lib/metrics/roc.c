/* ROC analysis: the curve, AUC with DeLong's variance (computed from
 * midranks, Sun and Xu 2014), operating points, kappa and Brier score. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/log.h"
#include "medseg/metrics.h"
#include "medseg/rng.h"

#define Z975 1.959963984540054

typedef struct scored {
    double s;
    int pos;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x < y) - (x > y);
}

void ms_confusion_at(const ms_binary_input *in, double t, ms_confusion *c)
{
    memset(c, 0, sizeof *c);
    c->threshold = t;
    for (int64_t i = 0; i < in->n; i++) {
        int called = in->score[i] >= t;
        if (in->label[i]) called ? c->tp++ : c->fn++;
        else called ? c->fp++ : c->tn++;
    }
    double tp = (double)c->tp, fp = (double)c->fp, tn = (double)c->tn, fn = (double)c->fn, n = tp + fp + tn + fn;
    c->sensitivity = tp / (tp + fn);
    c->specificity = tn / (tn + fp);
    c->ppv = tp / (tp + fp);
    c->npv = tn / (tn + fn);
    c->accuracy = (tp + tn) / n;
    double pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n);
    c->kappa = pe < 1 ? (c->accuracy - pe) / (1 - pe) : NAN;
    c->youden = c->sensitivity + c->specificity - 1;
}

/* Midranks (1-based, ties averaged) of v[0..n) into r. */
static void midranks(const double *v, int64_t n, double *r)
{
    scored *t = malloc((size_t)n * sizeof *t);
    if (!t) return;
    for (int64_t i = 0; i < n; i++) t[i] = (scored){v[i], (int)i};
    qsort(t, (size_t)n, sizeof *t, by_score_desc);
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && t[j].s == t[i].s) j++;
        /* Descending order: ascending ranks are n - j + 1 .. n - i. */
        double rank = (double)(n - j + 1 + n - i) / 2.0;
        for (int64_t k = i; k < j; k++) r[t[k].pos] = rank;
        i = j;
    }
    free(t);
}

static double variance(const double *v, int64_t n)
{
    if (n < 2) return NAN;
    double mean = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) mean += v[i];
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
    return ss / (double)(n - 1);
}

static ms_status delong(const ms_binary_input *in, ms_roc *r)
{
    int64_t n = in->n, m = r->npos, k = r->nneg;
    double *buf = malloc((size_t)n * 5 * sizeof *buf);
    if (!buf) return ms_fail(MS_ERR_NOMEM, "DeLong: out of memory");
    double *tz = buf, *x = buf + n, *y = x + m, *tx = y + k, *ty = tx + m, *v10 = ty + k, *v01 = v10 + m;
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < n; i++) in->label[i] ? (x[a++] = in->score[i]) : (y[b++] = in->score[i]);
    midranks(in->score, n, tz);
    midranks(x, m, tx);
    midranks(y, k, ty);
    a = b = 0;
    for (int64_t i = 0; i < n; i++) {
        if (in->label[i]) v10[a] = (tz[i] - tx[a]) / (double)k, a++;
        else v01[b] = 1.0 - (tz[i] - ty[b]) / (double)m, b++;
    }
    r->auc_var = variance(v10, m) / (double)m + variance(v01, k) / (double)k;
    /* One positive or one negative case leaves the variance undefined. */
    double se = sqrt(r->auc_var);
    r->auc_lo = isnan(se) ? NAN : fmax(0.0, r->auc - Z975 * se);
    r->auc_hi = isnan(se) ? NAN : fmin(1.0, r->auc + Z975 * se);
    free(buf);
    return MS_OK;
}

/* The curve from (0,0), a point per distinct score, and its trapezoid area
 * (the area sklearn's roc_auc_score computes). */
static ms_status curve(const ms_binary_input *in, ms_roc *r, scored *t)
{
    int64_t n = in->n;
    for (int64_t i = 0; i < n; i++) t[i] = (scored){in->score[i], in->label[i]};
    qsort(t, (size_t)n, sizeof *t, by_score_desc);
    ms_status rc = ms_alloc_array((void **)&r->fpr, (size_t)n + 1, 3 * sizeof *r->fpr, 0, "ROC");
    if (rc) return rc;
    r->tpr = r->fpr + n + 1;
    r->thr = r->tpr + n + 1;
    r->fpr[0] = r->tpr[0] = 0;
    r->thr[0] = INFINITY;
    r->npts = 1;
    double tp = 0, fp = 0;
    r->auc = 0;
    for (int64_t i = 0; i < n;) {
        double s = t[i].s;
        for (; i < n && t[i].s == s; i++) t[i].pos ? tp++ : fp++;
        int64_t j = r->npts++;
        r->fpr[j] = fp / (double)r->nneg;
        r->tpr[j] = tp / (double)r->npos;
        r->thr[j] = s;
        r->auc += (r->fpr[j] - r->fpr[j - 1]) * (r->tpr[j] + r->tpr[j - 1]) / 2;
    }
    return MS_OK;
}

/* Youden's J over the curve's thresholds; ties go to the highest one. */
static double youden_threshold(const ms_roc *r)
{
    double best = -INFINITY, thr = r->thr[r->npts - 1];
    for (int64_t j = 1; j < r->npts; j++)
        if (r->tpr[j] - r->fpr[j] > best) {
            best = r->tpr[j] - r->fpr[j];
            thr = r->thr[j];
        }
    return thr;
}

static double brier(const ms_binary_input *in)
{
    double s = 0;
    for (int64_t i = 0; i < in->n; i++) {
        if (in->score[i] < 0 || in->score[i] > 1) return NAN;
        double d = in->score[i] - in->label[i];
        s += d * d;
    }
    return s / (double)in->n;
}

ms_status ms_roc_compute(const ms_binary_input *in, double threshold, ms_roc *r)
{
    memset(r, 0, sizeof *r);
    for (int64_t i = 0; i < in->n; i++) in->label[i] ? r->npos++ : r->nneg++;
    if (!r->npos || !r->nneg)
        return ms_fail(MS_ERR_INPUT, "ROC needs positive and negative cases (%lld positive, %lld negative)",
                       (long long)r->npos, (long long)r->nneg);
    scored *t = malloc((size_t)in->n * sizeof *t);
    ms_status rc = t ? curve(in, r, t) : ms_fail(MS_ERR_NOMEM, "ROC: out of memory");
    free(t);
    if (!rc) rc = delong(in, r);
    if (rc) {
        ms_roc_free(r);
        return rc;
    }
    r->brier = brier(in);
    ms_confusion_at(in, threshold, &r->at_threshold);
    ms_confusion_at(in, youden_threshold(r), &r->at_youden);
    return MS_OK;
}

void ms_roc_free(ms_roc *r)
{
    free(r->fpr);
    memset(r, 0, sizeof *r);
}

/* TPR at FPR x on the piecewise-linear curve (numpy.interp's rule). */
static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    if (n == 0) return NAN;
    double pos = q / 100.0 * (n - 1);
    int i = (int)pos;
    return i >= n - 1 ? v[n - 1] : v[i] + (v[i + 1] - v[i]) * (pos - i);
}

/* tpr_at() for an ascending grid in one sweep. */
static void tpr_grid(const ms_roc *r, const double *grid, int ngrid, double *out, size_t stride)
{
    int64_t j = 0;
    for (int k = 0; k < ngrid; k++) {
        double x = grid[k];
        if (k && grid[k] < grid[k - 1]) j = 0;
        while (j + 1 < r->npts && r->fpr[j + 1] <= x) j++;
        out[(size_t)k * stride] = j + 1 == r->npts || x == r->fpr[j]
                                      ? r->tpr[j]
                                      : r->tpr[j] + (r->tpr[j + 1] - r->tpr[j]) * (x - r->fpr[j]) / (r->fpr[j + 1] - r->fpr[j]);
    }
}

/* One resample's curve from the multiplicity w of each case, over the
 * cases sorted once by score (t): the points of the distinct scores drawn,
 * exactly as curve() would give on the resampled list. */
static int weighted_curve(const scored *t, const int64_t *idx, int64_t n, const int32_t *w, ms_roc *r)
{
    double npos = 0, nneg = 0, tp = 0, fp = 0;
    for (int64_t i = 0; i < n; i++) t[i].pos ? (npos += w[idx[i]]) : (nneg += w[idx[i]]);
    if (!npos || !nneg) return 0;
    r->fpr[0] = r->tpr[0] = 0;
    r->npts = 1;
    for (int64_t i = 0; i < n;) {
        double s = t[i].s, drawn = 0;
        for (; i < n && t[i].s == s; i++) {
            drawn += w[idx[i]];
            t[i].pos ? (tp += w[idx[i]]) : (fp += w[idx[i]]);
        }
        if (!drawn) continue;
        r->fpr[r->npts] = fp / nneg;
        r->tpr[r->npts++] = tp / npos;
    }
    return 1;
}

ms_status ms_roc_band(const ms_binary_input *in, int resamples, uint64_t seed, const double *grid, int ngrid,
                      double *lo, double *hi)
{
    int64_t n = in->n, *idx = NULL;
    double *vals = NULL;
    scored *t = NULL;
    int32_t *w = NULL;
    ms_roc r;
    memset(&r, 0, sizeof r);
    ms_status rc = ms_alloc_array((void **)&t, (size_t)n, sizeof *t, 0, "ROC band");
    if (!rc) rc = ms_alloc_array((void **)&idx, (size_t)n, sizeof *idx, 0, "ROC band");
    if (!rc) rc = ms_alloc_array((void **)&w, (size_t)n, sizeof *w, 0, "ROC band");
    if (!rc) rc = ms_alloc_array((void **)&r.fpr, (size_t)n + 1, 2 * sizeof *r.fpr, 0, "ROC band");
    if (!rc) rc = ms_alloc_array((void **)&vals, (size_t)resamples, (size_t)ngrid * sizeof *vals, 0, "ROC band");
    if (rc) goto done;
    r.tpr = r.fpr + n + 1;
    /* Sorted once; the case index rides in .pos's place via idx. */
    for (int64_t i = 0; i < n; i++) t[i] = (scored){in->score[i], (int)i};
    qsort(t, (size_t)n, sizeof *t, by_score_desc);
    for (int64_t i = 0; i < n; i++) {
        idx[i] = t[i].pos;
        t[i].pos = in->label[idx[i]];
    }
    int kept = 0;
    for (int s = 0; s < resamples; s++) {
        ms_progress("bootstrap", (double)(s + 1) / resamples);
        ms_rng g;
        ms_rng_seed(&g, seed, (uint64_t)s);
        memset(w, 0, (size_t)n * sizeof *w);
        for (int64_t i = 0; i < n; i++) w[ms_rng_u64(&g) % (uint64_t)n]++;
        if (weighted_curve(t, idx, n, w, &r)) tpr_grid(&r, grid, ngrid, vals + kept++, (size_t)resamples);
    }
    for (int k = 0; k < ngrid; k++) {
        lo[k] = pct(vals + (size_t)k * (size_t)resamples, kept, 2.5);
        hi[k] = pct(vals + (size_t)k * (size_t)resamples, kept, 97.5);
    }
done:
    free(vals);
    free(t);
    free(idx);
    free(w);
    free(r.fpr);
    return rc;
}
