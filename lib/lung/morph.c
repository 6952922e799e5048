/* Binary masks on the 1 mm working grid: boxes, crops, ball morphology
 * (thresholded exact distance transforms: a ball of any radius costs the
 * same) and slice-wise hole filling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "lung_internal.h"
#include "medseg/metrics.h"

void lbox_grow(lbox *b, int64_t m, const int64_t dim[3])
{
    for (int a = 0; a < 3; a++) {
        b->lo[a] = b->lo[a] - m < 0 ? 0 : b->lo[a] - m;
        b->hi[a] = b->hi[a] + m > dim[a] ? dim[a] : b->hi[a] + m;
    }
}

lbox lbox_of_mask(const uint8_t *m, const int64_t dim[3])
{
    lbox b = {{dim[0], dim[1], dim[2]}, {0, 0, 0}};
    size_t i = 0;
    for (int64_t z = 0; z < dim[2]; z++)
        for (int64_t y = 0; y < dim[1]; y++)
            for (int64_t x = 0; x < dim[0]; x++, i++) {
                if (!m[i]) continue;
                int64_t p[3] = {x, y, z};
                for (int a = 0; a < 3; a++) {
                    if (p[a] < b.lo[a]) b.lo[a] = p[a];
                    if (p[a] + 1 > b.hi[a]) b.hi[a] = p[a] + 1;
                }
            }
    for (int a = 0; a < 3; a++)
        if (b.hi[a] <= b.lo[a]) b.lo[a] = b.hi[a] = 0;
    return b;
}

#define CROP_LOOP(body)                                                                              \
    for (int64_t z = b->lo[2]; z < b->hi[2]; z++)                                                    \
        for (int64_t y = b->lo[1]; y < b->hi[1]; y++) {                                              \
            size_t from = ((size_t)z * (size_t)dim[1] + (size_t)y) * (size_t)dim[0] + (size_t)b->lo[0]; \
            body;                                                                                    \
            to += w;                                                                                 \
        }

uint8_t *crop_u8(const uint8_t *src, const int64_t dim[3], const lbox *b)
{
    uint8_t *out = malloc(lbox_nvox(b) ? lbox_nvox(b) : 1);
    size_t w = (size_t)(b->hi[0] - b->lo[0]), to = 0;
    if (!out) return NULL;
    CROP_LOOP(memcpy(out + to, src + from, w));
    return out;
}

float *crop_f32(const float *src, const int64_t dim[3], const lbox *b)
{
    float *out = malloc((lbox_nvox(b) ? lbox_nvox(b) : 1) * sizeof *out);
    size_t w = (size_t)(b->hi[0] - b->lo[0]), to = 0;
    if (!out) return NULL;
    CROP_LOOP(memcpy(out + to, src + from, w * sizeof *out));
    return out;
}

void paste_u8(uint8_t *dst, const int64_t dim[3], const lbox *b, const uint8_t *crop)
{
    size_t w = (size_t)(b->hi[0] - b->lo[0]), to = 0;
    CROP_LOOP(memcpy(dst + from, crop + to, w));
}

/* m := (distance to the nearest voxel where m == want) compared with r. */
static ms_status threshold_distance(uint8_t *m, const int64_t dim[3], double r, int want, int keep_within)
{
    size_t n = (size_t)dim[0] * (size_t)dim[1] * (size_t)dim[2];
    double *d2 = NULL;
    uint8_t *feature = NULL;
    ms_status st = ms_alloc_array((void **)&d2, n, sizeof *d2, 0, "distance map");
    if (!st) st = ms_alloc_array((void **)&feature, n, 1, 0, "distance map");
    if (!st) {
        for (size_t i = 0; i < n; i++) feature[i] = (m[i] != 0) == want;
        static const double unit[3] = {1, 1, 1};
        st = ms_edt_squared(feature, dim, unit, NULL, d2);
    }
    if (!st) {
        double r2 = r * r;
        for (size_t i = 0; i < n; i++) m[i] = keep_within ? d2[i] <= r2 : d2[i] > r2;
    }
    free(d2);
    free(feature);
    return st;
}

ms_status morph_dilate(uint8_t *m, const int64_t dim[3], double r) { return threshold_distance(m, dim, r, 1, 1); }
ms_status morph_erode(uint8_t *m, const int64_t dim[3], double r) { return threshold_distance(m, dim, r, 0, 0); }

ms_status morph_close(uint8_t *m, const int64_t dim[3], double r)
{
    ms_status st = morph_dilate(m, dim, r);
    return st ? st : morph_erode(m, dim, r);
}

