/* medseg convert: DICOM -> NIfTI, NIfTI <-> NIfTI, dtype casts and
 * resampling onto a new grid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "commands.h"
#include "medseg/io.h"
#include "medseg/log.h"
#include "medseg/resample.h"

static const char *series_opt, *dtype_opt, *spacing_opt, *shape_opt, *like_opt, *interp_opt;
static int nifti_version, gz_level, labels_flag;
static double fill_opt = NAN;
static batch_opts batch;

static const opt_spec convert_opts[] = {
    {"series", 0, OPT_STR, "UID", "DICOM: read this SeriesInstanceUID (default: the series with most images)", &series_opt},
    {"dtype", 0, OPT_STR, "T", "cast to uint8|int16|uint16|int32|float32|float64 (rounded, clamped, reported)", &dtype_opt},
    {"nifti-version", 0, OPT_INT, "1|2", "write NIfTI-1 or NIfTI-2 (default: as the input, else 1)", &nifti_version},
    {"gz-level", 0, OPT_INT, "0-12", "compression level for .nii.gz output, 1 fastest (default 0: 1)", &gz_level},
    {"spacing", 0, OPT_STR, "SX,SY,SZ", "resample to this voxel spacing in mm, keeping orientation and extent", &spacing_opt},
    {"shape", 0, OPT_STR, "NX,NY,NZ", "resample to these dims, keeping orientation and extent", &shape_opt},
    {"like", 0, OPT_STR, "REF", "resample onto the grid (dims and affine) of volume REF", &like_opt},
    {"interp", 0, OPT_STR, "METHOD", "nearest|linear|cubic (default linear; nearest with --labels)", &interp_opt},
    {"labels", 0, OPT_FLAG, NULL, "input is a label map: nearest, or linear = label-aware vote; fill 0", &labels_flag},
    {"fill", 0, OPT_DOUBLE, "V", "value outside the input (default 0 with --labels, else the input minimum)", &fill_opt},
    BATCH_OPT_SPECS(batch),
    {0},
};

const cmd_spec convert_spec = {"convert", "[options] IN OUT.nii[.gz]  |  --out-dir DIR [--list FILE] [IN...]",
                               "Convert a DICOM series or NIfTI file to NIfTI; cast the dtype; resample to a spacing, shape or grid.",
                               convert_opts, 0, 1 << 20};

static ms_status parse_interp(ms_interp *out)
{
    *out = labels_flag ? MS_INTERP_NEAREST : MS_INTERP_LINEAR;
    if (!interp_opt) return MS_OK;
    if (strcmp(interp_opt, "nearest") == 0) *out = MS_INTERP_NEAREST;
    else if (strcmp(interp_opt, "linear") == 0) *out = MS_INTERP_LINEAR;
    else if (strcmp(interp_opt, "cubic") == 0) *out = MS_INTERP_CUBIC;
    else return ms_fail(MS_ERR_USAGE, "--interp must be nearest, linear or cubic, not '%s'", interp_opt);
    return MS_OK;
}

static ms_status target_grid(const ms_volume *v, ms_grid *g)
{
    if (spacing_opt) {
        double s[3];
        if (!parse_triple_double(spacing_opt, s)) return ms_fail(MS_ERR_USAGE, "--spacing needs SX,SY,SZ");
        return ms_grid_from_spacing(v, s, g);
    }
    if (shape_opt) {
        int64_t n[3];
        if (!parse_triple_int(shape_opt, n)) return ms_fail(MS_ERR_USAGE, "--shape needs NX,NY,NZ");
        return ms_grid_from_shape(v, n, g);
    }
    ms_volume ref;
    ms_status st = ms_read_volume(like_opt, NULL, &ref, NULL);
    if (st) return st;
    ms_grid_of(&ref, g);
    ms_volume_free(&ref);
    return MS_OK;
}

/* Resamples v in place; the output keeps v's dtype unless --dtype says. */
static ms_status resample(ms_volume *v, ms_dtype out_dtype)
{
    ms_resample_opts o = {MS_INTERP_LINEAR, labels_flag, fill_opt, out_dtype, MS_DEVICE_CPU};
    ms_grid g;
    ms_status st = parse_interp(&o.interp);
    if (!st) st = ms_device_resolve(g_common.device, &o.device);
    if (!st) st = target_grid(v, &g);
    if (st) return st;
    if (isnan(o.fill)) {
        double lo, hi;
        ms_volume_minmax(v, &lo, &hi);
        o.fill = labels_flag ? 0 : lo;
    }
    ms_volume out;
    size_t clamped = 0;
    double t0 = ms_now();
    if ((st = ms_resample(v, &g, &o, &out, &clamped))) return st;
    ms_debug("resampled on %s in %.3f s", ms_device_name(o.device), ms_now() - t0);
    if (clamped) ms_warn("%zu resampled voxels clamped to the %s range", clamped, ms_dtype_name(out_dtype));
    ms_volume_free(v);
    *v = out;
    return MS_OK;
}

