/* validate seg: per-label overlap and surface distances. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "medseg/memory.h"
#include "validate.h"
#include "medseg/atomic_file.h"
#include "medseg/io.h"
#include "medseg/log.h"

/* Affines are compared to 1e-3 (mm for the origin): tighter than any
 * scanner writes, looser than float32 rounding of a NIfTI header. */
#define GRID_TOL 1e-3

static ms_status parse_labels(const char *s, int64_t **out, int *n)
{
    *n = 0;
    *out = malloc((strlen(s) / 2 + 2) * sizeof **out);
    if (!*out) return ms_fail(MS_ERR_NOMEM, "labels: out of memory");
    const char *p = s;
    for (;;) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || errno || (*end && *end != ',')) {
            free(*out);
            *out = NULL;
            return ms_fail(MS_ERR_USAGE, "--labels expects positive whole numbers L1,L2,..., not '%s'", s);
        }
        (*out)[(*n)++] = v;
        if (!*end) return MS_OK;
        p = end + 1;
    }
}

static const char *empty_kind(const ms_seg_metrics *m)
{
    return !m->n_pred && !m->n_ref ? "both" : !m->n_pred ? "pred" : !m->n_ref ? "ref" : "none";
}

static cJSON *label_json(const ms_seg_metrics *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "label", (double)m->label);
    cJSON_AddNumberToObject(o, "dice", m->dice);
    cJSON_AddNumberToObject(o, "jaccard", m->jaccard);
    cJSON_AddNumberToObject(o, "hd", m->hd);
    cJSON_AddNumberToObject(o, "hd95", m->hd95);
    cJSON_AddNumberToObject(o, "assd", m->assd);
    cJSON_AddNumberToObject(o, "hd95_pred_to_ref", m->hd95_pred_to_ref);
    cJSON_AddNumberToObject(o, "hd95_ref_to_pred", m->hd95_ref_to_pred);
    cJSON_AddNumberToObject(o, "asd_pred_to_ref", m->asd_pred_to_ref);
    cJSON_AddNumberToObject(o, "asd_ref_to_pred", m->asd_ref_to_pred);
    cJSON_AddNumberToObject(o, "voxels_pred", (double)m->n_pred);
    cJSON_AddNumberToObject(o, "voxels_ref", (double)m->n_ref);
    cJSON_AddNumberToObject(o, "voxels_both", (double)m->n_both);
    cJSON_AddNumberToObject(o, "volume_pred_ml", m->vol_pred_ml);
    cJSON_AddNumberToObject(o, "volume_ref_ml", m->vol_ref_ml);
    cJSON_AddNumberToObject(o, "volume_diff_ml", m->vol_pred_ml - m->vol_ref_ml);
    cJSON_AddNumberToObject(o, "volume_diff_pct", m->n_ref ? 100.0 * (m->vol_pred_ml - m->vol_ref_ml) / m->vol_ref_ml : NAN);
    cJSON_AddNumberToObject(o, "surface_pred_mm2", m->area_pred_mm2);
    cJSON_AddNumberToObject(o, "surface_ref_mm2", m->area_ref_mm2);
    cJSON_AddStringToObject(o, "empty", empty_kind(m));
    return o;
}

static const char *csv_header = "label,dice,jaccard,hd_mm,hd95_mm,assd_mm,volume_ref_ml,volume_pred_ml,volume_diff_ml,empty";

void validate_seg_row(FILE *fp, const ms_seg_metrics *m, const char *sep, int width)
{
    const char *(*fmt)(double, char[32]) = width ? validate_short : validate_num;
    char b[9][32];
    double v[9] = {m->dice, m->jaccard, m->hd, m->hd95, m->assd, m->vol_ref_ml, m->vol_pred_ml,
                   m->vol_pred_ml - m->vol_ref_ml};
    fprintf(fp, "%*lld", width ? 5 : 0, (long long)m->label);
    for (int k = 0; k < 8; k++) fprintf(fp, "%s%*s", sep, width, fmt(v[k], b[k]));
    fprintf(fp, "%s%*s\n", sep, width ? 6 : 0, empty_kind(m));
}

static ms_status write_csv(const char *path, const ms_seg_metrics *m, int n)
{
    ms_text_out t;
    ms_status rc = ms_text_open(&t, path);
    if (rc) return rc;
    fprintf(t.fp, "%s\n", csv_header);
    for (int i = 0; i < n; i++) validate_seg_row(t.fp, &m[i], ",", 0);
    return ms_text_close(&t, !ferror(t.fp));
}

