/* Format detection and the one entry point commands use to read a volume. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "medseg/io.h"

int ms_path_has_suffix(const char *s, const char *sfx)
{
    size_t n = strlen(s), m = strlen(sfx);
    return n >= m && strcmp(s + n - m, sfx) == 0;
}

ms_format ms_detect_format(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return MS_FMT_UNKNOWN;
    if (S_ISDIR(sb.st_mode)) return MS_FMT_DICOM;
    if (ms_path_has_suffix(path, ".nii") || ms_path_has_suffix(path, ".nii.gz")) return MS_FMT_NIFTI;
    unsigned char head[352] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return MS_FMT_UNKNOWN;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n >= 132 && memcmp(head + 128, "DICM", 4) == 0) return MS_FMT_DICOM;
    if (n >= 348 && (memcmp(head + 344, "n+1", 4) == 0 || memcmp(head + 4, "n+2", 3) == 0)) return MS_FMT_NIFTI;
    if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) return MS_FMT_NIFTI;
    /* DICOM without the preamble (old ACR-NEMA style) is left to DCMTK. */
    return MS_FMT_DICOM;
}

ms_status ms_read_volume(const char *path, const char *series, ms_volume *v, ms_dicom_info *info)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return ms_fail(MS_ERR_INPUT, "%s: no such file or directory", path);
    switch (ms_detect_format(path)) {
    case MS_FMT_NIFTI: return ms_nifti_read(path, v);
    case MS_FMT_DICOM: return ms_dicom_read(path, series, v, info);
    default: return ms_fail(MS_ERR_INPUT, "%s: cannot read this file", path);
    }
}
