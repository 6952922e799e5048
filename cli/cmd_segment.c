/* medseg segment: one slice, a box and/or points, a mask. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "seg_batch.h"
#include "seg_cli.h"
#include "medseg/io.h"
#include "medseg/log.h"

static const char *output, *axis_name = "axial", *box, *prompts, *model, *window, *json_path, *on_error;
static int slice = -1, label = 1;
static opt_list points;

static const char *prompts_csv;
static batch_opts batch;

static const opt_spec segment_opts[] = {
    {"prompts-csv", 0, OPT_STR, "FILE.csv", "many prompts: rows id,image,slice,box, one output DIR/ID.nii.gz each (with --out-dir)", &prompts_csv},
    {"output", 'o', OPT_STR, "MASK", "the mask (.nii or .nii.gz): the input's geometry, the mask on the slice only", &output},
    {"slice", 0, OPT_COUNT, "K", "slice index along --axis (default: the prompt file's, else the middle slice)", &slice},
    {"axis", 0, OPT_STR, "axial|coronal|sagittal", "slice orientation (default axial: X = i, Y = j)", &axis_name},
    {"box", 0, OPT_STR, "X1,Y1,X2,Y2", "box in voxel indices of the slice, inclusive", &box},
    {"point", 0, OPT_LIST, "X,Y[,1|0]", "a point, 1 foreground (default) or 0 background; repeatable", &points},
    {"prompts", 0, OPT_STR, "FILE.json", "prompts from a file: {\"box\": [...], \"points\": [[x,y,l],...], \"slice\": K}", &prompts},
    {"model", 0, OPT_STR, "M.pt", "a TorchScript segment-2d model with its card M.json (default: graph cut)", &model},
    {"window", 0, OPT_STR, "C,W", "intensity window centre,width (clamps for graph cut; replaces the card's)", &window},
    {"label", 0, OPT_INT, "V", "value written for the mask (1..255, default 1)", &label},
    {"json", 0, OPT_STR, "OUT.json", "write a report (pixels, area, box, timing) to OUT.json, - for stdout", &json_path},
    {"on-error", 0, OPT_STR, "fail|blank", "on bad input: exit 3 (fail, default) or write an empty mask and a report", &on_error},
    BATCH_OUT_SPECS(batch),
    {0},
};

const cmd_spec segment_spec = {"segment", "IMAGE -o MASK [options]  |  --prompts-csv FILE.csv --out-dir DIR [options]",
                               "Segment one slice of a CT/MR volume from a box and/or points (graph cut or a model).",
                               segment_opts, 0, 1};

static cJSON *report(const char *in, ms_axis a, int64_t k, const ms_prompt *p, const ms_slice *s, int64_t pixels,
                     double secs)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "command", "segment");
    cJSON_AddStringToObject(o, "input", in);
    cJSON_AddStringToObject(o, "output", output);
    cJSON_AddStringToObject(o, "method", model ? "model" : "graphcut");
    if (model) cJSON_AddStringToObject(o, "model", model);
    cJSON_AddStringToObject(o, "axis", ms_axis_name(a));
    cJSON_AddNumberToObject(o, "slice", (double)k);
    int64_t b[4];
    ms_prompt_region(p, s->w, s->h, b);
    cJSON *bx = cJSON_AddArrayToObject(o, "box");
    for (int i = 0; i < 4; i++) cJSON_AddItemToArray(bx, cJSON_CreateNumber((double)b[i]));
    cJSON *pts = cJSON_AddArrayToObject(o, "points");
    for (int i = 0; i < p->npoints; i++) {
        cJSON *q = cJSON_CreateArray();
        cJSON_AddItemToArray(q, cJSON_CreateNumber((double)p->points[i].x));
        cJSON_AddItemToArray(q, cJSON_CreateNumber((double)p->points[i].y));
        cJSON_AddItemToArray(q, cJSON_CreateNumber(p->points[i].fg));
        cJSON_AddItemToArray(pts, q);
    }
    cJSON_AddNumberToObject(o, "voxels", (double)pixels);
    cJSON_AddNumberToObject(o, "area_mm2", (double)pixels * s->sx * s->sy);
    cJSON_AddNumberToObject(o, "seconds", secs);
    return o;
}

/* Everything after the image is read: errors here may become a blank. */
static ms_status segment_image(const char *in, const ms_volume *img, ms_axis a, const seg_method *m)
{
    ms_prompt p;
    memset(&p, 0, sizeof p);
    int64_t k = slice;
    ms_status rc = seg_parse_prompt(box, &points, &p);
    if (!rc && prompts) rc = ms_prompt_read(prompts, &p, &k, &a);
    int xa, ya, za;
    ms_axis_map(a, &xa, &ya, &za);
    if (k < 0) k = img->dim[za] / 2;
    ms_slice s = {0};
    if (!rc) rc = seg_slice(m, img, a, k, &s);
    if (!rc) rc = ms_prompt_check(&p, s.w, s.h, in);
    uint8_t *mask = NULL;
    if (!rc) rc = ms_alloc_array((void **)&mask, (size_t)(s.w * s.h), 1, 0, "mask");
    double t0 = ms_now();
    if (!rc) rc = m->fn(m->ctx, &s, &p, NULL, mask);
    ms_volume out = {0};
    if (!rc) rc = ms_volume_like(&out, img, MS_U8);
    if (!rc) {
        ms_slice_put(&out, a, k, mask, (uint8_t)label);
        ms_nifti_write_opts wo = {0, 0};
        rc = ms_nifti_write(output, &out, &wo);
    }
    if (!rc) {
        int64_t n = ms_mask2d_count(mask, s.w, s.h);
        ms_info("%s: %lld pixels (%.1f mm2) on %s slice %lld", output, (long long)n, (double)n * s.sx * s.sy,
                ms_axis_name(a), (long long)k);
        if (json_path) {
            cJSON *o = report(in, a, k, &p, &s, n, ms_now() - t0);
            rc = seg_write_json(json_path, o);
            cJSON_Delete(o);
        }
    }
    ms_volume_free(&out);
    free(mask);
    ms_slice_free(&s);
    return rc;
}

static ms_status segment_step(void *ctx, const char *in, const ms_volume *img, const seg_method *m, ms_device dev)
{
    (void)dev;
    return segment_image(in, img, *(const ms_axis *)ctx, m);
}

static ms_status run(const char *in, int blank)
{
    ms_axis a;
    if (!output) return ms_fail(MS_ERR_USAGE, "-o MASK is required");
    if (!ms_axis_parse(axis_name, &a)) return ms_fail(MS_ERR_USAGE, "--axis must be axial, coronal or sagittal");
    if (label < 1 || label > 255) return ms_fail(MS_ERR_USAGE, "--label must be 1..255");
    seg_run_opts o = {"segment", model, window, output, json_path, blank};
    return seg_run(in, &o, segment_step, &a);
}

/* One prompts CSV row (in its own process): the key slice and box. */
static int run_row(const char *image, int k, const char *row_box, const char *out)
{
    slice = k, box = row_box, output = out;
    int blank = seg_on_error_mode(on_error);
    return run(image, blank > 0);
}

int cmd_segment(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&segment_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    int blank = seg_on_error_mode(on_error);
    if (blank < 0) {
        free(args);
        return opt_usage_error(&segment_spec, "--on-error must be fail or blank");
    }
    rc = seg_batch_dispatch(&segment_spec, &batch, prompts_csv, n, run_row);
    if (rc >= 0) {
        free(args);
        return rc;
    }
    rc = run(args[0], blank);
    free(args);
    return report_status(rc);
}