static ms_status check_resample_opts(void)
{
    int n = (spacing_opt != NULL) + (shape_opt != NULL) + (like_opt != NULL);
    if (n > 1) return ms_fail(MS_ERR_USAGE, "give only one of --spacing, --shape and --like");
    if (n == 0 && (interp_opt || labels_flag || !isnan(fill_opt)))
        return ms_fail(MS_ERR_USAGE, "--interp, --labels and --fill need --spacing, --shape or --like");
    return MS_OK;
}

static int convert(const char *in, const char *out)
{
    ms_dtype target = MS_U8;
    if (dtype_opt && !ms_dtype_parse(dtype_opt, &target))
        return ms_fail(MS_ERR_USAGE, "--dtype: unknown type '%s'", dtype_opt);
    if (nifti_version != 0 && nifti_version != 1 && nifti_version != 2)
        return ms_fail(MS_ERR_USAGE, "--nifti-version must be 1 or 2");
    if (gz_level < 0 || gz_level > 12) return ms_fail(MS_ERR_USAGE, "--gz-level must be 0..12 (0: the default, 1)");
    ms_status st = check_resample_opts();
    if (st) return st;
    /* NaN and infinities pass through a float copy unchanged; resampling
     * and integer casts need finite values (read as 0, with a warning). */
    int resampling = spacing_opt || shape_opt || like_opt;
    ms_nifti_set_keep_nonfinite(!resampling && (!dtype_opt || target == MS_F32 || target == MS_F64));
    ms_volume v;
    if ((st = ms_read_volume(in, series_opt, &v, NULL))) return st;
    if ((spacing_opt || shape_opt || like_opt) && (st = resample(&v, dtype_opt ? target : v.dtype))) {
        ms_volume_free(&v);
        return st;
    }
    if (dtype_opt && target != v.dtype) {
        ms_volume cast;
        size_t clamped = 0;
        st = ms_volume_cast(&cast, &v, target, &clamped);
        ms_volume_free(&v);
        if (st) return st;
        v = cast;
        if (clamped) ms_warn("%s: %zu voxels clamped to the %s range", in, clamped, ms_dtype_name(target));
    }
    ms_nifti_write_opts wo = {nifti_version, gz_level};
    st = ms_nifti_write(out, &v, &wo);
    if (!st)
        ms_info("wrote %s: %lldx%lldx%lld %s", out, (long long)v.dim[0], (long long)v.dim[1], (long long)v.dim[2],
                ms_dtype_name(v.dtype));
    ms_volume_free(&v);
    return st;
}

static void gz_name(const char *input, const char *out_dir, char *out, size_t n)
{
    batch_volume_name(input, out_dir, ".nii.gz", out, n);
}

static int convert_one(void *ctx, const char *input, const char *output)
{
    (void)ctx;
    return convert(input, output);
}

int cmd_convert(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&convert_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    if (batch_requested(&batch)) {
        rc = batch_run(&convert_spec, &batch, args, n, gz_name, convert_one, NULL);
        free(args);
        return rc;
    }
    if (n != 2) {
        free(args);
        return opt_usage_error(&convert_spec, "needs IN and OUT (or --out-dir DIR for many inputs)");
    }
    int st = convert(args[0], args[1]);
    free(args);
    return report_status(st);
}
