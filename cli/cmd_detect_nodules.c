/* medseg detect-nodules: chest CT -> lungs, nodules, risk, report. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "commands.h"
#include "medseg/memory.h"
#include "detect_models.h"
#include "detect_report.h"
#include "medseg/atomic_file.h"
#include "medseg/io.h"
#include "medseg/log.h"
#include "medseg/sr.h"

static const char *out_dir, *series_opt, *patient_opt, *lung_model, *fp_model, *uid_opt;
static double min_diameter = 3.0, threshold = 0.5;
static int max_nodules = 20, max_candidates = 300, no_sr, json_flag;
static batch_opts batch;

static const opt_spec detect_opts[] = {
    {"output", 'o', OPT_STR, "OUTDIR", "output directory (missing or empty): report.json, candidates.csv, lungs.nii.gz, nodules.nii.gz, report-sr.dcm", &out_dir},
    {"series", 0, OPT_STR, "UID", "the DICOM series to read when the folder holds several (default: the largest)", &series_opt},
    {"min-diameter", 0, OPT_DOUBLE, "MM", "report nodules of at least this mean diameter (default 3)", &min_diameter},
    {"max-nodules", 0, OPT_COUNT, "N", "report at most N nodules, most probable first (default 20)", &max_nodules},
    {"threshold", 0, OPT_DOUBLE, "P", "report candidates with probability >= P (default 0.5); candidates.csv keeps all", &threshold},
    {"max-candidates", 0, OPT_COUNT, "N", "candidates kept after non-maximum suppression (default 300)", &max_candidates},
    {"patient", 0, OPT_STR, "K=V,...", "age=62,sex=M|F,family-history=0|1,emphysema=0|1 for the Brock model (defaults flagged)", &patient_opt},
    {"seriesuid", 0, OPT_STR, "UID", "series name in candidates.csv for NIfTI input (default: the file name without extension)", &uid_opt},
    {"lung-model", 0, OPT_STR, "M.pt", "a TorchScript segment-3d model with its card M.json replaces the classical lung mask", &lung_model},
    {"fp-model", 0, OPT_STR, "M.pt", "a TorchScript patch-classifier with its card M.json gives each candidate's probability", &fp_model},
    {"no-sr", 0, OPT_FLAG, NULL, "do not write the DICOM Structured Report", &no_sr},
    {"json", 0, OPT_FLAG, NULL, "also print report.json on stdout", &json_flag},
    BATCH_OPT_SPECS(batch),
    {0},
};

const cmd_spec detect_nodules_spec = {"detect-nodules", "INPUT -o OUTDIR [options]  |  --out-dir DIR [--list FILE] [INPUT...]",
                                      "Find lung nodules in a chest CT: lungs, nodules, measurements, Brock, Lung-RADS, report and SR.",
                                      detect_opts, 0, 1 << 20};

static ms_status check_options(ms_detect_opts *o)
{
    if (!out_dir) return ms_fail(MS_ERR_USAGE, "-o OUTDIR is required");
    if (!(min_diameter >= 0 && min_diameter <= 100)) return ms_fail(MS_ERR_USAGE, "--min-diameter must be 0..100 mm");
    if (!(threshold >= 0 && threshold <= 1)) return ms_fail(MS_ERR_USAGE, "--threshold must be 0..1");
    if (max_nodules < 0 || max_nodules > 1000) return ms_fail(MS_ERR_USAGE, "--max-nodules must be 0..1000");
    if (max_candidates < 1 || max_candidates > 5000) return ms_fail(MS_ERR_USAGE, "--max-candidates must be 1..5000");
    if (uid_opt && (!uid_opt[0] || strlen(uid_opt) > 200 || strpbrk(uid_opt, ",\"\n\r")))
        return ms_fail(MS_ERR_USAGE, "--seriesuid must be 1..200 characters without commas, quotes or newlines");
    ms_detect_defaults(o);
    o->min_diameter_mm = min_diameter, o->threshold = threshold;
    o->max_nodules = max_nodules, o->max_candidates = max_candidates;
    char err[200];
    if (patient_opt && !ms_patient_parse(patient_opt, &o->patient, err, sizeof err)) return ms_fail(MS_ERR_USAGE, "%s", err);
    return ms_device_resolve(g_common.device, &o->device);
}

/* Series facts that make a detection less reliable go into the report. */
static void series_warnings(const ms_volume *ct, const ms_dicom_info *d, int is_dicom, ms_detect_result *r)
{
    char w[4][160];
    int n = 0;
    double thick = is_dicom && d->slice_thickness > 0 ? d->slice_thickness : ct->spacing[2];
    if (thick > 2.5)
        snprintf(w[n++], sizeof w[0], "slice thickness %.2f mm is above 2.5 mm: small nodules may be missed and "
                 "sizes are less exact (Lung-RADS asks for <= 2.5 mm)", thick);
    if (is_dicom && d->uneven)
        snprintf(w[n++], sizeof w[0], "uneven slice gaps %.2f-%.2f mm (missing slices?): resampled to %.2f mm", d->min_gap,
                 d->max_gap, d->slice_step);
    if (is_dicom && d->tilted) snprintf(w[n++], sizeof w[0], "gantry tilt %.2f degrees", d->tilt_deg);
    if (is_dicom && strcmp(d->modality, "CT")) snprintf(w[n++], sizeof w[0], "modality is %s, not CT", d->modality);
    for (int i = 0; i < n && r->n_warnings < MS_DETECT_MAX_WARNINGS; i++)
        snprintf(r->warnings[r->n_warnings++], sizeof r->warnings[0], "%s", w[i]);
}

