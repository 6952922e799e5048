/* classify nodules: the nodules of a detect-nodules report (or a CSV of
 * measurements) re-scored with the library's one implementation of Brock,
 * Lung-RADS and Fleischner, optionally beside a patch-classifier model's
 * probability on the CT the report was made from. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "detect_report.h"
#include "medseg/csv.h"
#include "medseg/io.h"
#include "medseg/model.h"
#include "medseg/textfile.h"

/* ---- reading: report JSON ---- */

static ms_status number(const char *path, int id, const cJSON *o, const char *key, double lo, double hi, double *v)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(e) || !(e->valuedouble >= lo && e->valuedouble <= hi))
        return ms_fail(MS_ERR_INPUT, "%s: nodule %d: \"%s\" must be a number %g..%g", path, id, key, lo, hi);
    *v = e->valuedouble;
    return MS_OK;
}

static ms_status nodule_from_json(const char *path, const cJSON *o, ms_nodule *n)
{
    memset(n, 0, sizeof *n);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id"), *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    n->id = cJSON_IsNumber(id) ? (int)id->valuedouble : 0;
    ms_status st = number(path, n->id, o, "diameter_mm", 0, 300, &n->diameter_mm);
    if (!st) st = number(path, n->id, o, "long_axis_mm", 0, 300, &n->long_axis_mm);
    if (!st) st = number(path, n->id, o, "solid_diameter_mm", 0, 300, &n->solid_diameter_mm);
    if (!st) st = number(path, n->id, o, "spiculation", 0, 1, &n->spiculation);
    if (st) return st;
    if (!cJSON_IsString(type) || !ms_ntype_parse(type->valuestring, &n->type))
        return ms_fail(MS_ERR_INPUT, "%s: nodule %d: \"type\" must be solid, part-solid or ground-glass", path, n->id);
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(o, "location");
    const cJSON *zone = cJSON_GetObjectItemCaseSensitive(loc, "zone");
    n->upper = cJSON_IsString(zone) && strcmp(zone->valuestring, "upper") == 0;
    n->juxtapleural = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "juxtapleural"));
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "center_lps");
    for (int a = 0; a < 3; a++) {
        const cJSON *e = cJSON_GetArrayItem(c, a);
        n->center_lps[a] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
    }
    return MS_OK;
}

static ms_status read_report(const char *path, classify_set *s)
{
    ms_text_why why;
    char *txt = ms_read_text(path, (size_t)64 << 20, &why);
    if (!txt) return ms_fail(MS_ERR_INPUT, "%s: cannot read it (missing, or over 64 MB)", path);
    s->doc = cJSON_Parse(txt);
    free(txt);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(s->doc, "nodules");
    if (!cJSON_IsObject(s->doc) || !cJSON_IsArray(list))
        return ms_fail(MS_ERR_INPUT, "%s: not a detect-nodules report (no \"nodules\" list)", path);
    s->n = cJSON_GetArraySize(list);
    ms_status st = ms_alloc_array((void **)&s->nod, (size_t)(s->n ? s->n : 1), sizeof *s->nod, 1, path);
    if (!st) st = ms_alloc_array((void **)&s->count, (size_t)(s->n ? s->n : 1), sizeof *s->count, 0, path);
    for (int i = 0; !st && i < s->n; i++) {
        st = nodule_from_json(path, cJSON_GetArrayItem(list, i), &s->nod[i]);
        s->count[i] = s->n;
    }
    return st;
}

/* ---- reading: CSV of measurements ---- */

static ms_status csv_number(const char *path, const ms_csv_row *r, int col, double lo, double hi, double *v)
{
    char *end;
    *v = col >= 0 && col < r->n ? strtod(r->field[col], &end) : NAN;
    if (col < 0 || col >= r->n || end == r->field[col] || *end || !(*v >= lo && *v <= hi))
        return ms_fail(MS_ERR_INPUT, "%s:%d: a value must be a number %g..%g", path, r->line, lo, hi);
    return MS_OK;
}

