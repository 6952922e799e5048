/* Labelling and resampling edge cases with exact expectations:
 *   test_ops          empty, full, thin and blocky volumes, filters
 *   test_ops big      volumes over 2^31 voxels (64-bit indexing; ~11 GB)
 *   test_ops gpu      CUDA equals CPU (labels identical, floats 1e-5 rel);
 *                     exits 77 when no CUDA device is present */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "medseg/components.h"
#include "medseg/device.h"
#include "medseg/resample.h"
#include "medseg/rng.h"
#include "medseg/threads.h"

static int64_t label_count(const ms_volume *v, int conn, int per_label, ms_device dev, ms_volume *lab)
{
    ms_cc_opts o = {conn, per_label, dev};
    ms_components s;
    ms_volume tmp;
    if (!lab) lab = &tmp;
    if (ms_label_components(v, &o, lab, &s)) return -1;
    int64_t n = s.count;
    ms_components_free(&s);
    if (lab == &tmp) ms_volume_free(&tmp);
    return n;
}

static void make(ms_volume *v, int64_t x, int64_t y, int64_t z, ms_dtype t)
{
    int64_t d[3] = {x, y, z};
    if (ms_volume_alloc(v, d, t, "test")) abort();
}

static void test_edges(void)
{
    ms_volume v, lab;
    make(&v, 33, 17, 5, MS_U8);
    CHECK(label_count(&v, 26, 0, MS_DEVICE_CPU, NULL) == 0);
    memset(v.data, 7, ms_volume_nvox(&v));
    CHECK(label_count(&v, 6, 0, MS_DEVICE_CPU, &lab) == 1);
    CHECK(((int32_t *)lab.data)[ms_volume_nvox(&lab) - 1] == 1);
    ms_volume_free(&lab);
    ms_volume_free(&v);
    /* 1x1xN alternating: N/2 components under every connectivity */
    make(&v, 1, 1, 101, MS_U8);
    for (int i = 0; i < 101; i += 2) ((uint8_t *)v.data)[i] = 1;
    for (int c = 6; c <= 26; c += c == 6 ? 12 : 8) CHECK(label_count(&v, c, 0, MS_DEVICE_CPU, NULL) == 51);
    ms_volume_free(&v);
    /* Diagonal neighbours: only 26 joins corner-touching voxels, 18 edges */
    make(&v, 3, 3, 3, MS_U8);
    uint8_t *p = v.data;
    p[0] = p[1 + 3 + 9] = 1;          /* corner touch */
    CHECK(label_count(&v, 26, 0, MS_DEVICE_CPU, NULL) == 1);
    CHECK(label_count(&v, 18, 0, MS_DEVICE_CPU, NULL) == 2);
    p[1 + 3 + 9] = 0, p[1 + 3] = 1;   /* edge touch */
    CHECK(label_count(&v, 18, 0, MS_DEVICE_CPU, NULL) == 1);
    CHECK(label_count(&v, 6, 0, MS_DEVICE_CPU, NULL) == 2);
    ms_volume_free(&v);
}

static void test_filters(void)
{
    ms_volume v, lab;
    make(&v, 20, 10, 10, MS_I16);
    int16_t *p = v.data;
    for (int z = 1; z < 4; z++)       /* 27 voxels of value 2 */
        for (int y = 1; y < 4; y++)
            for (int x = 1; x < 4; x++) p[(z * 10 + y) * 20 + x] = 2;
    for (int x = 10; x < 18; x++) p[(5 * 10 + 5) * 20 + x] = 2;   /* 8 voxels */
    p[(8 * 10 + 8) * 20 + 1] = 5;                                  /* 1 voxel */
    ms_cc_opts o = {26, 1, MS_DEVICE_CPU};
    ms_components s;
    CHECK(ms_label_components(&v, &o, &lab, &s) == MS_OK);
    CHECK(s.count == 3 && s.comp[0].size == 27 && s.comp[1].size == 8 && s.comp[2].size == 1);
    CHECK(s.comp[2].value == 5 && s.comp[1].lo[0] == 10 && s.comp[1].hi[0] == 17);
    CHECK(ms_components_filter(&lab, &s, 1, 1, 0) == MS_OK);   /* largest per value: 27 and the single 5 */
    CHECK(s.count == 2 && s.comp[0].size == 27 && s.comp[1].value == 5);
    CHECK(((int32_t *)lab.data)[(8 * 10 + 8) * 20 + 1] == 2);
    CHECK(ms_components_filter(&lab, &s, 0, 0, 2) == MS_OK);   /* drop the single voxel */
    CHECK(s.count == 1 && ((int32_t *)lab.data)[(8 * 10 + 8) * 20 + 1] == 0);
    ms_components_free(&s);
    ms_volume_free(&lab);
    int64_t kept = 0;
    CHECK(ms_keep_largest_component(&v, 26, MS_DEVICE_CPU, &kept) == MS_OK && kept == 27);
    CHECK(p[(5 * 10 + 5) * 20 + 12] == 0 && p[(2 * 10 + 2) * 20 + 2] == 1);
    ms_volume_free(&v);
    ms_cc_opts bad = {8, 0, MS_DEVICE_CPU};
    make(&v, 2, 2, 2, MS_F32);
    CHECK(ms_label_components(&v, &bad, &lab, NULL) == MS_ERR_USAGE);
    ((float *)v.data)[3] = 1.5f;
    ms_cc_opts per = {6, 1, MS_DEVICE_CPU};
    CHECK(ms_label_components(&v, &per, &lab, NULL) == MS_ERR_INPUT);
    ms_volume_free(&v);
}

