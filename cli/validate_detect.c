/* validate detect: the LUNA16 FROC protocol with bootstrap intervals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "validate.h"
#include "medseg/atomic_file.h"
#include "medseg/log.h"

#define GRID_N 120

/* Nodule size strata by diameter (mm): <3, [3,6), [6,10), [10,30], >30. */
typedef struct stratum {
    const char *name;
    double lo, hi;
    int lo_open, hi_closed;
} stratum;

static const stratum strata[] = {
    {"<3", -INFINITY, 3, 0, 0}, {"3-6", 3, 6, 0, 0}, {"6-10", 6, 10, 0, 0}, {"10-30", 10, 30, 0, 1},
    {">30", 30, INFINITY, 1, 0},
};
#define NSTRATA 5

static int in_stratum(const stratum *s, double d)
{
    return (s->lo_open ? d > s->lo : d >= s->lo) && (s->hi_closed ? d <= s->hi : d < s->hi);
}

static cJSON *points_json(const double *v)
{
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; k < MS_FROC_POINTS; k++) {
        char key[16];
        snprintf(key, sizeof key, "%g", ms_froc_fps[k]);
        cJSON_AddNumberToObject(o, key, v[k]);
    }
    return o;
}

static cJSON *strata_json(const ms_froc *sf, const int *present)
{
    cJSON *a = cJSON_CreateArray();
    for (int s = 0; s < NSTRATA; s++) {
        if (!present[s]) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "diameter_mm", strata[s].name);
        cJSON_AddNumberToObject(o, "nodules", (double)sf[s].nodules);
        cJSON_AddNumberToObject(o, "detected", (double)sf[s].detected);
        cJSON_AddNumberToObject(o, "cpm", sf[s].cpm);
        cJSON_AddItemToObject(o, "sensitivity_at", points_json(sf[s].sens_at));
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *detect_json(const validate_opts *o, const ms_detect_input *in, const ms_detect_match *m,
                          const ms_froc *f, const ms_froc_ci *ci, const ms_froc *sf, const int *present)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "mode", "detect");
    cJSON_AddNumberToObject(d, "scans", in->nscans);
    cJSON_AddNumberToObject(d, "nodules", (double)f->nodules);
    cJSON_AddNumberToObject(d, "detected", (double)f->detected);
    cJSON_AddNumberToObject(d, "candidates", (double)in->ncand);
    cJSON_AddNumberToObject(d, "false_positives", (double)m->nfp);
    cJSON_AddNumberToObject(d, "ignored_on_excluded", (double)m->ignored_excluded);
    cJSON_AddNumberToObject(d, "double_hits", (double)m->double_hits);
    cJSON_AddNumberToObject(d, "dropped_over_max_marks", (double)m->dropped_over_cap);
    cJSON_AddNumberToObject(d, "max_marks", o->max_marks);
    cJSON_AddNumberToObject(d, "cpm", f->cpm);
    cJSON_AddItemToObject(d, "sensitivity_at", points_json(f->sens_at));
    if (ci) {
        cJSON *c = cJSON_AddArrayToObject(d, "cpm_ci");
        cJSON_AddItemToArray(c, cJSON_CreateNumber(ci->cpm_lo));
        cJSON_AddItemToArray(c, cJSON_CreateNumber(ci->cpm_hi));
        cJSON *s = cJSON_AddObjectToObject(d, "sensitivity_ci");
        for (int k = 0; k < MS_FROC_POINTS; k++) {
            char key[16];
            snprintf(key, sizeof key, "%g", ms_froc_fps[k]);
            cJSON *p = cJSON_AddArrayToObject(s, key);
            cJSON_AddItemToArray(p, cJSON_CreateNumber(ci->sens_lo[k]));
            cJSON_AddItemToArray(p, cJSON_CreateNumber(ci->sens_hi[k]));
        }
        cJSON_AddNumberToObject(d, "bootstrap", o->bootstrap);
        cJSON_AddNumberToObject(d, "seed", o->seed);
    }
    cJSON_AddItemToObject(d, "strata", strata_json(sf, present));
    cJSON *curve = cJSON_AddObjectToObject(d, "curve");
    cJSON_AddItemToObject(curve, "fp_per_scan", cJSON_CreateDoubleArray(f->fp, (int)f->npts));
    cJSON_AddItemToObject(curve, "sensitivity", cJSON_CreateDoubleArray(f->sens, (int)f->npts));
    return d;
}

