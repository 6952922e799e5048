/* medseg propagate: grow a slice segmentation through the volume. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "seg_batch.h"
#include "medseg/memory.h"
#include "seg_cli.h"
#include "medseg/io.h"
#include "medseg/log.h"

static const char *output, *mask_path, *box, *points_path, *range, *axis_name = "axial", *model, *window, *json_path,
                  *on_error;
static int slice = -1, no_lcc;
static opt_list key_points;

static const char *prompts_csv;
static batch_opts batch;

static const opt_spec propagate_opts[] = {
    {"prompts-csv", 0, OPT_STR, "FILE.csv", "many prompts: rows id,image,slice,box, one output DIR/ID.nii.gz each (with --out-dir)", &prompts_csv},
    {"output", 'o', OPT_STR, "OUT", "the label map: 1 found by every pass over the slice, 2 by only one, 0 background", &output},
    {"mask", 0, OPT_STR, "KEYMASK", "key mask: every slice holding nonzero voxels is a key slice", &mask_path},
    {"slice", 0, OPT_COUNT, "K", "key slice to segment first with --box / --point", &slice},
    {"box", 0, OPT_STR, "X1,Y1,X2,Y2", "box on the key slice, voxel indices, inclusive", &box},
    {"point", 0, OPT_LIST, "X,Y[,1|0]", "a point on the key slice; repeatable", &key_points},
    {"points", 0, OPT_STR, "FILE.json", "3-D points {\"points\": [[x,y,z],...], \"space\": \"voxel\"|\"lps\"}", &points_path},
    {"axis", 0, OPT_STR, "axial|coronal|sagittal", "direction of propagation: across this slice orientation (default axial)", &axis_name},
    {"range", 0, OPT_STR, "A:B", "stay within slices A..B (inclusive; either side may be left empty)", &range},
    {"model", 0, OPT_STR, "M.pt", "a TorchScript segment-2d model with its card M.json (default: graph cut)", &model},
    {"window", 0, OPT_STR, "C,W", "intensity window centre,width (clamps for graph cut; replaces the card's)", &window},
    {"no-lcc", 0, OPT_FLAG, NULL, "keep every component instead of the largest 26-connected one", &no_lcc},
    {"json", 0, OPT_STR, "OUT.json", "write a report (voxels, volume, slice range, timings) to OUT.json, - for stdout", &json_path},
    {"on-error", 0, OPT_STR, "fail|blank", "on bad input: exit 3 (fail, default) or write an empty mask and a report", &on_error},
    BATCH_OUT_SPECS(batch),
    {0},
};

const cmd_spec propagate_spec = {"propagate", "IMAGE -o OUT (--mask KEYMASK | --slice K --box ... | --points FILE.json) [options]  |  --prompts-csv FILE.csv --out-dir DIR [options]",
                                 "Grow a slice segmentation through the volume, forward and backward; intersect; keep the largest component.",
                                 propagate_opts, 0, 1};

static int parse_range(int64_t *lo, int64_t *hi)
{
    *lo = *hi = -1;
    if (!range) return 1;
    const char *colon = strchr(range, ':');
    if (!colon) return 0;
    char *end;
    if (colon > range) {
        *lo = strtoll(range, &end, 10);
        if (end != colon || *lo < 0) return 0;
    }
    if (colon[1]) {
        *hi = strtoll(colon + 1, &end, 10);
        if (*end || *hi < 0) return 0;
    }
    return *hi < 0 || *lo <= *hi;
}

/* --slice/--box/--point: segment the key slice into a key volume. */
static ms_status key_from_prompt(const ms_volume *img, ms_axis a, const seg_method *m, ms_volume *keys)
{
    ms_prompt p;
    memset(&p, 0, sizeof p);
    ms_status rc = seg_parse_prompt(box, &key_points, &p);
    ms_slice s = {0};
    if (!rc) rc = seg_slice(m, img, a, slice, &s);
    if (!rc) rc = ms_prompt_check(&p, s.w, s.h, "key slice");
    uint8_t *mask = NULL;
    if (!rc) rc = ms_alloc_array((void **)&mask, (size_t)(s.w * s.h), 1, 0, "mask");
    if (!rc) rc = m->fn(m->ctx, &s, &p, NULL, mask);
    if (!rc && ms_mask2d_count(mask, s.w, s.h) == 0)
        rc = ms_fail(MS_ERR_INPUT, "nothing was found in the prompt on key slice %d", slice);
    if (!rc) rc = ms_volume_like(keys, img, MS_U8);
    if (!rc) ms_slice_put(keys, a, slice, mask, 1);
    free(mask);
    ms_slice_free(&s);
    return rc;
}

