#include "medseg/threads.h"

#include <pthread.h>
#include <unistd.h>

static int n_threads;

void ms_threads_set(int n) { n_threads = n > 0 ? n : 0; }

int ms_threads_get(void)
{
    if (n_threads > 0) return n_threads;
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c > 0 ? (int)c : 1;
}

typedef struct {
    ms_range_fn fn;
    void *ctx;
    size_t n, chunk;
    size_t next;            /* next chunk start, taken under the lock */
    pthread_mutex_t lock;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t b = j->next;
        j->next = b < j->n ? b + j->chunk : b;
        pthread_mutex_unlock(&j->lock);
        if (b >= j->n) return NULL;
        size_t e = b + j->chunk < j->n ? b + j->chunk : j->n;
        j->fn(j->ctx, b, e);
    }
}

void ms_parallel_for(size_t n, size_t min_chunk, ms_range_fn fn, void *ctx)
{
    ms_parallel_for_n(n, min_chunk, ms_threads_get(), fn, ctx);
}

void ms_parallel_for_n(size_t n, size_t min_chunk, int t, ms_range_fn fn, void *ctx)
{
    if (n == 0) return;
    if (t < 1) t = 1;
    if (min_chunk == 0) min_chunk = 1;
    /* Several chunks per thread balance uneven work; chunk boundaries never
     * change results because each index writes only its own output. */
    size_t chunk = n / ((size_t)t * 8);
    if (chunk < min_chunk) chunk = min_chunk;
    if (t == 1 || chunk >= n) {
        fn(ctx, 0, n);
        return;
    }
    job j = {fn, ctx, n, chunk, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t tid[256];
    int started = 0;
    for (int i = 1; i < t && i < 256; i++)
        if (pthread_create(&tid[started], NULL, worker, &j) == 0) started++;
    worker(&j);
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
}
