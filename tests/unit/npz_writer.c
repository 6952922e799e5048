/* Writes NPZ files with known contents for tests/oracle/test_npz.py:
 * OUTDIR/stored.npz, deflate.npz, zip64.npz (forced ZIP64 records). */
#include <stdio.h>
#include <stdlib.h>

#include "medseg/npz.h"

static int write_one(const char *dir, const char *name, int deflate, int zip64)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    float pts[300];
    double sc = 0.125;
    int32_t lab[100];
    uint8_t present[10] = {1, 0, 1, 1, 0, 0, 1, 1, 1, 0};
    int16_t big[64 * 64];
    for (int i = 0; i < 300; i++) pts[i] = (float)i * 0.5f - 7.25f;
    for (int i = 0; i < 100; i++) lab[i] = i % 7 - 3;
    for (int i = 0; i < 64 * 64; i++) big[i] = (int16_t)((i * 37) % 2000 - 1000);
    int64_t s_pts[2] = {100, 3}, s_lab[1] = {100}, s_pres[1] = {10}, s_big[2] = {64, 64}, s_empty[2] = {0, 3};
    ms_npz *z;
    if (ms_npz_open(&z, path, deflate)) return 1;
    ms_npz_force_zip64(z, zip64);
    int bad = ms_npz_add(z, "surface_points", "<f4", pts, 2, s_pts) || ms_npz_add(z, "labels", "<i4", lab, 1, s_lab) ||
              ms_npz_add(z, "class_present", "|u1", present, 1, s_pres) || ms_npz_add(z, "scale", "<f8", &sc, 0, NULL) ||
              ms_npz_add(z, "image", "<i2", big, 2, s_big) || ms_npz_add(z, "empty", "<f4", pts, 2, s_empty);
    if (bad) {
        ms_npz_abort(z);
        return 1;
    }
    return ms_npz_close(z) != MS_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    int bad = write_one(argv[1], "stored.npz", 0, 0) | write_one(argv[1], "deflate.npz", 1, 0) |
              write_one(argv[1], "zip64.npz", 1, 1) | write_one(argv[1], "zip64_stored.npz", 0, 1);
    return bad;
}