static ms_status make_keys(const ms_volume *img, ms_axis a, const seg_method *m, ms_volume *keys, int64_t *lo,
                           int64_t *hi)
{
    if (mask_path) {
        ms_status rc = ms_read_volume(mask_path, NULL, keys, NULL);
        if (!rc && (rc = ms_label_map_check(keys, mask_path))) ms_volume_free(keys);
        return rc;
    }
    if (slice >= 0) return key_from_prompt(img, a, m, keys);
    ms_points3 pts;
    ms_status rc = ms_points3_read(points_path, img, &pts);
    if (rc) return rc;
    int64_t plo, phi;
    rc = ms_points_to_keys(img, &pts, a, m->fn, m->ctx, keys, &plo, &phi);
    ms_points3_free(&pts);
    /* The outermost points are hard limits, inside any --range. */
    if (!rc && (*lo < 0 || plo > *lo)) *lo = plo;
    if (!rc && (*hi < 0 || phi < *hi)) *hi = phi;
    return rc;
}

/* Each pass: where it started, which way, how far it found the structure
 * and why it stopped. */
static void add_passes(cJSON *o, const ms_propagate_stats *st)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "passes");
    for (int i = 0; i < st->npasses; i++) {
        const ms_propagate_pass *p = &st->passes[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "key_slice", (double)p->key);
        cJSON_AddStringToObject(e, "direction", p->dir > 0 ? "up" : "down");
        cJSON_AddNumberToObject(e, "last_slice", (double)p->last);
        cJSON_AddNumberToObject(e, "stop_slice", (double)p->stop);
        cJSON_AddStringToObject(e, "stop_reason", p->stop_reason ? p->stop_reason : "none");
        cJSON_AddItemToArray(arr, e);
    }
}

/* The result's area on every slice from the first to the last it holds. */
static void add_slices(cJSON *o, const ms_volume *out, ms_axis a, const ms_propagate_stats *st)
{
    int xa, ya, za;
    ms_axis_map(a, &xa, &ya, &za);
    double px = out->spacing[xa] * out->spacing[ya];
    cJSON *arr = cJSON_AddArrayToObject(o, "slices");
    for (int64_t k = st->first; k >= 0 && k <= st->last; k++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "slice", (double)k);
        cJSON_AddNumberToObject(e, "voxels", (double)st->area[k]);
        cJSON_AddNumberToObject(e, "area_mm2", (double)st->area[k] * px);
        cJSON_AddItemToArray(arr, e);
    }
}

static cJSON *report(const char *in, const ms_volume *out, ms_axis a, const ms_propagate_stats *st)
{
    double ml = out->spacing[0] * out->spacing[1] * out->spacing[2] / 1000.0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "command", "propagate");
    cJSON_AddStringToObject(o, "input", in);
    cJSON_AddStringToObject(o, "output", output);
    cJSON_AddStringToObject(o, "method", model ? "model" : "graphcut");
    cJSON_AddStringToObject(o, "axis", ms_axis_name(a));
    cJSON_AddNumberToObject(o, "key_slices", st->nkeys);
    cJSON_AddNumberToObject(o, "voxels", (double)st->voxels);
    cJSON_AddNumberToObject(o, "volume_ml", (double)st->voxels * ml);
    cJSON_AddNumberToObject(o, "voxels_both", (double)st->both);
    cJSON_AddNumberToObject(o, "voxels_single", (double)st->single);
    cJSON *r = cJSON_AddArrayToObject(o, "slice_range");
    cJSON_AddItemToArray(r, cJSON_CreateNumber((double)st->first));
    cJSON_AddItemToArray(r, cJSON_CreateNumber((double)st->last));
    cJSON_AddBoolToObject(o, "largest_component", !no_lcc);
    cJSON_AddNumberToObject(o, "seconds", st->seconds);
    add_passes(o, st);
    add_slices(o, out, a, st);
    return o;
}

