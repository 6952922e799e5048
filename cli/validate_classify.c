/* validate classify: ROC/AUC with DeLong's interval and operating points. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "validate.h"
#include "medseg/log.h"
#include "medseg/atomic_file.h"

#define GRID_N 101

static cJSON *point_json(const ms_confusion *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "threshold", c->threshold);
    cJSON_AddNumberToObject(o, "tp", (double)c->tp);
    cJSON_AddNumberToObject(o, "fp", (double)c->fp);
    cJSON_AddNumberToObject(o, "tn", (double)c->tn);
    cJSON_AddNumberToObject(o, "fn", (double)c->fn);
    cJSON_AddNumberToObject(o, "sensitivity", c->sensitivity);
    cJSON_AddNumberToObject(o, "specificity", c->specificity);
    cJSON_AddNumberToObject(o, "ppv", c->ppv);
    cJSON_AddNumberToObject(o, "npv", c->npv);
    cJSON_AddNumberToObject(o, "accuracy", c->accuracy);
    cJSON_AddNumberToObject(o, "kappa", c->kappa);
    cJSON_AddNumberToObject(o, "youden_j", c->youden);
    return o;
}

static cJSON *classify_json(const ms_binary_input *in, const ms_roc *r)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "mode", "classify");
    cJSON_AddNumberToObject(d, "cases", (double)in->n);
    cJSON_AddNumberToObject(d, "positives", (double)r->npos);
    cJSON_AddNumberToObject(d, "negatives", (double)r->nneg);
    cJSON_AddNumberToObject(d, "auc", r->auc);
    cJSON *ci = cJSON_AddArrayToObject(d, "auc_ci");
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(r->auc_lo));
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(r->auc_hi));
    cJSON_AddNumberToObject(d, "auc_variance", r->auc_var);
    cJSON_AddNumberToObject(d, "brier", r->brier);
    cJSON_AddItemToObject(d, "at_threshold", point_json(&r->at_threshold));
    cJSON_AddItemToObject(d, "at_youden", point_json(&r->at_youden));
    return d;
}

static void print_point(const char *name, const ms_confusion *c)
{
    char b[8][32];
    printf("%-10s %10s %5lld %5lld %5lld %5lld %8s %8s %8s %8s %8s\n", name, validate_short(c->threshold, b[0]),
           (long long)c->tp, (long long)c->fp, (long long)c->tn, (long long)c->fn, validate_short(c->sensitivity, b[1]),
           validate_short(c->specificity, b[2]), validate_short(c->ppv, b[3]), validate_short(c->npv, b[4]),
           validate_short(c->kappa, b[5]));
}

static void print_table(const ms_binary_input *in, const ms_roc *r)
{
    char a[32], b[32], c[32], d[32];
    printf("cases %lld (%lld positive, %lld negative)\nAUC %s (95%% CI %s - %s, DeLong)  Brier %s\n",
           (long long)in->n, (long long)r->npos, (long long)r->nneg, validate_short(r->auc, a),
           validate_short(r->auc_lo, b), validate_short(r->auc_hi, c), validate_short(r->brier, d));
    printf("%-10s %10s %5s %5s %5s %5s %8s %8s %8s %8s %8s\n", "point", "threshold", "TP", "FP", "TN", "FN", "sens",
           "spec", "PPV", "NPV", "kappa");
    print_point("threshold", &r->at_threshold);
    print_point("youden", &r->at_youden);
}

static ms_status write_csv(const char *path, const ms_roc *r)
{
    ms_text_out t;
    ms_status rc = ms_text_open(&t, path);
    if (rc) return rc;
    fprintf(t.fp, "point,threshold,tp,fp,tn,fn,sensitivity,specificity,ppv,npv,accuracy,kappa,auc\n");
    const ms_confusion *pts[2] = {&r->at_threshold, &r->at_youden};
    for (int i = 0; i < 2; i++) {
        const ms_confusion *c = pts[i];
        char b[8][32];
        fprintf(t.fp, "%s,%s,%lld,%lld,%lld,%lld,%s,%s,%s,%s,%s,%s,%s\n", i ? "youden" : "threshold",
                validate_num(c->threshold, b[0]), (long long)c->tp, (long long)c->fp, (long long)c->tn,
                (long long)c->fn, validate_num(c->sensitivity, b[1]), validate_num(c->specificity, b[2]),
                validate_num(c->ppv, b[3]), validate_num(c->npv, b[4]), validate_num(c->accuracy, b[5]),
                validate_num(c->kappa, b[6]), validate_num(r->auc, b[7]));
    }
    return ms_text_close(&t, !ferror(t.fp));
}

static ms_status plot(const validate_opts *o, const ms_binary_input *in, const ms_roc *r)
{
    double grid[GRID_N], lo[GRID_N], hi[GRID_N];
    for (int i = 0; i < GRID_N; i++) grid[i] = i / (double)(GRID_N - 1);
    if (o->bootstrap)
        ms_info("ROC band: %d bootstrap resamples of %lld cases (--bootstrap 0 skips it)", o->bootstrap,
                (long long)in->n);
    ms_status rc = o->bootstrap ? ms_roc_band(in, o->bootstrap, (uint64_t)o->seed, grid, GRID_N, lo, hi) : MS_OK;
    if (!rc) rc = ms_plot_roc(o->plot, r, grid, lo, hi, o->bootstrap ? GRID_N : 0, "ROC");
    return rc;
}

ms_status validate_classify(const validate_opts *o)
{
    if (!isfinite(o->threshold)) return ms_fail(MS_ERR_USAGE, "--threshold must be a finite number");
    ms_binary_input in;
    ms_roc r = {0};
    ms_status rc = ms_binary_read(o->pred, o->ref, &in);
    if (rc) return rc;
    rc = ms_roc_compute(&in, o->threshold, &r);
    if (!rc && o->plot) rc = plot(o, &in, &r);
    if (!rc && o->csv) rc = write_csv(o->csv, &r);
    if (!rc && o->json) {
        cJSON *d = classify_json(&in, &r);
        validate_print_json(d);
        cJSON_Delete(d);
    } else if (!rc && (!o->csv || strcmp(o->csv, "-") != 0)) {
        print_table(&in, &r);
    }
    ms_roc_free(&r);
    ms_binary_free(&in);
    return rc;
}