ms_status morph_open(uint8_t *m, const int64_t dim[3], double r)
{
    ms_status st = morph_erode(m, dim, r);
    return st ? st : morph_dilate(m, dim, r);
}

/* Flood fill of the background from the slice border with an explicit stack. */
static void fill_slice(uint8_t *s, int64_t nx, int64_t ny, int64_t *stack)
{
    int64_t top = 0;
    for (int64_t y = 0; y < ny; y++)
        for (int64_t x = 0; x < nx; x++)
            if ((x == 0 || y == 0 || x == nx - 1 || y == ny - 1) && !s[y * nx + x]) {
                s[y * nx + x] = 2;
                stack[top++] = y * nx + x;
            }
    while (top) {
        int64_t p = stack[--top], x = p % nx, y = p / nx;
        int64_t nb[4] = {x > 0 ? p - 1 : -1, x < nx - 1 ? p + 1 : -1, y > 0 ? p - nx : -1, y < ny - 1 ? p + nx : -1};
        for (int k = 0; k < 4; k++)
            if (nb[k] >= 0 && !s[nb[k]]) {
                s[nb[k]] = 2;
                stack[top++] = nb[k];
            }
    }
    for (int64_t i = 0; i < nx * ny; i++) s[i] = s[i] != 2;
}

void fill_holes_2d(uint8_t *m, const int64_t dim[3])
{
    size_t plane = (size_t)dim[0] * (size_t)dim[1];
    int64_t *stack = malloc(plane * sizeof *stack);
    if (!stack) return;   /* leaves holes: a smaller mask, never a wrong one */
    for (int64_t z = 0; z < dim[2]; z++) fill_slice(m + (size_t)z * plane, dim[0], dim[1], stack);
    free(stack);
}

ms_status label_mask(const uint8_t *m, const int64_t dim[3], int conn, int32_t **labels, ms_components *cc)
{
    ms_volume in = {.dim = {dim[0], dim[1], dim[2]}, .dtype = MS_U8, .data = (void *)m, .spacing = {1, 1, 1},
                    .affine = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}};
    ms_volume lab;
    ms_cc_opts o = {conn, 0, MS_DEVICE_CPU};
    ms_status st = ms_label_components(&in, &o, &lab, cc);
    if (st) return st;
    *labels = lab.data;
    return MS_OK;
}

double masked_median(const float *v, const uint8_t *mask, size_t n) { return masked_percentile(v, mask, n, 0.5); }

double masked_percentile(const float *v, const uint8_t *mask, size_t n, double q)
{
    enum { LO = -1024, N = 4096 };
    size_t *h = calloc(N, sizeof *h), total = 0;
    if (!h) return NAN;
    for (size_t i = 0; i < n; i++) {
        if (!mask[i]) continue;
        long b = lrintf(v[i]) - LO;
        h[b < 0 ? 0 : b >= N ? N - 1 : b]++;
        total++;
    }
    double med = NAN;
    for (size_t b = 0, acc = 0; b < N && total; b++)
        if ((double)(acc += h[b]) >= q * (double)total) {
            med = (double)b + LO;
            break;
        }
    free(h);
    return med;
}

double mask_elongation(const uint8_t *m, const int64_t d[3])
{
    double sum[3] = {0}, cov[6] = {0};
    int64_t n = 0;
    size_t i = 0;
    for (int64_t z = 0; z < d[2]; z++)
        for (int64_t y = 0; y < d[1]; y++)
            for (int64_t x = 0; x < d[0]; x++, i++)
                if (m[i]) sum[0] += (double)x, sum[1] += (double)y, sum[2] += (double)z, n++;
    if (n < 2) return 1;
    double c[3] = {sum[0] / (double)n, sum[1] / (double)n, sum[2] / (double)n};
    i = 0;
    for (int64_t z = 0; z < d[2]; z++)
        for (int64_t y = 0; y < d[1]; y++)
            for (int64_t x = 0; x < d[0]; x++, i++) {
                if (!m[i]) continue;
                double p[3] = {(double)x - c[0], (double)y - c[1], (double)z - c[2]};
                cov[0] += p[0] * p[0], cov[1] += p[1] * p[1], cov[2] += p[2] * p[2];
                cov[3] += p[0] * p[1], cov[4] += p[0] * p[2], cov[5] += p[1] * p[2];
            }
    for (int k = 0; k < 6; k++) cov[k] /= (double)n;
    double l[3];
    ms_eig3_sym(cov[0], cov[1], cov[2], cov[3], cov[4], cov[5], l);
    return sqrt(l[2] / fmax(l[0], 1.0 / 12));   /* a voxel's own variance is 1/12 */
}