static void test_resample_small(void)
{
    ms_volume v, out;
    make(&v, 4, 3, 2, MS_I16);
    for (size_t i = 0; i < 24; i++) ((int16_t *)v.data)[i] = (int16_t)(i * 10);
    ms_grid g;
    ms_grid_of(&v, &g);   /* same grid: every method returns the input */
    for (int interp = 0; interp <= 3; interp += interp == 1 ? 2 : 1) {
        ms_resample_opts o = {(ms_interp)interp, 0, -5, MS_I16, MS_DEVICE_CPU};
        CHECK(ms_resample(&v, &g, &o, &out, NULL) == MS_OK);
        CHECK(memcmp(out.data, v.data, 24 * 2) == 0);
        ms_volume_free(&out);
    }
    g.affine[0][3] += 10;   /* shifted off the input: all fill */
    ms_resample_opts o = {MS_INTERP_LINEAR, 0, -5, MS_I16, MS_DEVICE_CPU};
    CHECK(ms_resample(&v, &g, &o, &out, NULL) == MS_OK);
    CHECK(((int16_t *)out.data)[0] == -5 && ((int16_t *)out.data)[23] == -5);
    ms_volume_free(&out);
    int64_t one[3] = {1, 1, 1};
    CHECK(ms_grid_from_shape(&v, one, &g) == MS_OK);
    CHECK(ms_resample(&v, &g, &o, &out, NULL) == MS_OK);
    CHECK(((int16_t *)out.data)[0] == 115);   /* mean of the 4x3x2 ramp at the centre */
    ms_volume_free(&out);
    double bad[3] = {1, 0, 1};
    CHECK(ms_grid_from_spacing(&v, bad, &g) == MS_ERR_USAGE);
    ms_volume_free(&v);
}

/* Two blobs, the second beyond voxel 2^31; labels and resampling must
 * address it with 64-bit indices. */
static void test_big(void)
{
    ms_volume v, lab;
    make(&v, 4096, 4096, 129, MS_U8);
    uint8_t *p = v.data;
    size_t far = ((size_t)128 * 4096 + 4000) * 4096 + 4000;
    p[5] = p[6] = 1;
    p[far] = p[far + 1] = p[far + 4096] = 1;
    ms_cc_opts o = {26, 0, MS_DEVICE_CPU};
    ms_components s;
    CHECK(ms_label_components(&v, &o, &lab, &s) == MS_OK);
    CHECK(s.count == 2 && s.comp[1].size == 3 && s.comp[1].lo[2] == 128 && s.comp[1].hi[1] == 4001);
    CHECK(((int32_t *)lab.data)[far + 4096] == 2 && ((int32_t *)lab.data)[6] == 1);
    ms_components_free(&s);
    ms_volume_free(&lab);
    ms_volume_free(&v);
    make(&v, 2, 2, 2, MS_U8);
    for (int i = 0; i < 8; i++) ((uint8_t *)v.data)[i] = (uint8_t)(i + 1);
    int64_t shape[3] = {4096, 4096, 130};
    ms_grid g;
    ms_volume out;
    CHECK(ms_grid_from_shape(&v, shape, &g) == MS_OK);
    ms_resample_opts ro = {MS_INTERP_NEAREST, 0, 0, MS_U8, MS_DEVICE_CPU};
    CHECK(ms_resample(&v, &g, &ro, &out, NULL) == MS_OK);
    CHECK(((uint8_t *)out.data)[ms_volume_nvox(&out) - 1] == 8 && ((uint8_t *)out.data)[0] == 1);
    ms_volume_free(&out);
    ms_volume_free(&v);
}