static void print_table(const ms_detect_input *in, const ms_detect_match *m, const ms_froc *f, const ms_froc_ci *ci,
                        const ms_froc *sf, const int *present)
{
    char a[32], b[32], c[32];
    printf("scans %d, nodules %lld (%lld hit by a mark), candidates %lld: %lld false positives, %lld ignored on "
           "excluded findings, %lld over the mark limit\n",
           in->nscans, (long long)f->nodules, (long long)f->detected, (long long)in->ncand, (long long)m->nfp,
           (long long)m->ignored_excluded, (long long)m->dropped_over_cap);
    printf("%12s %12s %20s\n", "FPs/scan", "sensitivity", ci ? "95% CI" : "");
    for (int k = 0; k < MS_FROC_POINTS; k++) {
        printf("%12g %12s", ms_froc_fps[k], validate_short(f->sens_at[k], a));
        if (ci) printf("    %s - %s", validate_short(ci->sens_lo[k], b), validate_short(ci->sens_hi[k], c));
        printf("\n");
    }
    printf("CPM %s", validate_short(f->cpm, a));
    if (ci) printf(" (95%% CI %s - %s)", validate_short(ci->cpm_lo, b), validate_short(ci->cpm_hi, c));
    printf("\n%12s %8s %8s %8s\n", "diameter_mm", "nodules", "hit", "CPM");
    for (int s = 0; s < NSTRATA; s++)
        if (present[s])
            printf("%12s %8lld %8lld %8s\n", strata[s].name, (long long)sf[s].nodules, (long long)sf[s].detected,
                   validate_short(sf[s].cpm, a));
}

static ms_status write_csv(const char *path, const ms_froc *f, const ms_froc_ci *ci)
{
    ms_text_out t;
    ms_status rc = ms_text_open(&t, path);
    if (rc) return rc;
    char a[32], b[32], c[32];
    fprintf(t.fp, "fp_per_scan,sensitivity,ci_low,ci_high\n");
    for (int k = 0; k < MS_FROC_POINTS; k++)
        fprintf(t.fp, "%g,%s,%s,%s\n", ms_froc_fps[k], validate_num(f->sens_at[k], a),
                validate_num(ci ? ci->sens_lo[k] : NAN, b), validate_num(ci ? ci->sens_hi[k] : NAN, c));
    fprintf(t.fp, "cpm,%s,%s,%s\n", validate_num(f->cpm, a), validate_num(ci ? ci->cpm_lo : NAN, b),
            validate_num(ci ? ci->cpm_hi : NAN, c));
    return ms_text_close(&t, !ferror(t.fp));
}

static ms_status strata_frocs(const ms_detect_input *in, const ms_detect_match *m, ms_froc *sf, int *present)
{
    uint8_t *mask = malloc((size_t)(in->nnod ? in->nnod : 1));
    if (!mask) return ms_fail(MS_ERR_NOMEM, "strata: out of memory");
    ms_status rc = MS_OK;
    for (int s = 0; s < NSTRATA && !rc; s++) {
        int count = 0;
        for (int64_t j = 0; j < in->nnod; j++) count += mask[j] = (uint8_t)in_stratum(&strata[s], in->nod[j].value);
        /* The four LUNA16 strata always; "<3" only when such nodules exist. */
        present[s] = s > 0 || count > 0;
        rc = ms_froc_compute(in, m, mask, &sf[s]);
    }
    free(mask);
    return rc;
}

static ms_status report(const validate_opts *o, const ms_detect_input *in, const ms_detect_match *m,
                        const ms_froc *f, const ms_froc_ci *ci)
{
    ms_froc sf[NSTRATA];
    int present[NSTRATA];
    memset(sf, 0, sizeof sf);
    ms_status rc = strata_frocs(in, m, sf, present);
    if (!rc && o->plot) rc = ms_plot_froc(o->plot, f, ci, "FROC (LUNA16 protocol)");
    if (!rc && o->csv) rc = write_csv(o->csv, f, ci);
    if (!rc && o->json) {
        cJSON *d = detect_json(o, in, m, f, ci, sf, present);
        validate_print_json(d);
        cJSON_Delete(d);
    } else if (!rc && (!o->csv || strcmp(o->csv, "-") != 0)) {
        print_table(in, m, f, ci, sf, present);
    }
    for (int s = 0; s < NSTRATA; s++) ms_froc_free(&sf[s]);
    return rc;
}

ms_status validate_detect(const validate_opts *o)
{
    ms_detect_input in;
    ms_detect_match m = {0};
    ms_froc f = {0};
    ms_froc_ci ci = {0};
    int have_ci = 0;
    double t0 = ms_now();
    ms_status rc = ms_detect_read(o->pred, o->ref, o->exclude, o->scans, &in);
    if (rc) return rc;
    rc = ms_detect_match_run(&in, o->max_marks, &m);
    if (!rc && in.nnod == 0) rc = ms_fail(MS_ERR_INPUT, "%s: no nodules, so no sensitivity", o->ref);
    if (!rc) rc = ms_froc_compute(&in, &m, NULL, &f);
    double t1 = ms_now();
    if (!rc && o->bootstrap) {
        double grid[GRID_N];
        for (int i = 0; i < GRID_N; i++) grid[i] = pow(2, -3.5 + 7.0 * i / (GRID_N - 1));
        rc = ms_froc_bootstrap(&in, &m, o->bootstrap, (uint64_t)o->seed, grid, GRID_N, &ci);
        have_ci = !rc;
    }
    ms_debug("matching and FROC %.3f s, bootstrap %.3f s", t1 - t0, ms_now() - t1);
    if (!rc) rc = report(o, &in, &m, &f, have_ci ? &ci : NULL);
    ms_froc_ci_free(&ci);
    ms_froc_free(&f);
    ms_detect_match_free(&m);
    ms_detect_free(&in);
    return rc;
}