static void print_table(const validate_opts *o, const ms_seg_metrics *m, int n)
{
    printf("pred %s\nref  %s\n%5s %10s %10s %10s %10s %10s %10s %10s %10s %6s\n", o->pred, o->ref, "label", "dice",
           "jaccard", "hd_mm", "hd95_mm", "assd_mm", "ref_ml", "pred_ml", "diff_ml", "empty");
    for (int i = 0; i < n; i++) validate_seg_row(stdout, &m[i], " ", 10);
}

static ms_status report(const validate_opts *o, const ms_volume *p, const ms_seg_metrics *m, int n)
{
    ms_status rc = o->csv ? write_csv(o->csv, m, n) : MS_OK;
    if (rc) return rc;
    if (!o->json) {
        if (!o->csv || strcmp(o->csv, "-") != 0) print_table(o, m, n);
        return MS_OK;
    }
    cJSON *doc = cJSON_CreateObject(), *sp = cJSON_AddArrayToObject(doc, "spacing_mm");
    cJSON_AddStringToObject(doc, "mode", "seg");
    cJSON_AddStringToObject(doc, "pred", o->pred);
    cJSON_AddStringToObject(doc, "ref", o->ref);
    for (int k = 0; k < 3; k++) cJSON_AddItemToArray(sp, cJSON_CreateNumber(p->spacing[k]));
    cJSON *labs = cJSON_AddArrayToObject(doc, "labels");
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(labs, label_json(&m[i]));
    validate_print_json(doc);
    cJSON_Delete(doc);
    return MS_OK;
}

ms_status validate_seg_pair(const char *pred, const char *ref, const char *label_list, ms_seg_metrics **out, int *n_out,
                            double spacing[3])
{
    ms_volume p = {0}, r = {0};
    int64_t *labels = NULL;
    int n = 0;
    ms_seg_metrics *m = NULL;
    double bad;
    ms_memory_set_input_cost(6, 0);   /* the other map, voxel lists, masks */
    ms_status rc = ms_read_volume(pred, NULL, &p, NULL);
    if (!rc) rc = ms_read_volume(ref, NULL, &r, NULL);
    if (!rc) rc = ms_label_map_check(&p, pred);
    if (!rc) rc = ms_label_map_check(&r, ref);
    if (!rc) rc = ms_grid_check(&p, &r, GRID_TOL, pred, ref);
    if (!rc && ms_volume_find_fraction(&p, &bad))
        rc = ms_fail(MS_ERR_INPUT, "%s holds %g: label maps must hold whole numbers", pred, bad);
    if (!rc && ms_volume_find_fraction(&r, &bad))
        rc = ms_fail(MS_ERR_INPUT, "%s holds %g: label maps must hold whole numbers", ref, bad);
    if (!rc) rc = label_list ? parse_labels(label_list, &labels, &n) : ms_labels_present(&p, &r, &labels, &n);
    if (!rc && !label_list && n == 0) rc = ms_fail(MS_ERR_INPUT, "%s and %s are both empty; name --labels", pred, ref);
    if (!rc) rc = ms_alloc_array((void **)&m, (size_t)(n ? n : 1), sizeof *m, 1, "metrics");
    double t0 = ms_now();
    if (!rc) rc = ms_seg_metrics_all(&p, &r, labels, n, m);
    ms_debug("%d labels: %.3f s", n, ms_now() - t0);
    if (!rc && spacing) memcpy(spacing, p.spacing, sizeof p.spacing);
    free(labels);
    ms_volume_free(&p);
    ms_volume_free(&r);
    if (rc) free(m), m = NULL, n = 0;
    *out = m, *n_out = n;
    return rc;
}

ms_status validate_seg(const validate_opts *o)
{
    if (validate_is_dir(o->pred) || validate_is_dir(o->ref)) return validate_seg_dirs(o);
    ms_seg_metrics *m = NULL;
    int n = 0;
    ms_volume p = {0};
    ms_status rc = validate_seg_pair(o->pred, o->ref, o->labels, &m, &n, p.spacing);
    if (!rc) rc = report(o, &p, m, n);
    free(m);
    return rc;
}
