/* medseg convert: DICOM -> NIfTI, NIfTI <-> NIfTI, dtype casts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "medseg/io.h"
#include "medseg/log.h"

static const char *series_opt, *dtype_opt;
static int nifti_version, gz_level;

static const opt_spec convert_opts[] = {
    {"series", 0, OPT_STR, "UID", "DICOM: read this SeriesInstanceUID (default: the series with most images)", &series_opt},
    {"dtype", 0, OPT_STR, "T", "cast to uint8|int16|uint16|int32|float32|float64 (rounded, clamped, reported)", &dtype_opt},
    {"nifti-version", 0, OPT_INT, "1|2", "write NIfTI-1 or NIfTI-2 (default: as the input, else 1)", &nifti_version},
    {"gz-level", 0, OPT_INT, "0-9", "zlib level for .nii.gz output (default 6)", &gz_level},
    {0},
};

const cmd_spec convert_spec = {"convert", "[options] IN OUT.nii[.gz]",
                               "Convert a DICOM series or NIfTI file to NIfTI, optionally casting the dtype.",
                               convert_opts, 2, 2};

static int convert(const char *in, const char *out)
{
    ms_dtype target = MS_U8;
    if (dtype_opt && !ms_dtype_parse(dtype_opt, &target))
        return ms_fail(MS_ERR_USAGE, "--dtype: unknown type '%s'", dtype_opt);
    if (nifti_version != 0 && nifti_version != 1 && nifti_version != 2)
        return ms_fail(MS_ERR_USAGE, "--nifti-version must be 1 or 2");
    ms_volume v;
    ms_status st = ms_read_volume(in, series_opt, &v, NULL);
    if (st) return st;
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

int cmd_convert(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&convert_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    int st = convert(args[0], args[1]);
    free(args);
    return report_status(st);
}
