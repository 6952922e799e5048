/* SDF query throughput: the union mesh of a label map (marching cubes),
 * normalised to the unit sphere, queried at N points (half uniform in
 * [-1,1]^3, half within 0.05 of the surface). Prints one line per device:
 * "DEVICE THREADS triangles seconds queries/s" (best of 3). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/device.h"
#include "medseg/io.h"
#include "medseg/log.h"
#include "medseg/rng.h"
#include "medseg/sdf.h"
#include "medseg/threads.h"

static int mesh_of(const char *path, ms_mesh *m)
{
    ms_volume v;
    if (ms_read_volume(path, NULL, &v, NULL)) return 1;
    size_t n = ms_volume_nvox(&v);
    uint8_t *cls = malloc(n);
    ms_region r = {.cls = cls, .cls_id = 0};
    for (int a = 0; a < 3; a++) {
        r.dim[a] = v.dim[a];
        r.lo[a] = v.dim[a];
        r.hi[a] = -1;
    }
    memcpy(r.affine, v.affine, sizeof r.affine);
    size_t i = 0;
    for (int64_t z = 0; z < v.dim[2]; z++)
        for (int64_t y = 0; y < v.dim[1]; y++)
            for (int64_t x = 0; x < v.dim[0]; x++, i++) {
                cls[i] = ms_volume_get(&v, i) != 0;
                int64_t p[3] = {x, y, z};
                for (int a = 0; cls[i] && a < 3; a++) {
                    if (p[a] < r.lo[a]) r.lo[a] = p[a];
                    if (p[a] > r.hi[a]) r.hi[a] = p[a];
                }
            }
    int bad = ms_marching_cubes(&r, m) != MS_OK;
    free(cls);
    ms_volume_free(&v);
    return bad;
}

static void normalise(ms_mesh *m)
{
    double c[3] = {0, 0, 0}, far = 0;
    for (int64_t i = 0; i < m->nv; i++)
        for (int a = 0; a < 3; a++) c[a] += m->v[3 * i + a] / (double)m->nv;
    for (int64_t i = 0; i < m->nv; i++) {
        double d = 0;
        for (int a = 0; a < 3; a++) d += (m->v[3 * i + a] - c[a]) * (m->v[3 * i + a] - c[a]);
        far = fmax(far, sqrt(d));
    }
    for (int64_t i = 0; i < m->nv; i++)
        for (int a = 0; a < 3; a++) m->v[3 * i + a] = (m->v[3 * i + a] - c[a]) / far;
}

static void make_points(const ms_mesh *m, float *p, int64_t n)
{
    ms_rng g;
    ms_rng_seed(&g, 1, 2);
    for (int64_t i = 0; i < n; i++) {
        if (i < n / 2) {
            for (int a = 0; a < 3; a++) p[3 * i + a] = (float)ms_rng_range(&g, -1, 1);
        } else {
            int64_t v = (int64_t)(ms_rng_u64(&g) % (uint64_t)m->nv);
            for (int a = 0; a < 3; a++) p[3 * i + a] = (float)(m->v[3 * v + a] + 0.05 * ms_rng_normal(&g));
        }
    }
}

static void run(const ms_sdf_mesh *s, const float *p, int64_t n, ms_device dev, int threads, int64_t nt)
{
    float *out = malloc((size_t)n * sizeof *out);
    double best = 1e30;
    ms_threads_set(threads);
    for (int r = 0; r < 3; r++) {
        double t = ms_now();
        if (ms_sdf_eval(s, p, n, dev, out, NULL)) {
            fprintf(stderr, "bench_sdf: %s\n", ms_last_error());
            break;
        }
        t = ms_now() - t;
        best = t < best ? t : best;
    }
    printf("%s %d %lld %.6f %.0f\n", ms_device_name(dev), threads, (long long)nt, best, (double)n / best);
    free(out);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_sdf LABELS.nii N\n");
        return 2;
    }
    int64_t n = atoll(argv[2]);
    ms_mesh m;
    if (mesh_of(argv[1], &m)) {
        fprintf(stderr, "bench_sdf: %s\n", ms_last_error());
        return 1;
    }
    normalise(&m);
    ms_sdf_mesh *s;
    double t = ms_now();
    if (ms_sdf_build(&m, &s)) return 1;
    fprintf(stderr, "bench_sdf: %lld triangles, hierarchy built in %.3f s\n", (long long)m.nt, ms_now() - t);
    float *p = malloc((size_t)n * 3 * sizeof *p);
    make_points(&m, p, n);
    run(s, p, n, MS_DEVICE_CPU, 1, m.nt);
    run(s, p, n, MS_DEVICE_CPU, 2, m.nt);
    if (ms_cuda_devices() > 0) run(s, p, n, MS_DEVICE_CUDA, 1, m.nt);
    free(p);
    ms_sdf_free(s);
    ms_mesh_free(&m);
    return 0;
}
