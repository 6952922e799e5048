/* FAISS through medseg's shim on synthetic vectors: builds flat and IVF
 * indexes of N unit vectors of D values (seeded), writes them where
 * python3-faiss can time the same files, and prints the per-query search
 * latency (one query at a time, k = 10) over Q queries.
 *   bench_rag N D Q NLIST OUTDIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "faiss_shim.h"
#include "medseg/log.h"
#include "medseg/rng.h"

static float *unit_vectors(int64_t n, int d, uint64_t seed)
{
    float *v = malloc((size_t)n * (size_t)d * sizeof *v);
    ms_rng r;
    ms_rng_seed(&r, seed, 0);
    for (int64_t i = 0; v && i < n; i++) {
        double ss = 0;
        float *x = v + (size_t)i * (size_t)d;
        for (int j = 0; j < d; j++) {
            x[j] = (float)ms_rng_normal(&r);
            ss += (double)x[j] * x[j];
        }
        for (int j = 0; j < d; j++) x[j] = (float)(x[j] / sqrt(ss));
    }
    return v;
}

static void run(const char *kind, int param, int64_t n, int d, const float *x, const float *q, int nq, const char *out)
{
    ms_faiss *ix = NULL;
    double t0 = ms_now();
    if (ms_faiss_new(kind, param, d, &ix) || ms_faiss_train(ix, n, x) || ms_faiss_add(ix, n, x)) {
        fprintf(stderr, "bench_rag: %s\n", ms_last_error());
        exit(1);
    }
    double built = ms_now() - t0;
    float sim[10];
    int64_t ids[10];
    t0 = ms_now();
    for (int i = 0; i < nq; i++) ms_faiss_search(ix, 1, q + (size_t)i * (size_t)d, 10, 0, sim, ids);
    double per = (ms_now() - t0) / nq * 1e3;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%lld.faiss", out, kind, (long long)n);
    ms_faiss_write(ix, path);
    printf("%s %lld %d %.3f %.1f %s\n", kind, (long long)n, ms_faiss_default_probes(ix), per, built, path);
    ms_faiss_free(ix);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: bench_rag N D Q NLIST OUTDIR\n");
        return 2;
    }
    int64_t n = atoll(argv[1]);
    int d = atoi(argv[2]), nq = atoi(argv[3]), nlist = atoi(argv[4]);
    float *x = unit_vectors(n, d, 1), *q = unit_vectors(nq, d, 2);
    if (!x || !q) return 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/queries_%d.f32", argv[5], d);
    FILE *fp = fopen(path, "wb");
    if (fp) fwrite(q, sizeof *q, (size_t)nq * (size_t)d, fp), fclose(fp);
    run("flat", 0, n, d, x, q, nq, argv[5]);
    run("ivf", nlist, n, d, x, q, nq, argv[5]);
    free(x), free(q);
    return 0;
}
