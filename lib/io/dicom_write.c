/* Writing a volume as a CT series: one file per slice, positions from the
 * affine, deterministic UIDs so that the same phantom seed gives the same
 * files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcm_shim.h"
#include "medseg/atomic_file.h"
#include "medseg/dicom.h"
#include "medseg/rng.h"

void ms_dicom_uid_from_text(const char *text, char uid[68])
{
    /* "2.25." + a 128-bit integer (ITU-T X.667), here a hash of the text. */
    uint64_t h1 = 0x243f6a8885a308d3ULL, h2 = 0x13198a2e03707344ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h1 = ms_hash64(h1 ^ *p);
        h2 = ms_hash64(h2 + *p * 0x9e3779b97f4a7c15ULL);
    }
    unsigned __int128 x = ((unsigned __int128)(h1 >> 1) << 64) | h2;
    char digits[48];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(x % 10));
        x /= 10;
    } while (x);
    int pos = snprintf(uid, 68, "2.25.");
    while (n > 0) uid[pos++] = digits[--n];
    uid[pos] = '\0';
}

static ms_status in_plane_axes(const ms_volume *v, double iop[6])
{
    double len[2] = {0, 0}, d = 0;
    for (int c = 0; c < 2; c++)
        for (int r = 0; r < 3; r++) len[c] += v->affine[r][c] * v->affine[r][c];
    for (int r = 0; r < 3; r++) d += v->affine[r][0] * v->affine[r][1];
    len[0] = sqrt(len[0]), len[1] = sqrt(len[1]);
    if (len[0] == 0 || len[1] == 0 || fabs(d) > 1e-6 * len[0] * len[1])
        return ms_fail(MS_ERR_USAGE, "volume's in-plane axes are not orthogonal; cannot write DICOM");
    for (int r = 0; r < 3; r++) {
        iop[r] = v->affine[r][0] / len[0];
        iop[3 + r] = v->affine[r][1] / len[1];
    }
    return MS_OK;
}

static void slice_values(const ms_volume *v, int64_t k, uint16_t *out)
{
    size_t per = (size_t)v->dim[0] * (size_t)v->dim[1];
    double buf[4096];
    for (size_t at = 0; at < per; at += 4096) {
        size_t m = per - at < 4096 ? per - at : 4096;
        ms_volume_read_f64(v, (size_t)k * per + at, 1, m, buf);
        for (size_t i = 0; i < m; i++) {
            double hu = nearbyint(buf[i]) + 1024.0;
            out[at + i] = (uint16_t)(hu < 0 ? 0 : hu > 65535 ? 65535 : hu);
        }
    }
}

static ms_status write_slices(const char *tmpdir, const ms_volume *v, const ms_dicom_write_opts *o,
                              const double iop[6], uint16_t *buf)
{
    char frame_uid[68], sop_uid[68], text[512], path[4096];
    snprintf(text, sizeof text, "%s/frame", o->uid_root_seed_text);
    ms_dicom_uid_from_text(text, frame_uid);
    ms_dcm_ct_slice s = {o->study_uid, o->series_uid, sop_uid, frame_uid, o->patient_name, o->patient_id,
                         o->series_description, o->series_number, 0, (int)v->dim[1], (int)v->dim[0],
                         {0}, {0}, {v->spacing[1], v->spacing[0]}, v->spacing[2], buf};
    memcpy(s.iop, iop, sizeof s.iop);
    for (int64_t k = 0; k < v->dim[2]; k++) {
        snprintf(text, sizeof text, "%s/sop/%lld", o->uid_root_seed_text, (long long)k);
        ms_dicom_uid_from_text(text, sop_uid);
        double ijk[3] = {0, 0, (double)k};
        ms_voxel_to_world(v, ijk, s.ipp);
        s.instance = (int)k + 1;
        slice_values(v, k, buf);
        snprintf(path, sizeof path, "%s/IM%05lld.dcm", tmpdir, (long long)k + 1);
        ms_status st = ms_dcm_write_ct_slice(path, &s);
        if (st) return st;
    }
    return MS_OK;
}

ms_status ms_dicom_write_ct(const char *dir, const ms_volume *v, const ms_dicom_write_opts *o)
{
    double iop[6];
    ms_status st = in_plane_axes(v, iop);
    if (st) return st;
    if (v->dim[0] > 65535 || v->dim[1] > 65535)
        return ms_fail(MS_ERR_USAGE, "%s: slices larger than 65535 pixels cannot be DICOM", dir);
    uint16_t *buf;
    st = ms_alloc_array((void **)&buf, (size_t)v->dim[0] * (size_t)v->dim[1], sizeof *buf, 0, dir);
    if (st) return st;
    ms_atomic at;
    st = ms_atomic_begin_dir(&at, dir);
    if (!st) {
        st = write_slices(at.tmp_path, v, o, iop, buf);
        if (st) ms_atomic_abort(&at);
        else st = ms_atomic_commit(&at);
    }
    free(buf);
    return st;
}
