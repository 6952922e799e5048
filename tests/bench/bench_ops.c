/* In-process timing of the labelling and resampling ops, so benchmarks
 * compare kernels and not file I/O. Prints the best of R runs in seconds.
 *   bench_ops label IN CONN THREADS R [cpu|cuda]
 *   bench_ops resample IN SX,SY,SZ nearest|linear|cubic THREADS R [cpu|cuda] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/components.h"
#include "medseg/io.h"
#include "medseg/log.h"
#include "medseg/resample.h"
#include "medseg/threads.h"

static int fail(void)
{
    fprintf(stderr, "bench_ops: %s\n", ms_last_error());
    return 1;
}

static int bench_label(const ms_volume *v, int conn, int reps, ms_device dev)
{
    double best = 1e30;
    int64_t count = 0;
    for (int r = 0; r < reps; r++) {
        ms_cc_opts o = {conn, 0, dev};
        ms_volume lab;
        double t0 = ms_now();
        if (ms_label_components(v, &o, &lab, NULL)) return fail();
        double t = ms_now() - t0;
        if (t < best) best = t;
        int32_t mx = 0;
        const int32_t *l = lab.data;
        for (size_t i = 0; i < ms_volume_nvox(&lab); i++)
            if (l[i] > mx) mx = l[i];
        count = mx;
        ms_volume_free(&lab);
    }
    printf("%.6f %lld\n", best, (long long)count);
    return 0;
}

static int bench_resample(const ms_volume *v, const char *spacing, const char *interp, int reps, ms_device dev)
{
    double s[3];
    if (sscanf(spacing, "%lf,%lf,%lf", &s[0], &s[1], &s[2]) != 3) return 2;
    ms_resample_opts o = {strcmp(interp, "nearest") == 0 ? MS_INTERP_NEAREST
                          : strcmp(interp, "cubic") == 0 ? MS_INTERP_CUBIC : MS_INTERP_LINEAR,
                          0, -1024, v->dtype, dev};
    ms_grid g;
    if (ms_grid_from_spacing(v, s, &g)) return fail();
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        ms_volume out;
        double t0 = ms_now();
        if (ms_resample(v, &g, &o, &out, NULL)) return fail();
        double t = ms_now() - t0;
        if (t < best) best = t;
        ms_volume_free(&out);
    }
    printf("%.6f %lldx%lldx%lld\n", best, (long long)g.dim[0], (long long)g.dim[1], (long long)g.dim[2]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench_ops label IN CONN THREADS R [dev] | resample IN S,S,S INTERP THREADS R [dev]\n");
        return 2;
    }
    int resample = strcmp(argv[1], "resample") == 0;
    int targ = resample ? 5 : 4;
    if (argc < targ + 2) return 2;
    ms_threads_set(atoi(argv[targ]));
    int reps = atoi(argv[targ + 1]);
    ms_device dev = MS_DEVICE_CPU;
    if (argc > targ + 2 && ms_device_resolve(argv[targ + 2], &dev)) return fail();
    ms_volume v;
    if (ms_read_volume(argv[2], NULL, &v, NULL)) return fail();
    int rc = resample ? bench_resample(&v, argv[3], argv[4], reps, dev) : bench_label(&v, atoi(argv[3]), reps, dev);
    ms_volume_free(&v);
    return rc;
}
