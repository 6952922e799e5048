/* Metrics building blocks without Python: the distance transform (full and
 * at query voxels) equals brute force on random anisotropic grids; surfel
 * areas of known cube configurations; the robust percentile; DeLong and
 * AUC on a case small enough to work by hand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "medseg/metrics.h"
#include "medseg/rng.h"
#include "medseg/threads.h"

static void test_edt(void)
{
    ms_rng r;
    ms_rng_seed(&r, 9, 0);
    for (int trial = 0; trial < 12; trial++) {
        int64_t dim[3] = {3 + trial % 5, 4 + trial % 3, 2 + trial % 6};
        double s[3] = {0.5 + ms_rng_uniform(&r), 0.5 + ms_rng_uniform(&r), 0.5 + 2 * ms_rng_uniform(&r)};
        size_t n = (size_t)(dim[0] * dim[1] * dim[2]);
        uint8_t *f = calloc(n, 1), *q = calloc(n, 1);
        double *full = malloc(n * sizeof *full), *at = malloc(n * sizeof *at);
        double density = trial < 10 ? 0.05 + 0.1 * (trial % 3) : 0;   /* the last two have no features */
        for (size_t i = 0; i < n; i++) {
            f[i] = ms_rng_uniform(&r) < density;
            q[i] = ms_rng_uniform(&r) < 0.3;
        }
        ms_threads_set(1 + trial % 2);
        CHECK(ms_edt_squared(f, dim, s, NULL, full) == MS_OK);
        CHECK(ms_edt_squared(f, dim, s, q, at) == MS_OK);
        int bad_full = 0, bad_at = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t x = (int64_t)i % dim[0], y = (int64_t)i / dim[0] % dim[1], z = (int64_t)i / (dim[0] * dim[1]);
            double best = INFINITY;
            for (size_t j = 0; j < n; j++) {
                if (!f[j]) continue;
                double dx = (double)(x - (int64_t)j % dim[0]) * s[0];
                double dy = (double)(y - (int64_t)j / dim[0] % dim[1]) * s[1];
                double dz = (double)(z - (int64_t)j / (dim[0] * dim[1])) * s[2];
                double d = dx * dx + dy * dy + dz * dz;
                if (d < best) best = d;
            }
            bad_full += !(fabs(full[i] - best) <= 1e-9 * (1 + best) || (isinf(best) && isinf(full[i])));
            if (q[i]) bad_at += !(fabs(at[i] - best) <= 1e-9 * (1 + best) || (isinf(best) && isinf(at[i])));
        }
        CHECK(bad_full == 0);
        CHECK(bad_at == 0);
        free(f); free(q); free(full); free(at);
    }
    ms_threads_set(0);
}

static void test_areas(void)
{
    double unit[3] = {1, 1, 1}, aniso[3] = {0.5, 2, 3}, a[256], b[256];
    ms_surfel_areas(unit, a);
    ms_surfel_areas(aniso, b);
    CHECK(a[0] == 0 && a[255] == 0);
    /* One corner: a triangle through three edge midpoints, sqrt(3)/8. */
    CHECK(fabs(a[1] - sqrt(3) / 8) < 1e-12);
    /* A face's four corners: a unit square cut through the middle. */
    CHECK(fabs(a[0x0f] - 1) < 1e-12 && fabs(a[0x55] - 1) < 1e-12);
    CHECK(fabs(b[0x0f] - 0.5 * 2) < 1e-12 && fabs(b[0x55] - 2 * 3) < 1e-12);
    /* Two opposite corners: two separate triangles. */
    CHECK(fabs(a[0x81] - 2 * sqrt(3) / 8) < 1e-12);
    /* Swapping inside and outside keeps the surface, except where a face is
     * ambiguous: there the rule separates whichever corners are inside. */
    static const int faces[6][4] = {{0, 2, 6, 4}, {1, 3, 7, 5}, {0, 1, 5, 4}, {2, 3, 7, 6}, {0, 1, 3, 2}, {4, 5, 7, 6}};
    int sym = 0, checked = 0;
    for (int c = 0; c < 256; c++) {
        int ambiguous = 0;
        for (int f = 0; f < 6; f++) {
            int i0 = c >> faces[f][0] & 1, i1 = c >> faces[f][1] & 1, i2 = c >> faces[f][2] & 1, i3 = c >> faces[f][3] & 1;
            ambiguous |= i0 == i2 && i1 == i3 && i0 != i1;
        }
        if (ambiguous) continue;
        checked++;
        sym += fabs(a[c] - a[255 - c]) > 1e-12 || fabs(b[c] - b[255 - c]) > 1e-12;
    }
    CHECK(sym == 0 && checked > 100);
}

static void test_percentile(void)
{
    double d[5] = {4, 1, 3, 2, 5}, a[5] = {1, 1, 1, 1, 6};
    /* Sorted areas 1,1,1,1,6 (total 10): 40% is reached at distance 4. */
    CHECK(ms_surfel_percentile(d, a, 5, 40) == 4);
    CHECK(ms_surfel_percentile(d, a, 5, 41) == 5);
    CHECK(ms_surfel_percentile(d, a, 5, 100) == 5);
    CHECK(isnan(ms_surfel_percentile(d, a, 0, 95)));
}

static void test_roc(void)
{
    double score[6] = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4};
    uint8_t label[6] = {1, 1, 0, 1, 0, 0};
    ms_binary_input in = {6, score, label, NULL};
    ms_roc r;
    CHECK(ms_roc_compute(&in, 0.65, &r) == MS_OK);
    /* 9 positive-negative pairs, one misordered: AUC 8/9. */
    CHECK(fabs(r.auc - 8.0 / 9.0) < 1e-15);
    /* V10 = (1, 1, 2/3), V01 = (2/3, 1, 1): each variance 1/27, /3 each. */
    CHECK(fabs(r.auc_var - 2.0 / 81.0) < 1e-15);
    CHECK(r.at_threshold.tp == 2 && r.at_threshold.fp == 1 && r.at_threshold.tn == 2 && r.at_threshold.fn == 1);
    CHECK(r.at_youden.threshold == 0.6 && fabs(r.at_youden.youden - (1 - 1.0 / 3)) < 1e-15);
    ms_roc_free(&r);
}

int main(void)
{
    test_edt();
    test_areas();
    test_percentile();
    test_roc();
    return check_summary();
}
