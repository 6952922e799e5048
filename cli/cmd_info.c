/* medseg info: what a volume is, in words or JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "medseg/io.h"

static const char *series_opt;
static int json_flag;

static const opt_spec info_opts[] = {
    {"json", 0, OPT_FLAG, NULL, "print a JSON object on stdout instead of text", &json_flag},
    {"series", 0, OPT_STR, "UID", "DICOM: read this SeriesInstanceUID (default: the series with most images)", &series_opt},
    {0},
};

const cmd_spec info_spec = {"info", "[options] PATH",
                            "Describe a volume: dims, spacing, dtype, LPS affine, orientation, value range (NIfTI or DICOM).",
                            info_opts, 1, 1};

static cJSON *number_array(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *dicom_json(const ms_dicom_info *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "modality", d->modality);
    cJSON_AddStringToObject(o, "manufacturer", d->manufacturer);
    cJSON_AddStringToObject(o, "transfer_syntax", d->transfer_syntax);
    cJSON_AddNumberToObject(o, "files", d->n_files);
    cJSON_AddNumberToObject(o, "non_dicom_files", d->n_non_dicom);
    cJSON_AddNumberToObject(o, "unreadable_files", d->n_unreadable);
    if (d->n_unreadable) cJSON_AddStringToObject(o, "first_unreadable_file", d->first_unreadable);
    cJSON_AddNumberToObject(o, "n_series", d->n_series);
    cJSON *list = cJSON_AddArrayToObject(o, "series");
    for (int s = 0; s < d->n_series && s < MS_DICOM_MAX_SERIES_LISTED; s++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "uid", d->series[s].uid);
        cJSON_AddStringToObject(e, "modality", d->series[s].modality);
        cJSON_AddNumberToObject(e, "images", d->series[s].n_images);
        cJSON_AddItemToArray(list, e);
    }
    cJSON_AddStringToObject(o, "series_uid", d->series_uid);
    cJSON_AddNumberToObject(o, "slices", d->n_slices);
    cJSON_AddNumberToObject(o, "ignored_images", d->n_ignored);
    cJSON_AddNumberToObject(o, "slice_step_mm", d->slice_step);
    cJSON_AddNumberToObject(o, "min_gap_mm", d->min_gap);
    cJSON_AddNumberToObject(o, "max_gap_mm", d->max_gap);
    cJSON_AddBoolToObject(o, "uniform_spacing", !d->uneven);
    cJSON_AddBoolToObject(o, "resampled", d->resampled);
    cJSON_AddBoolToObject(o, "tilted", d->tilted);
    cJSON_AddNumberToObject(o, "tilt_deg", d->tilt_deg);
    cJSON *assumed = cJSON_AddArrayToObject(o, "assumed_geometry");
    const char *names[4] = {"position", "orientation", "pixel_spacing", "slice_step"};
    int flags[4] = {d->assumed_position, d->assumed_orientation, d->assumed_spacing, d->assumed_slice_step};
    for (int i = 0; i < 4; i++)
        if (flags[i]) cJSON_AddItemToArray(assumed, cJSON_CreateString(names[i]));
    if (isnan(d->gantry_tilt_tag)) cJSON_AddNullToObject(o, "gantry_tilt_tag_deg");
    else cJSON_AddNumberToObject(o, "gantry_tilt_tag_deg", d->gantry_tilt_tag);
    return o;
}

static void print_json(const char *path, const ms_volume *v, const ms_dicom_info *d, int is_dicom)
{
    cJSON *o = cJSON_CreateObject();
    double lo, hi, dims[3] = {(double)v->dim[0], (double)v->dim[1], (double)v->dim[2]};
    char code[4];
    ms_volume_minmax(v, &lo, &hi);
    ms_orientation_code(v->affine, code);
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddStringToObject(o, "format", is_dicom ? "dicom" : "nifti");
    cJSON_AddItemToObject(o, "dims", number_array(dims, 3));
    cJSON_AddItemToObject(o, "spacing", number_array(v->spacing, 3));
    cJSON_AddStringToObject(o, "dtype", ms_dtype_name(v->dtype));
    cJSON *aff = cJSON_AddArrayToObject(o, "affine_lps");
    for (int r = 0; r < 4; r++) cJSON_AddItemToArray(aff, number_array(v->affine[r], 4));
    cJSON_AddStringToObject(o, "orientation", code);
    cJSON_AddNumberToObject(o, "min", lo);
    cJSON_AddNumberToObject(o, "max", hi);
    cJSON_AddNumberToObject(o, "nonfinite", (double)v->nonfinite);
    if (is_dicom) cJSON_AddItemToObject(o, "dicom", dicom_json(d));
    char *s = cJSON_Print(o);
    puts(s);
    free(s);
    cJSON_Delete(o);
}

static void print_text(const char *path, const ms_volume *v, const ms_dicom_info *d, int is_dicom)
{
    double lo, hi;
    char code[4];
    ms_volume_minmax(v, &lo, &hi);
    ms_orientation_code(v->affine, code);
    printf("path         %s\n", path);
    printf("format       %s\n", is_dicom ? "DICOM" : "NIfTI");
    printf("dims         %lld x %lld x %lld\n", (long long)v->dim[0], (long long)v->dim[1], (long long)v->dim[2]);
    printf("spacing      %.6g x %.6g x %.6g mm\n", v->spacing[0], v->spacing[1], v->spacing[2]);
    printf("dtype        %s\n", ms_dtype_name(v->dtype));
    printf("orientation  %s\n", code);
    printf("range        %.6g .. %.6g\n", lo, hi);
    if (v->nonfinite) printf("non-finite   %lld voxels (NaN or infinite, kept; not in the range)\n", (long long)v->nonfinite);
    printf("affine (voxel -> LPS mm)\n");
    for (int r = 0; r < 3; r++)
        printf("  %12.6f %12.6f %12.6f %12.6f\n", v->affine[r][0], v->affine[r][1], v->affine[r][2], v->affine[r][3]);
    if (!is_dicom) return;
    printf("modality     %s\n", d->modality);
    printf("series       %s (%d of %d series, %d slices)\n", d->series_uid, 1, d->n_series, d->n_slices);
    printf("transfer     %s\n", d->transfer_syntax);
    printf("slice step   %.4g mm (gaps %.4g .. %.4g mm, %s%s)\n", d->slice_step, d->min_gap, d->max_gap,
           d->uneven ? "uneven" : "uniform", d->resampled ? ", resampled" : "");
    printf("tilt         %.3g deg%s\n", d->tilt_deg, d->tilted ? " (gantry tilt)" : "");
}

int cmd_info(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&info_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    ms_volume v;
    ms_dicom_info d;
    memset(&d, 0, sizeof d);
    ms_nifti_set_keep_nonfinite(1);
    int st = ms_read_volume(args[0], series_opt, &v, &d);
    if (st == MS_OK) {
        int is_dicom = ms_detect_format(args[0]) == MS_FMT_DICOM;
        if (json_flag) print_json(args[0], &v, &d, is_dicom);
        else print_text(args[0], &v, &d, is_dicom);
        ms_volume_free(&v);
    }
    free(args);
    return report_status(st);
}