static void name_of(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b && b[1] ? b + 1 : path;
    snprintf(out, n, "%s", b);
    for (const char *ext = ".nii.gz"; ext; ext = strcmp(ext, ".nii") ? ".nii" : NULL) {
        size_t l = strlen(out), e = strlen(ext);
        if (l > e && !strcmp(out + l - e, ext)) out[l - e] = 0;
    }
    for (char *c = out; *c; c++)   /* it becomes a CSV field */
        if (*c == ',' || *c == '"' || *c == '\n' || *c == '\r') *c = '_';
}

typedef struct {
    char series_uid[256], study_uid[MS_UID_MAX + 1];   /* series: a UID or a file name */
} uids;

/* NIfTI input has no UIDs: derive stable ones from the file name and grid,
 * so the same input gives the same report. */
static void make_uids(const char *in, const ms_volume *ct, const ms_dicom_info *d, int is_dicom, uids *u)
{
    if (is_dicom) {
        snprintf(u->series_uid, sizeof u->series_uid, "%s", d->series_uid);
        snprintf(u->study_uid, sizeof u->study_uid, "%s", d->study_uid);
        return;
    }
    char name[256], text[512];
    name_of(in, name, sizeof name);
    snprintf(text, sizeof text, "medseg-detect/%s/%lldx%lldx%lld/%.6g,%.6g,%.6g", name, (long long)ct->dim[0],
             (long long)ct->dim[1], (long long)ct->dim[2], ct->spacing[0], ct->spacing[1], ct->spacing[2]);
    ms_dicom_uid_from_text(text, u->study_uid);
    snprintf(u->series_uid, sizeof u->series_uid, "%s", uid_opt ? uid_opt : name);
}

static ms_status write_outputs(const char *dir, const detect_meta *m, const ms_detect_result *r, const ms_patient *p,
                               const uids *u)
{
    char path[4096];
    cJSON *rep = detect_report_json(m, r, p);
    char *txt = rep ? cJSON_Print(rep) : NULL;
    ms_status st = txt ? MS_OK : ms_fail(MS_ERR_NOMEM, "report: out of memory");
    if (!st) {
        snprintf(path, sizeof path, "%s/report.json", dir);
        ms_text_out o;
        if (!(st = ms_text_open(&o, path))) {
            fprintf(o.fp, "%s\n", txt);
            st = ms_text_close(&o, 1);
        }
    }
    if (!st) snprintf(path, sizeof path, "%s/candidates.csv", dir), st = write_candidates_csv(path, u->series_uid, r);
    if (!st) snprintf(path, sizeof path, "%s/lungs.nii.gz", dir), st = ms_nifti_write(path, &r->lungs, NULL);
    if (!st) snprintf(path, sizeof path, "%s/nodules.nii.gz", dir), st = ms_nifti_write(path, &r->nodules, NULL);
    if (!st && !no_sr) {
        snprintf(path, sizeof path, "%s/report-sr.dcm", dir);
        ms_sr_report sr = {m->study_uid, m->is_dicom ? m->series_uid : NULL, m->is_dicom ? m->dicom->frame_uid : NULL,
                           m->is_dicom ? m->dicom->modality : "CT", r->cand, r->n_reported, r->exam.category};
        st = ms_sr_write(path, &sr);
    }
    if (!st && json_flag) printf("%s\n", txt);
    cJSON_free(txt);
    cJSON_Delete(rep);
    return st;
}

