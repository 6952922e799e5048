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

static int is_pair_name(const char *path)
{
    static const char *const sfx[] = {".hdr", ".img", ".hdr.gz", ".img.gz"};
    for (int i = 0; i < 4; i++)
        if (ms_path_has_suffix(path, sfx[i])) return 1;
    return 0;
}

/* The refusal of a .hdr/.img pair, named for what its header says. */
static ms_status refuse_pair(const char *path)
{
    char hdr[4096];
    size_t n = strlen(path), stem = n - (ms_path_has_suffix(path, ".gz") ? 7 : 4);
    if (stem + 8 > sizeof hdr) return ms_fail(MS_ERR_INPUT, "%s: a .hdr/.img pair; convert it to .nii first", path);
    memcpy(hdr, path, stem);
    strcpy(hdr + stem, ".hdr");
    unsigned char h[348] = {0};
    FILE *f = fopen(hdr, "rb");
    size_t got = f ? fread(h, 1, sizeof h, f) : 0;
    if (f) fclose(f);
    int ni1 = got == sizeof h && memcmp(h + 344, "ni1", 4) == 0;
    return ms_fail(MS_ERR_INPUT, "%s: %s header/image pair (.hdr/.img), which medseg does not read: convert it to "
                   "single-file NIfTI (.nii or .nii.gz) first", path, ni1 ? "a NIfTI-1" : "an ANALYZE 7.5");
}

ms_format ms_detect_format(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return MS_FMT_UNKNOWN;
    if (S_ISDIR(sb.st_mode)) return MS_FMT_DICOM;
    if (is_pair_name(path)) return MS_FMT_PAIR;
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
    case MS_FMT_PAIR: return refuse_pair(path);
    default: return ms_fail(MS_ERR_INPUT, "%s: cannot read this file", path);
    }
}
