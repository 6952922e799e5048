/* report.json and candidates.csv of detect-nodules (schema in
 * medseg-detect-nodules(1)). No patient name, ID or birth date is ever
 * read into these. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect_report.h"
#include "medseg/atomic_file.h"

static cJSON *triple(const double v[3], double scale)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < 3; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(round(v[i] * scale) / scale));
    return a;
}

static double r2(double v) { return isfinite(v) ? round(v * 100) / 100 : 0; }

cJSON *nodule_json(const ms_nodule *n)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", n->id);
    cJSON_AddItemToObject(o, "center_lps", triple(n->center_lps, 100));
    cJSON_AddItemToObject(o, "center_voxel", triple(n->center_voxel, 100));
    cJSON_AddNumberToObject(o, "probability", round(n->probability * 10000) / 10000);
    cJSON_AddNumberToObject(o, "diameter_mm", r2(n->diameter_mm));
    cJSON_AddNumberToObject(o, "long_axis_mm", r2(n->long_axis_mm));
    cJSON_AddNumberToObject(o, "short_axis_mm", r2(n->short_axis_mm));
    cJSON_AddNumberToObject(o, "volume_mm3", r2(n->volume_mm3));
    cJSON_AddNumberToObject(o, "mean_hu", r2(n->mean_hu));
    cJSON_AddStringToObject(o, "type", ms_ntype_name(n->type));
    cJSON_AddNumberToObject(o, "solid_diameter_mm", r2(n->solid_diameter_mm));
    cJSON_AddNumberToObject(o, "sphericity", round(n->sphericity * 1000) / 1000);
    cJSON_AddNumberToObject(o, "spiculation", round(n->spiculation * 1000) / 1000);
    cJSON *loc = cJSON_AddObjectToObject(o, "location");
    cJSON_AddStringToObject(loc, "side", n->side == 1 ? "right" : n->side == 2 ? "left" : "unknown");
    cJSON_AddStringToObject(loc, "zone", n->upper ? "upper" : "lower");
    cJSON_AddBoolToObject(o, "juxtapleural", n->juxtapleural);
    cJSON_AddNumberToObject(o, "brock", round(n->brock * 10000) / 10000);
    cJSON *lr = cJSON_AddObjectToObject(o, "lung_rads");
    cJSON_AddStringToObject(lr, "category", n->lung_rads.category);
    cJSON_AddStringToObject(lr, "rule", n->lung_rads.rule);
    cJSON_AddStringToObject(lr, "management", n->lung_rads.management);
    cJSON *fl = cJSON_AddObjectToObject(o, "fleischner");
    cJSON_AddStringToObject(fl, "rule", n->fleischner.rule);
    cJSON_AddStringToObject(fl, "low_risk", n->fleischner.low_risk);
    cJSON_AddStringToObject(fl, "high_risk", n->fleischner.high_risk);
    return o;
}

cJSON *patient_json(const ms_patient *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "age", p->age);
    cJSON_AddStringToObject(o, "sex", p->female ? "F" : "M");
    cJSON_AddNumberToObject(o, "family_history", p->family_history);
    cJSON_AddNumberToObject(o, "emphysema", p->emphysema);
    cJSON *d = cJSON_AddArrayToObject(o, "defaults");
    const char *names[] = {"age", "sex", "family_history", "emphysema"};
    int flags[] = {p->age_default, p->sex_default, p->family_default, p->emphysema_default};
    for (int i = 0; i < 4; i++)
        if (flags[i]) cJSON_AddItemToArray(d, cJSON_CreateString(names[i]));
    return o;
}

static cJSON *series_json(const detect_meta *m)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "format", m->is_dicom ? "dicom" : "nifti");
    cJSON_AddStringToObject(s, "modality", m->is_dicom ? m->dicom->modality : "CT");
    cJSON_AddStringToObject(s, "study_uid", m->study_uid);
    cJSON_AddStringToObject(s, "series_uid", m->series_uid);
    if (m->is_dicom) cJSON_AddStringToObject(s, "frame_of_reference_uid", m->dicom->frame_uid);
    cJSON_AddStringToObject(s, "manufacturer", m->is_dicom ? m->dicom->manufacturer : "");
    cJSON *d = cJSON_AddArrayToObject(s, "dims");
    for (int i = 0; i < 3; i++) cJSON_AddItemToArray(d, cJSON_CreateNumber((double)m->ct->dim[i]));
    cJSON_AddItemToObject(s, "spacing_mm", triple(m->ct->spacing, 10000));
    double thick = m->is_dicom && m->dicom->slice_thickness > 0 ? m->dicom->slice_thickness : m->ct->spacing[2];
    cJSON_AddNumberToObject(s, "slice_thickness_mm", round(thick * 1000) / 1000);
    if (m->is_dicom) cJSON_AddNumberToObject(s, "slices", m->dicom->n_slices);
    return s;
}

cJSON *detect_report_json(const detect_meta *m, const ms_detect_result *r, const ms_patient *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "schema", "medseg-detect-nodules/1");
    cJSON_AddStringToObject(o, "input", m->input);
    cJSON_AddItemToObject(o, "series", series_json(m));
    cJSON_AddItemToObject(o, "patient", patient_json(p));
    cJSON *l = cJSON_AddObjectToObject(o, "lungs");
    cJSON_AddNumberToObject(l, "total_ml", round(r->lung_ml[0] + r->lung_ml[1]));
    cJSON_AddNumberToObject(l, "right_ml", round(r->lung_ml[0]));
    cJSON_AddNumberToObject(l, "left_ml", round(r->lung_ml[1]));
    cJSON *list = cJSON_AddArrayToObject(o, "nodules");
    for (int i = 0; i < r->n_reported; i++) cJSON_AddItemToArray(list, nodule_json(&r->cand[i]));
    cJSON *e = cJSON_AddObjectToObject(o, "exam");
    cJSON_AddStringToObject(e, "lung_rads", r->exam.category);
    cJSON_AddStringToObject(e, "rule", r->exam.rule);
    cJSON_AddStringToObject(e, "management", r->exam.management);
    cJSON_AddNumberToObject(e, "nodule_count", r->n_reported);
    cJSON_AddNumberToObject(e, "candidates", r->n_cand);
    cJSON *t = cJSON_AddObjectToObject(o, "timings");
    for (int i = 0; i < MS_DETECT_STAGES; i++)
        cJSON_AddNumberToObject(t, ms_detect_stage_names[i], round(r->seconds[i] * 1000) / 1000);
    cJSON_AddNumberToObject(t, "total", round(m->total_seconds * 1000) / 1000);
    cJSON *v = cJSON_AddObjectToObject(o, "versions");
    cJSON_AddStringToObject(v, "medseg", MEDSEG_VERSION);
    cJSON_AddStringToObject(v, "method", m->method);
    cJSON_AddStringToObject(v, "lung_rads", "v2022");
    cJSON_AddStringToObject(v, "fleischner", "2017");
    cJSON_AddStringToObject(v, "brock", "PanCan full model with spiculation (McWilliams 2013)");
    cJSON *w = cJSON_AddArrayToObject(o, "warnings");
    for (int i = 0; i < r->n_warnings; i++) cJSON_AddItemToArray(w, cJSON_CreateString(r->warnings[i]));
    return o;
}

ms_status write_candidates_csv(const char *path, const char *series_uid, const ms_detect_result *r)
{
    ms_text_out o;
    ms_status st = ms_text_open(&o, path);
    if (st) return st;
    fprintf(o.fp, "seriesuid,coordX,coordY,coordZ,probability\n");
    for (int i = 0; i < r->n_cand; i++) {
        const ms_nodule *n = &r->cand[i];
        fprintf(o.fp, "%s,%.3f,%.3f,%.3f,%.6f\n", series_uid, n->center_lps[0], n->center_lps[1], n->center_lps[2],
                n->probability);
    }
    return ms_text_close(&o, 1);
}
