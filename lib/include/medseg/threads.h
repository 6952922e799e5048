/* One worker count shared by every parallel loop. Results never depend on
 * it: work is split into fixed chunks that each write their own output. */
#ifndef MEDSEG_THREADS_H
#define MEDSEG_THREADS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void ms_threads_set(int n);      /* 0: all cores */
int ms_threads_get(void);

/* Calls fn(ctx, begin, end) over [0, n) split into chunks run on up to
 * ms_threads_get() threads; returns when all are done. */
typedef void (*ms_range_fn)(void *ctx, size_t begin, size_t end);
void ms_parallel_for(size_t n, size_t min_chunk, ms_range_fn fn, void *ctx);
/* The same with an explicit thread count (outer loops whose bodies use the
 * shared count themselves). */
void ms_parallel_for_n(size_t n, size_t min_chunk, int threads, ms_range_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