static ms_status propagate_image(const char *in, const ms_volume *img, ms_axis a, const seg_method *m, ms_device dev)
{
    ms_memory_set_input_cost(12, 0);   /* key volume, output, largest component */
    ms_propagate_opts o = {a, -1, -1, !no_lcc, dev, m->fn, m->ctx};
    if (!parse_range(&o.lo, &o.hi)) return ms_fail(MS_ERR_USAGE, "--range expects A:B with A <= B, not '%s'", range);
    ms_volume keys = {0}, out = {0};
    ms_propagate_stats st = {0};
    ms_status rc = make_keys(img, a, m, &keys, &o.lo, &o.hi);
    if (!rc) rc = ms_propagate(img, &keys, &o, &out, &st);
    ms_nifti_write_opts wo = {0, 0};
    if (!rc) rc = ms_nifti_write(output, &out, &wo);
    if (!rc) {
        ms_info("%s: %lld voxels (%lld by every pass, %lld by one), slices %lld..%lld, %.2f s", output,
                (long long)st.voxels, (long long)st.both, (long long)st.single, (long long)st.first,
                (long long)st.last, st.seconds);
        if (json_path) {
            cJSON *j = report(in, &out, a, &st);
            rc = seg_write_json(json_path, j);
            cJSON_Delete(j);
        }
    }
    ms_propagate_stats_free(&st);
    ms_volume_free(&keys);
    ms_volume_free(&out);
    return rc;
}

static ms_status check_usage(ms_axis *a)
{
    if (!output) return ms_fail(MS_ERR_USAGE, "-o OUT is required");
    if (!ms_axis_parse(axis_name, a)) return ms_fail(MS_ERR_USAGE, "--axis must be axial, coronal or sagittal");
    int given = (mask_path != NULL) + (slice >= 0) + (points_path != NULL);
    if (given != 1) return ms_fail(MS_ERR_USAGE, "give exactly one of --mask, --slice (with --box/--point) or --points");
    if (slice >= 0 && !box && key_points.n == 0) return ms_fail(MS_ERR_USAGE, "--slice needs --box or --point");
    if (slice < 0 && (box || key_points.n)) return ms_fail(MS_ERR_USAGE, "--box and --point need --slice");
    return MS_OK;
}

static ms_status propagate_step(void *ctx, const char *in, const ms_volume *img, const seg_method *m, ms_device dev)
{
    return propagate_image(in, img, *(const ms_axis *)ctx, m, dev);
}

static ms_status run(const char *in, int blank)
{
    ms_axis a;
    ms_status rc = check_usage(&a);
    if (rc) return rc;
    seg_run_opts o = {"propagate", model, window, output, json_path, blank};
    return seg_run(in, &o, propagate_step, &a);
}

/* One prompts CSV row (in its own process): the key slice and box. */
static int run_row(const char *image, int k, const char *row_box, const char *out)
{
    slice = k, box = row_box, output = out;
    int blank = seg_on_error_mode(on_error);
    return run(image, blank > 0);
}

int cmd_propagate(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&propagate_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    int blank = seg_on_error_mode(on_error);
    if (blank < 0) {
        free(args);
        return opt_usage_error(&propagate_spec, "--on-error must be fail or blank");
    }
    rc = seg_batch_dispatch(&propagate_spec, &batch, prompts_csv, n, run_row);
    if (rc >= 0) {
        free(args);
        return rc;
    }
    rc = run(args[0], blank);
    free(args);
    return report_status(rc);
}