static ms_status run(const char *in)
{
    ms_detect_opts o;
    ms_status st = check_options(&o);
    if (!st) st = ms_check_output_dir(out_dir);
    if (st) return st;
    double t0 = ms_now();
    ms_volume ct;
    ms_dicom_info d;
    memset(&d, 0, sizeof d);
    int is_dicom = ms_detect_format(in) == MS_FMT_DICOM;
    /* Models first: a model that does not keep its card fails in a second. */
    if ((st = detect_model_stages(&o, lung_model, fp_model))) return st;
    /* The pipeline works on a 1 mm grid: ~24 bytes per mm^3 of the scan
     * (measured peak 1.3 GB for 512x512x300 at 0.7x0.7x1.25 mm). */
    ms_memory_set_input_cost(8, 24);
    if ((st = ms_read_volume(in, series_opt, &ct, &d))) {
        detect_model_free(&o);
        return st;
    }
    if (is_dicom && strcmp(d.modality, "CT") != 0) {
        detect_model_free(&o);
        ms_volume_free(&ct);
        return ms_fail(MS_ERR_INPUT, "%s: series %s is %s, not CT: detect-nodules reads chest CT", in, d.series_uid,
                       d.modality[0] ? d.modality : "of unknown modality");
    }
    ms_detect_result r;
    if ((st = ms_detect_nodules(&ct, &o, &r))) {
        detect_model_free(&o);
        ms_volume_free(&ct);
        return st;
    }
    series_warnings(&ct, &d, is_dicom, &r);
    uids u;
    make_uids(in, &ct, &d, is_dicom, &u);
    char method[600];
    snprintf(method, sizeof method, "lungs: %s; candidates: classical; probability: %s", lung_model ? lung_model : "classical",
             fp_model ? fp_model : "classical");
    detect_meta m = {in, is_dicom, &d, u.series_uid, u.study_uid, &ct, method, ms_now() - t0};
    ms_atomic at;
    if (!(st = ms_atomic_begin_dir(&at, out_dir))) {
        st = write_outputs(at.tmp_path, &m, &r, &o.patient, &u);
        if (st) ms_atomic_abort(&at);
        else st = ms_atomic_commit(&at);
    }
    if (!st) {
        ms_info("%s: lungs %.2f L (right %.0f ml, left %.0f ml), %d nodules reported of %d candidates, Lung-RADS %s, "
                "%.1f s", out_dir, (r.lung_ml[0] + r.lung_ml[1]) / 1000, r.lung_ml[0], r.lung_ml[1], r.n_reported,
                r.n_cand, r.exam.category, ms_now() - t0);
        for (int i = 0; i < r.n_warnings; i++) ms_warn("%s: %s", in, r.warnings[i]);
    }
    ms_detect_result_free(&r);
    detect_model_free(&o);
    ms_volume_free(&ct);
    return st;
}

/* Many inputs: DIR/NAME/ for each, as -o would be. */
static void folder_name(const char *input, const char *dir, char *out, size_t n)
{
    batch_volume_name(input, dir, "", out, n);
}

static int detect_one(void *ctx, const char *input, const char *output)
{
    (void)ctx;
    out_dir = output;
    return run(input);
}

int cmd_detect_nodules(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&detect_nodules_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    if (batch_requested(&batch)) {
        rc = out_dir ? opt_usage_error(&detect_nodules_spec, "-o is for one input; --out-dir DIR holds one folder an input")
                     : batch_run(&detect_nodules_spec, &batch, args, n, folder_name, detect_one, NULL);
        free(args);
        return rc;
    }
    if (n != 1) {
        free(args);
        return opt_usage_error(&detect_nodules_spec, "needs one INPUT (or --out-dir DIR for many)");
    }
    int st = run(args[0]);
    free(args);
    return report_status(st);
}