static ms_status nodule_from_row(const char *path, const ms_csv_row *r, const int col[6], ms_nodule *n, int *count)
{
    memset(n, 0, sizeof *n);
    double id, up, cnt = 0;
    ms_status st = csv_number(path, r, col[0], 0, 1e9, &id);
    if (!st) st = csv_number(path, r, col[1], 0, 300, &n->diameter_mm);
    if (!st && !(col[2] < r->n && ms_ntype_parse(r->field[col[2]], &n->type)))
        st = ms_fail(MS_ERR_INPUT, "%s:%d: type must be solid, part-solid or ground-glass", path, r->line);
    if (!st) st = csv_number(path, r, col[3], 0, 1, &up);
    if (!st) st = csv_number(path, r, col[4], 0, 1, &n->spiculation);
    if (!st && col[5] >= 0) st = csv_number(path, r, col[5], 1, 1000, &cnt);
    if (st) return st;
    n->id = (int)id;
    n->upper = up >= 0.5;
    /* A CSV gives one diameter: the long axis and the solid part take it. */
    n->long_axis_mm = n->diameter_mm;
    n->solid_diameter_mm = n->type == MS_NTYPE_GGO ? 0 : n->diameter_mm;
    n->center_lps[0] = n->center_lps[1] = n->center_lps[2] = NAN;
    if (cnt > 0) *count = (int)cnt;
    return MS_OK;
}

static ms_status read_csv(const char *path, classify_set *s)
{
    ms_csv c;
    ms_status st = ms_csv_read(path, &c);
    if (st) return st;
    static const char *names[6] = {"id", "diameter_mm", "type", "upper_lobe", "spiculation", "nodule_count"};
    int col[6];
    for (int k = 0; k < 6; k++) col[k] = ms_csv_column(&c, names[k]);
    for (int k = 0; k < 5 && !st; k++)
        if (col[k] < 0)
            st = ms_fail(MS_ERR_INPUT, "%s: no \"%s\" column (header id,diameter_mm,type,upper_lobe,spiculation"
                         "[,nodule_count])", path, names[k]);
    s->n = c.n > 0 ? c.n - 1 : 0;
    if (!st) st = ms_alloc_array((void **)&s->nod, (size_t)(s->n ? s->n : 1), sizeof *s->nod, 1, path);
    if (!st) st = ms_alloc_array((void **)&s->count, (size_t)(s->n ? s->n : 1), sizeof *s->count, 0, path);
    for (int i = 0; !st && i < s->n; i++) {
        s->count[i] = s->n;   /* without a nodule_count column: the rows are one scan */
        st = nodule_from_row(path, &c.row[i + 1], col, &s->nod[i], &s->count[i]);
    }
    ms_csv_free(&c);
    return st;
}

ms_status classify_read(const char *path, classify_set *s)
{
    memset(s, 0, sizeof *s);
    size_t n = strlen(path);
    s->is_csv = n > 4 && strcmp(path + n - 4, ".csv") == 0;
    return s->is_csv ? read_csv(path, s) : read_report(path, s);
}

void classify_free(classify_set *s)
{
    cJSON_Delete(s->doc);
    free(s->nod);
    free(s->model_p);
    free(s->count);
    memset(s, 0, sizeof *s);
}

/* ---- the model beside Brock ---- */

ms_status classify_model(classify_set *s, const char *image, const char *model, ms_device dev)
{
    ms_model *m = NULL;
    ms_volume ct = {0}, iso = {0};
    ms_status st = ms_model_load(model, "patch-classifier", dev, &m);
    if (!st) st = ms_read_volume(image, NULL, &ct, NULL);
    if (!st) st = ms_ct_to_iso(&ct, &iso);
    if (!st) st = ms_alloc_array((void **)&s->model_p, (size_t)(s->n ? s->n : 1), sizeof *s->model_p, 0, "model");
    for (int i = 0; !st && i < s->n; i++) {
        double c[3];
        if (!ms_world_to_voxel(&iso, s->nod[i].center_lps, c) || !isfinite(c[0] + c[1] + c[2]))
            st = ms_fail(MS_ERR_INPUT, "nodule %d has no centre_lps to cut a cube around (a CSV gives none)",
                         s->nod[i].id);
        else st = ms_model_patch_probability(m, &iso, c, &s->model_p[i]);
    }
    if (!st) snprintf(s->model_name, sizeof s->model_name, "%s", ms_model_card_of(m)->name);
    ms_model_free(m);
    ms_volume_free(&ct);
    ms_volume_free(&iso);
    return st;
}

