/* medseg classify nodules: re-score the nodules of a detect-nodules report
 * (or a CSV of measurements) for a patient, optionally beside a
 * patch-classifier model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "commands.h"
#include "medseg/atomic_file.h"
#include "medseg/log.h"

static const char *output, *patient_opt, *image_opt, *model_opt;

static const opt_spec classify_opts[] = {
    {"output", 'o', OPT_STR, "OUT.json", "the re-scored report (default: stdout)", &output},
    {"patient", 0, OPT_STR, "K=V,...", "age=62,sex=M|F,family-history=0|1,emphysema=0|1 (defaults flagged)", &patient_opt},
    {"image", 0, OPT_STR, "CT", "the CT the report was made from (NIfTI or DICOM), for --model", &image_opt},
    {"model", 0, OPT_STR, "M.pt", "a TorchScript patch-classifier with its card M.json: its probability beside Brock's", &model_opt},
    {0},
};

const cmd_spec classify_spec = {"classify", "nodules REPORT.json|NODULES.csv [options]",
                                "Re-score nodules: Brock, Lung-RADS and Fleischner for a patient, and a patch-classifier model.",
                                classify_opts, 2, 2};

static ms_status write_doc(cJSON *doc)
{
    char *txt = cJSON_Print(doc);
    if (!txt) return ms_fail(MS_ERR_NOMEM, "classify: out of memory");
    ms_text_out o;
    ms_status st = ms_text_open(&o, output ? output : "-");
    if (!st) {
        fputs(txt, o.fp);
        fputc('\n', o.fp);
        st = ms_text_close(&o, 1);
    }
    free(txt);
    return st;
}

static ms_status run(const char *mode, const char *input)
{
    if (strcmp(mode, "nodules") != 0) return ms_fail(MS_ERR_USAGE, "classify takes nodules, not '%s'", mode);
    if (!model_opt != !image_opt) return ms_fail(MS_ERR_USAGE, "--model and --image go together");
    ms_patient p;
    ms_patient_defaults(&p);
    char err[200];
    if (patient_opt && !ms_patient_parse(patient_opt, &p, err, sizeof err)) return ms_fail(MS_ERR_USAGE, "%s", err);
    ms_device dev;
    ms_status st = ms_device_resolve(g_common.device, &dev);
    classify_set s;
    if (!st) st = classify_read(input, &s);
    if (!st && model_opt) st = classify_model(&s, image_opt, model_opt, dev);
    if (!st) {
        cJSON *doc = classify_answer(&s, input, &p);
        st = write_doc(doc);
        cJSON_Delete(doc);
        ms_info("classify: %d nodules re-scored%s", s.n, s.model_p ? " with the model" : "");
    }
    classify_free(&s);
    return st;
}

int cmd_classify(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&classify_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    rc = run(args[0], args[1]);
    free(args);
    return report_status(rc);
}
