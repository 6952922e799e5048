/* Sampling arithmetic shared by the CPU resampler (lib/ops) and the CUDA
 * kernels, so both read the same voxels with the same weights. A sample at
 * continuous index c is inside an axis of n voxels when it lies within the
 * voxels' footprint, -0.5 <= c <= n - 0.5. */
#ifndef MEDSEG_SAMPLE_MATH_H
#define MEDSEG_SAMPLE_MATH_H

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define MS_HD __host__ __device__ static inline
#else
#define MS_HD static inline
#endif

/* c = m[0]*i + m[1]*j + m[2]*k + m[3], evaluated left to right without
 * fused multiply-adds so host and device round identically. */
MS_HD double ms_coord(const double *m, double i, double j, double k)
{
#ifdef __CUDA_ARCH__
    return __dadd_rn(__dadd_rn(__dadd_rn(__dmul_rn(m[0], i), __dmul_rn(m[1], j)), __dmul_rn(m[2], k)), m[3]);
#else
    return m[0] * i + m[1] * j + m[2] * k + m[3];
#endif
}

MS_HD int ms_inside(double c, int64_t n) { return c >= -0.5 && c <= (double)n - 0.5; }

MS_HD int64_t ms_clamp_index(int64_t i, int64_t n) { return i < 0 ? 0 : i >= n ? n - 1 : i; }

/* Whole-sample mirror (d c b | a b c d): scipy's "mirror" boundary. */
MS_HD int64_t ms_mirror_index(int64_t i, int64_t n)
{
    if (n == 1) return 0;
    int64_t period = 2 * (n - 1);
    i = i < 0 ? -i : i;
    i %= period;
    return i >= n ? period - i : i;
}

MS_HD int64_t ms_nearest_index(double c, int64_t n) { return ms_clamp_index((int64_t)floor(c + 0.5), n); }

/* Linear: the two clamped neighbours and the weight of the second. */
MS_HD void ms_linear_index(double c, int64_t n, int64_t *i0, int64_t *i1, double *t)
{
    double f = floor(c);
    *t = c - f;
    *i0 = ms_clamp_index((int64_t)f, n);
    *i1 = ms_clamp_index((int64_t)f + 1, n);
}

/* Trilinear weight of corner n of the cell: bit 0 picks the second
 * neighbour on x, bit 1 on y, bit 2 on z. */
MS_HD double ms_corner_weight(int n, const double t[3])
{
    return (n & 1 ? t[0] : 1 - t[0]) * (n & 2 ? t[1] : 1 - t[1]) * (n & 4 ? t[2] : 1 - t[2]);
}

/* Label vote over the eight corners: the value with the largest summed
 * weight; ties go to a nonzero value, the smallest. */
MS_HD double ms_label_vote(const double v[8], const double w[8])
{
    double val[8], wsum[8];
    int nv = 0;
    for (int n = 0; n < 8; n++) {
        int k = 0;
        while (k < nv && val[k] != v[n]) k++;
        if (k == nv) {
            val[nv] = v[n];
            wsum[nv++] = 0;
        }
        wsum[k] += w[n];
    }
    int best = 0;
    for (int k = 1; k < nv; k++) {
        int better = wsum[k] > wsum[best];
        if (wsum[k] == wsum[best]) better = val[best] == 0 || (val[k] != 0 && val[k] < val[best]);
        if (better) best = k;
    }
    return val[best];
}

/* Cubic B-spline: first of four (unfolded) neighbours and their weights. */
MS_HD int64_t ms_cubic_weights(double c, double w[4])
{
    double f = floor(c), t = c - f, u = 1.0 - t, t2 = t * t, t3 = t2 * t;
    w[0] = u * u * u / 6.0;
    w[1] = (3.0 * t3 - 6.0 * t2 + 4.0) / 6.0;
    w[2] = (-3.0 * t3 + 3.0 * t2 + 3.0 * t + 1.0) / 6.0;
    w[3] = t3 / 6.0;
    return (int64_t)f - 1;
}

#endif