/* ---- scoring and the answer ---- */

static void replace(cJSON *o, const char *key, cJSON *v)
{
    if (cJSON_GetObjectItemCaseSensitive(o, key)) cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
    else cJSON_AddItemToObject(o, key, v);
}

static cJSON *exam_json(const classify_set *s, const ms_lungrads *exam)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "lung_rads", exam->category);
    cJSON_AddStringToObject(e, "rule", exam->rule);
    cJSON_AddStringToObject(e, "management", exam->management);
    cJSON_AddNumberToObject(e, "nodule_count", s->n);
    return e;
}

/* nodule_json() writes what detect-nodules measured; a CSV row carries less. */
static cJSON *csv_nodule_json(const ms_nodule *n)
{
    cJSON *o = nodule_json(n);
    static const char *drop[] = {"center_lps", "center_voxel", "probability", "long_axis_mm", "short_axis_mm",
                                 "volume_mm3", "mean_hu", "solid_diameter_mm", "sphericity", "location", "juxtapleural"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++) cJSON_DeleteItemFromObjectCaseSensitive(o, drop[i]);
    cJSON_AddBoolToObject(o, "upper_lobe", n->upper);
    return o;
}

/* The library's rules, with the scan's nodule count (a CSV may give it). */
static void score(classify_set *s, const ms_patient *p)
{
    for (int i = 0; i < s->n; i++) {
        ms_nodule *n = &s->nod[i];
        ms_risk_nodule rn = {n->diameter_mm, n->long_axis_mm, n->solid_diameter_mm, n->type, n->upper,
                             n->spiculation, n->juxtapleural};
        n->brock = ms_brock(p, &rn, s->count[i]);
        ms_lungrads_nodule(&rn, &n->lung_rads);
        ms_fleischner_nodule(&rn, s->count[i], &n->fleischner);
    }
}

cJSON *classify_answer(classify_set *s, const char *input, const ms_patient *p)
{
    score(s, p);
    ms_lungrads *cats = NULL, exam;
    int ok = ms_alloc_array((void **)&cats, (size_t)(s->n > 0 ? s->n : 1), sizeof *cats, 1, "exam") == MS_OK;
    for (int i = 0; ok && i < s->n; i++) cats[i] = s->nod[i].lung_rads;
    ms_lungrads_exam(cats, ok ? s->n : 0, &exam);
    free(cats);
    cJSON *doc = s->doc ? s->doc : cJSON_CreateObject();
    s->doc = NULL;
    if (s->is_csv) {
        cJSON_AddStringToObject(doc, "schema", "medseg-classify-nodules/1");
        cJSON_AddStringToObject(doc, "input", input);
        cJSON_AddItemToObject(doc, "nodules", cJSON_CreateArray());
    }
    cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "nodules");
    for (int i = 0; i < s->n; i++) {
        const ms_nodule *n = &s->nod[i];
        cJSON *o = s->is_csv ? csv_nodule_json(n) : cJSON_GetArrayItem(list, i), *fresh = nodule_json(n);
        /* Unrounded here: re-scoring is the point of the command. */
        replace(o, "brock", cJSON_CreateNumber(n->brock));
        replace(o, "lung_rads", cJSON_DetachItemFromObjectCaseSensitive(fresh, "lung_rads"));
        replace(o, "fleischner", cJSON_DetachItemFromObjectCaseSensitive(fresh, "fleischner"));
        cJSON_Delete(fresh);
        if (s->model_p) replace(o, "model_probability", cJSON_CreateNumber(round(s->model_p[i] * 1e6) / 1e6));
        if (s->is_csv) cJSON_AddItemToArray(list, o);
    }
    replace(doc, "patient", patient_json(p));
    replace(doc, "exam", exam_json(s, &exam));
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "command", "classify nodules");
    cJSON_AddStringToObject(c, "input", input);
    if (s->model_p) cJSON_AddStringToObject(c, "model", s->model_name);
    else cJSON_AddNullToObject(c, "model");
    replace(doc, "classify", c);
    return doc;
}