static void random_volume(ms_volume *v, int64_t x, int64_t y, int64_t z, double dens, int values, uint64_t seed)
{
    make(v, x, y, z, values > 1 ? MS_I32 : MS_U8);
    ms_rng r;
    ms_rng_seed(&r, seed, 0);
    for (size_t i = 0; i < ms_volume_nvox(v); i++)
        if (ms_rng_uniform(&r) < dens)
            ms_volume_set(v, i, values > 1 ? 1 + (double)(ms_rng_u64(&r) % (uint64_t)values) : 1);
}

static int gpu_equals_cpu_labels(void)
{
    static const int64_t shapes[][3] = {{37, 23, 19}, {1, 1, 200}, {200, 1, 1}, {65, 33, 9}, {128, 128, 64}};
    int bad = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int dens = 1; dens <= 9; dens += 4)
            for (int conn = 6; conn <= 26; conn += conn == 6 ? 12 : 8)
                for (int values = 1; values <= 3; values += 2) {
                    ms_volume v, a, b;
                    random_volume(&v, shapes[s][0], shapes[s][1], shapes[s][2], dens / 10.0, values, s * 100 + dens);
                    int64_t na = label_count(&v, conn, values > 1, MS_DEVICE_CPU, &a);
                    int64_t nb = label_count(&v, conn, values > 1, MS_DEVICE_CUDA, &b);
                    int same = na == nb && na >= 0 && memcmp(a.data, b.data, ms_volume_nvox(&a) * 4) == 0;
                    if (!same) {
                        bad++;
                        fprintf(stderr, "labels differ: shape %zu density %d conn %d values %d (%lld vs %lld)\n", s,
                                dens, conn, values, (long long)na, (long long)nb);
                    }
                    ms_volume_free(&a);
                    ms_volume_free(&b);
                    ms_volume_free(&v);
                }
    return bad;
}

static void gpu_equals_cpu_resample(void)
{
    ms_volume v;
    make(&v, 61, 47, 23, MS_I16);
    ms_rng r;
    ms_rng_seed(&r, 3, 0);
    for (size_t i = 0; i < ms_volume_nvox(&v); i++) ((int16_t *)v.data)[i] = (int16_t)ms_rng_range(&r, -1024, 2000);
    v.affine[0][1] = 0.3;   /* sheared input: the grid below is oblique to it */
    double sp[3] = {0.7, 1.3, 1.9};
    ms_grid g;
    CHECK(ms_grid_from_spacing(&v, sp, &g) == MS_OK);
    for (int oblique = 0; oblique < 2; oblique++)
        for (int interp = 0; interp <= 3; interp += interp == 1 ? 2 : 1)
            for (int labels = 0; labels < 2 && (labels == 0 || interp <= 1); labels++) {
                ms_volume a, b;
                ms_resample_opts o = {(ms_interp)interp, labels, -2000, MS_F32, MS_DEVICE_CPU};
                ms_grid gg = g;
                if (oblique) gg.affine[1][0] += 0.2, gg.affine[0][3] += 3.3;
                CHECK(ms_resample(&v, &gg, &o, &a, NULL) == MS_OK);
                o.device = MS_DEVICE_CUDA;
                CHECK(ms_resample(&v, &gg, &o, &b, NULL) == MS_OK);
                const float *x = a.data, *y = b.data;
                size_t n = ms_volume_nvox(&a), off = 0;
                for (size_t i = 0; i < n; i++)
                    if (fabsf(x[i] - y[i]) > 1e-5f * fmaxf(1.0f, fabsf(x[i]))) off++;
                if (off) fprintf(stderr, "resample interp %d labels %d oblique %d: %zu voxels differ\n", interp, labels, oblique, off);
                CHECK(off == 0);
                ms_volume_free(&a);
                ms_volume_free(&b);
            }
    ms_volume_free(&v);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "gpu") == 0) {
        if (ms_cuda_devices() <= 0) {
            printf("SKIP: no CUDA device (built with CUDA: %s)\n", ms_built_with_cuda() ? "yes" : "no");
            return 77;
        }
        CHECK(gpu_equals_cpu_labels() == 0);
        gpu_equals_cpu_resample();
        return check_summary();
    }
    if (strcmp(mode, "big") == 0) {
        test_big();
        return check_summary();
    }
    for (int t = 1; t <= 2; t++) {
        ms_threads_set(t);
        test_edges();
        test_filters();
        test_resample_small();
    }
    return check_summary();
}
