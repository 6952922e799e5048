/* Surface elements for surface distances. A surfel is a 2x2x2 cube of
 * voxels that is neither all inside nor all outside (DeepMind's
 * surface-distance places them on the same dual grid). Its weight is the
 * area of the marching-cubes surface inside the cube at level 0.5: the
 * surface crosses every edge with one inside end at its midpoint, and on
 * each face those crossings are joined so that inside corners are cut off
 * singly when a face is ambiguous (two diagonal corners inside). The
 * crossings join into closed loops; a loop's area is taken as the length
 * of its vector area (half the sum of p_i x p_i+1), which is the area of
 * a planar loop and needs no choice of triangulation for a skew one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/metrics.h"

/* Cube corner c sits at (c & 1, c >> 1 & 1, c >> 2 & 1). Faces list their
 * corners in cyclic order. */
static const int faces[6][4] = {{0, 2, 6, 4}, {1, 3, 7, 5}, {0, 1, 5, 4}, {2, 3, 7, 6}, {0, 1, 3, 2}, {4, 5, 7, 6}};

/* Index 0..11 of the edge joining corners a and b (they differ in one bit). */
static int edge_of(int a, int b)
{
    int axis = (a ^ b) == 1 ? 0 : (a ^ b) == 2 ? 1 : 2, base = a & b;
    int rest = axis == 0 ? base >> 1 : axis == 1 ? (base & 1) | (base >> 2) << 1 : base & 3;
    return axis * 4 + rest;
}

static void edge_midpoint(int e, const double s[3], double p[3])
{
    int axis = e / 4, rest = e % 4;
    int o1 = axis == 0 ? 1 : 0, o2 = axis == 2 ? 1 : 2;
    p[axis] = 0.5 * s[axis];
    p[o1] = (rest & 1) * s[o1];
    p[o2] = (rest >> 1 & 1) * s[o2];
}

/* Adds segment e1-e2 to the partner table (each crossing edge gets one
 * partner per face it lies on). */
static void link(int partner[12][2], int e1, int e2)
{
    partner[e1][partner[e1][0] < 0 ? 0 : 1] = e2;
    partner[e2][partner[e2][0] < 0 ? 0 : 1] = e1;
}

static void face_segments(int code, const int f[4], int partner[12][2])
{
    int in[4], n = 0;
    for (int i = 0; i < 4; i++) n += in[i] = code >> f[i] & 1;
    if (n == 0 || n == 4) return;
    if (n == 2 && in[0] == in[2]) {
        /* Ambiguous: cut off each inside corner on its own. */
        for (int i = 0; i < 4; i++)
            if (in[i]) link(partner, edge_of(f[i], f[(i + 3) % 4]), edge_of(f[i], f[(i + 1) % 4]));
        return;
    }
    int e[2], m = 0;
    for (int i = 0; i < 4; i++)
        if (in[i] != in[(i + 1) % 4]) e[m++] = edge_of(f[i], f[(i + 1) % 4]);
    link(partner, e[0], e[1]);
}

static double code_area(int code, const double s[3])
{
    int partner[12][2];
    memset(partner, -1, sizeof partner);
    for (int f = 0; f < 6; f++) face_segments(code, faces[f], partner);
    int seen[12] = {0};
    double total = 0;
    for (int start = 0; start < 12; start++) {
        if (partner[start][0] < 0 || seen[start]) continue;
        double sum[3] = {0, 0, 0}, a[3], b[3];
        int prev = -1, cur = start;
        do {
            seen[cur] = 1;
            int next = partner[cur][0] != prev ? partner[cur][0] : partner[cur][1];
            edge_midpoint(cur, s, a);
            edge_midpoint(next, s, b);
            sum[0] += a[1] * b[2] - a[2] * b[1];
            sum[1] += a[2] * b[0] - a[0] * b[2];
            sum[2] += a[0] * b[1] - a[1] * b[0];
            prev = cur;
            cur = next;
        } while (cur != start);
        total += 0.5 * sqrt(sum[0] * sum[0] + sum[1] * sum[1] + sum[2] * sum[2]);
    }
    return total;
}

void ms_surfel_areas(const double s[3], double area[256])
{
    for (int c = 0; c < 256; c++) area[c] = code_area(c, s);
}

typedef struct surfel {
    double d, a;
} surfel;

static int by_distance(const void *x, const void *y)
{
    double a = ((const surfel *)x)->d, b = ((const surfel *)y)->d;
    return a < b ? -1 : a > b;
}

/* DeepMind's robust Hausdorff: sort by distance, and take the distance of
 * the first surfel whose cumulative area reaches percent of the total. */
double ms_surfel_percentile(const double *d, const double *a, int64_t n, double percent)
{
    if (n == 0) return NAN;
    surfel *v = malloc((size_t)n * sizeof *v);
    if (!v) return NAN;
    for (int64_t i = 0; i < n; i++) v[i] = (surfel){d[i], a[i]};
    qsort(v, (size_t)n, sizeof *v, by_distance);
    double total = 0;   /* summed in sorted order, as the running sum below */
    for (int64_t i = 0; i < n; i++) total += v[i].a;
    double cum = 0, r = v[n - 1].d;
    for (int64_t i = 0; i < n; i++) {
        cum += v[i].a;
        if (cum / total >= percent / 100.0) {
            r = v[i].d;
            break;
        }
    }
    free(v);
    return r;
}
