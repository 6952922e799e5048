/* medseg components: connected-component labelling with clean-ups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "medseg/memory.h"
#include "medseg/components.h"
#include "medseg/io.h"
#include "medseg/log.h"

static int connectivity = 26, largest, min_size, per_label, json_flag, nifti_version;
static const char *dtype_opt;

static const opt_spec components_opts[] = {
    {"connectivity", 0, OPT_INT, "6|18|26", "neighbours that join voxels: faces, +edges, +corners (default 26)", &connectivity},
    {"largest", 0, OPT_COUNT, "K", "keep the K largest components (per label with --per-label)", &largest},
    {"min-size", 0, OPT_COUNT, "N", "drop components smaller than N voxels", &min_size},
    {"per-label", 0, OPT_FLAG, NULL, "label each distinct nonzero value separately (never merges labels)", &per_label},
    {"json", 0, OPT_FLAG, NULL, "print counts, sizes and bounding boxes (voxels and LPS mm) as JSON on stdout", &json_flag},
    {"dtype", 0, OPT_STR, "auto|uint8|uint16|int32", "label type (default auto: the smallest that holds the count)", &dtype_opt},
    {"nifti-version", 0, OPT_INT, "1|2", "write NIfTI-1 or NIfTI-2 (default: as the input, else 1)", &nifti_version},
    {0},
};

const cmd_spec components_spec = {"components", "[options] IN OUT.nii[.gz]",
                                  "Label connected components (1..K in raster order, the smallest type that holds K); keep the largest or drop small ones.",
                                  components_opts, 2, 2};

static cJSON *int_triple(const int64_t v[3])
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < 3; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
    return a;
}

/* The LPS box of a voxel box: extremes over its eight corner centres. */
static cJSON *world_box(const ms_volume *v, const ms_component *c)
{
    double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
    for (int n = 0; n < 8; n++) {
        double ijk[3] = {(double)(n & 1 ? c->hi[0] : c->lo[0]), (double)(n & 2 ? c->hi[1] : c->lo[1]),
                         (double)(n & 4 ? c->hi[2] : c->lo[2])}, p[3];
        ms_voxel_to_world(v, ijk, p);
        for (int a = 0; a < 3; a++) {
            if (p[a] < lo[a]) lo[a] = p[a];
            if (p[a] > hi[a]) hi[a] = p[a];
        }
    }
    cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "min"), *b = cJSON_AddArrayToObject(o, "max");
    for (int i = 0; i < 3; i++) {
        cJSON_AddItemToArray(a, cJSON_CreateNumber(lo[i]));
        cJSON_AddItemToArray(b, cJSON_CreateNumber(hi[i]));
    }
    return o;
}

static void print_json(const char *in, const char *out, const ms_volume *lab, const ms_components *s)
{
    double voxel_ml = lab->spacing[0] * lab->spacing[1] * lab->spacing[2] / 1000.0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "input", in);
    cJSON_AddStringToObject(o, "output", out);
    cJSON_AddNumberToObject(o, "connectivity", connectivity);
    cJSON_AddBoolToObject(o, "per_label", per_label);
    cJSON_AddNumberToObject(o, "count", (double)s->count);
    cJSON *list = cJSON_AddArrayToObject(o, "components");
    for (int64_t i = 0; i < s->count; i++) {
        const ms_component *c = &s->comp[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "label", (double)(i + 1));
        cJSON_AddNumberToObject(e, "value", (double)c->value);
        cJSON_AddNumberToObject(e, "voxels", (double)c->size);
        cJSON_AddNumberToObject(e, "volume_ml", (double)c->size * voxel_ml);
        cJSON *bv = cJSON_CreateObject();
        cJSON_AddItemToObject(bv, "min", int_triple(c->lo));
        cJSON_AddItemToObject(bv, "max", int_triple(c->hi));
        cJSON_AddItemToObject(e, "bbox_voxels", bv);
        cJSON_AddItemToObject(e, "bbox_lps_mm", world_box(lab, c));
        cJSON_AddItemToArray(list, e);
    }
    char *txt = cJSON_Print(o);
    puts(txt);
    free(txt);
    cJSON_Delete(o);
}

/* --dtype: MS_DTYPE_COUNT for auto. */
static ms_status parse_dtype(ms_dtype *want)
{
    *want = MS_DTYPE_COUNT;
    if (!dtype_opt || strcmp(dtype_opt, "auto") == 0) return MS_OK;
    if (!ms_dtype_parse(dtype_opt, want) || (*want != MS_U8 && *want != MS_U16 && *want != MS_I32))
        return ms_fail(MS_ERR_USAGE, "--dtype must be auto, uint8, uint16 or int32, not '%s'", dtype_opt);
    return MS_OK;
}

/* The output type: the one asked for, or the smallest that holds `count`. */
static ms_status label_type(int64_t count, ms_dtype want, ms_dtype *t)
{
    *t = want == MS_DTYPE_COUNT ? ms_labels_dtype(count) : want;
    int64_t cap = *t == MS_U8 ? UINT8_MAX : *t == MS_U16 ? UINT16_MAX : INT32_MAX;
    if (count > cap) return ms_fail(MS_ERR_INPUT, "%lld components do not fit --dtype %s", (long long)count, dtype_opt);
    return MS_OK;
}

static int run(const char *in, const char *out)
{
    if (connectivity != 6 && connectivity != 18 && connectivity != 26)
        return ms_fail(MS_ERR_USAGE, "--connectivity must be 6, 18 or 26");
    if (largest < 0 || min_size < 0) return ms_fail(MS_ERR_USAGE, "--largest and --min-size must not be negative");
    ms_dtype want;
    ms_status st = parse_dtype(&want);
    if (st) return st;
    /* Labels (int32), union-find parents and the output: measured ~6
     * bytes per voxel beyond the input, with room to spare. */
    ms_memory_set_input_cost(12, 0);
    ms_cc_opts o = {connectivity, per_label, MS_DEVICE_CPU};
    st = ms_device_resolve(g_common.device, &o.device);
    if (st) return st;
    ms_volume v, lab;
    ms_components s;
    if ((st = ms_read_volume(in, NULL, &v, NULL))) return st;
    if ((st = ms_label_map_check(&v, in))) {
        ms_volume_free(&v);
        return st;
    }
    double t0 = ms_now();
    st = ms_label_components(&v, &o, &lab, &s);
    ms_volume_free(&v);
    if (st) return st;
    int64_t found = s.count;
    if (largest || min_size) st = ms_components_filter(&lab, &s, largest, per_label, min_size);
    ms_debug("labelled on %s in %.3f s", ms_device_name(o.device), ms_now() - t0);
    ms_dtype t = MS_I32;
    if (!st) st = label_type(s.count, want, &t);
    if (!st) ms_labels_narrow(&lab, t);
    ms_nifti_write_opts wo = {nifti_version, 0};
    if (!st) st = ms_nifti_write(out, &lab, &wo);
    if (!st) {
        ms_info("%s: %lld components (%lld kept), %d-connected", out, (long long)found, (long long)s.count, connectivity);
        if (json_flag) print_json(in, out, &lab, &s);
    }
    ms_components_free(&s);
    ms_volume_free(&lab);
    return st;
}

int cmd_components(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&components_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    int st = run(args[0], args[1]);
    free(args);
    return report_status(st);
}
