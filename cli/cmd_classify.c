/* medseg classify: `nodules` re-scores the nodules of a detect-nodules
 * report (or a CSV of measurements) for a patient, optionally beside a
 * patch-classifier model; `image` runs an image-classifier over images. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "commands.h"
#include "medseg/atomic_file.h"
#include "medseg/log.h"

static const char *output, *patient_opt, *image_opt, *model_opt, *csv_opt;
static int top_opt, json_flag, slice_opt = -1;

static const opt_spec classify_opts[] = {
    {"output", 'o', OPT_STR, "OUT.json", "the re-scored report (default: stdout)", &output},
    {"patient", 0, OPT_STR, "K=V,...", "age=62,sex=M|F,family-history=0|1,emphysema=0|1 (defaults flagged)", &patient_opt},
    {"image", 0, OPT_STR, "CT", "the CT the report was made from (NIfTI or DICOM), for --model", &image_opt},
    {"model", 0, OPT_STR, "M.pt", "nodules: a patch-classifier (with --image); image: an image-classifier; card M.json beside it", &model_opt},
    {"top", 0, OPT_COUNT, "K", "image: report the K most probable labels (default: all)", &top_opt},
    {"json", 0, OPT_FLAG, NULL, "image: print JSON on stdout (an object, or a list for several images)", &json_flag},
    {"csv", 0, OPT_STR, "OUT.csv", "image: also write image,label,probability rows (- for stdout)", &csv_opt},
    {"slice", 0, OPT_COUNT, "K", "image: the axial slice of a NIfTI volume (default: the middle one)", &slice_opt},
    {0},
};

const cmd_spec classify_spec = {"classify", "nodules REPORT.json|NODULES.csv [options] | image IMAGE... --model M.pt [options]",
                                "Re-score nodules (Brock, Lung-RADS, Fleischner, a patch model) or classify images with a model.",
                                classify_opts, 2, -1};

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

static ms_status run(const char *input)
{
    if (!model_opt != !image_opt) return ms_fail(MS_ERR_USAGE, "--model and --image go together");
    if (top_opt || json_flag || csv_opt || slice_opt >= 0)
        return ms_fail(MS_ERR_USAGE, "--top, --json, --csv and --slice belong to classify image");
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

static int run_images(char **paths, int n)
{
    if (!model_opt) return opt_usage_error(&classify_spec, "classify image needs --model M.pt (an image-classifier)");
    if (patient_opt || image_opt || output)
        return opt_usage_error(&classify_spec, "--patient, --image and -o belong to classify nodules");
    ms_device dev;
    ms_status st = ms_device_resolve(g_common.device, &dev);
    if (st) return report_status(st);
    classify_image_opts o = {model_opt, top_opt, json_flag, csv_opt, slice_opt};
    return classify_images(paths, n, &o, dev);
}

int cmd_classify(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&classify_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    if (!strcmp(args[0], "image")) {
        rc = run_images(args + 1, n - 1);
    } else if (!strcmp(args[0], "nodules") && n == 2) {
        rc = report_status(run(args[1]));
    } else {
        rc = opt_usage_error(&classify_spec, strcmp(args[0], "nodules") ? "classify takes nodules or image, not '%s'"
                                                                        : "classify nodules takes one report", args[0]);
    }
    free(args);
    return rc;
}
