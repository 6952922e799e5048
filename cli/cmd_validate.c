/* medseg validate seg|detect|classify: evaluation with reference metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "validate.h"

static validate_opts vo = {.bootstrap = 1000, .seed = 1, .max_marks = 100, .threshold = 0.5};

static const opt_spec validate_opts_spec[] = {
    {"pred", 0, OPT_STR, "FILE", "prediction: label map (seg), candidates CSV (detect), scores CSV (classify)", &vo.pred},
    {"ref", 0, OPT_STR, "FILE", "reference: label map (seg), annotations CSV (detect), labels CSV (classify)", &vo.ref},
    {"labels", 0, OPT_STR, "L1,L2,...", "seg: labels to score (default: every nonzero value in either map)", &vo.labels},
    {"exclude", 0, OPT_STR, "EXCLUDED.csv", "detect: findings whose marks are ignored (LUNA16 irrelevant findings)", &vo.exclude},
    {"scans", 0, OPT_STR, "LIST.txt", "detect: the scans evaluated, one seriesuid per line (default: those named)", &vo.scans},
    {"max-marks", 0, OPT_COUNT, "N", "detect: candidates kept per scan, most probable first (default 100; 0: all)", &vo.max_marks},
    {"bootstrap", 0, OPT_COUNT, "N", "detect, classify: bootstrap resamples for intervals and bands (default 1000; 0: none)", &vo.bootstrap},
    {"seed", 0, OPT_INT, "S", "bootstrap seed (default 1); the same seed gives the same intervals", &vo.seed},
    {"threshold", 0, OPT_DOUBLE, "T", "classify: scores >= T are called positive (default 0.5)", &vo.threshold},
    {"plot", 0, OPT_STR, "FILE.svg", "detect: FROC plot; classify: ROC plot (standalone SVG)", &vo.plot},
    {"csv", 0, OPT_STR, "OUT.csv", "also write the table as CSV (- for stdout)", &vo.csv},
    {"shard", 0, OPT_STR, "I/N|slurm", "seg over folders: only the cases whose name hashes to shard I of N", &vo.shard},
    {"json", 0, OPT_FLAG, NULL, "print the results as JSON on stdout instead of a table", &vo.json},
    {0},
};

const cmd_spec validate_spec = {"validate", "seg|detect|classify --pred P --ref R [options]",
                                "Score segmentations (Dice, HD95, ASSD), detections (LUNA16 FROC/CPM) or classifiers (ROC/AUC).",
                                validate_opts_spec, 1, 1};

/* Options that belong to other modes are usage errors, not silently ignored. */
static int foreign_option(const char *mode)
{
    int seg = strcmp(mode, "seg") == 0, det = strcmp(mode, "detect") == 0, cls = strcmp(mode, "classify") == 0;
    if (vo.labels && !seg) return opt_usage_error(&validate_spec, "--labels is for validate seg");
    if ((vo.exclude || vo.scans) && !det) return opt_usage_error(&validate_spec, "--exclude and --scans are for validate detect");
    if (vo.plot && seg) return opt_usage_error(&validate_spec, "--plot is for validate detect and classify");
    if (vo.shard && !seg) return opt_usage_error(&validate_spec, "--shard is for validate seg over folders");
    (void)cls;
    return 0;
}

int cmd_validate(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&validate_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    const char *mode = args[0];
    ms_status st;
    if (strcmp(mode, "seg") && strcmp(mode, "detect") && strcmp(mode, "classify"))
        rc = opt_usage_error(&validate_spec, "unknown mode '%s' (seg, detect or classify)", mode);
    else if (!vo.pred || !vo.ref)
        rc = opt_usage_error(&validate_spec, "--pred and --ref are required");
    else if (vo.bootstrap < 0 || vo.bootstrap == 1 || vo.max_marks < 0)
        rc = opt_usage_error(&validate_spec, "--bootstrap must be 0 or at least 2, --max-marks 0 or more");
    else
        rc = foreign_option(mode);
    if (rc) {
        free(args);
        return rc;
    }
    if (strcmp(mode, "seg") == 0) st = validate_seg(&vo);
    else if (strcmp(mode, "detect") == 0) st = validate_detect(&vo);
    else st = validate_classify(&vo);
    free(args);
    return report_status(st);
}

void validate_print_json(cJSON *doc)
{
    char *txt = cJSON_Print(doc);
    if (txt) puts(txt);
    free(txt);
}

static const char *format(double v, char buf[32], const char *fmt)
{
    if (v != v) return "nan";
    if (v > 1e308) return "inf";
    if (v < -1e308) return "-inf";
    snprintf(buf, 32, fmt, v);
    return buf;
}

const char *validate_num(double v, char buf[32]) { return format(v, buf, "%.10g"); }

const char *validate_short(double v, char buf[32]) { return format(v, buf, "%.4f"); }
