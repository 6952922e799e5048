/* Deterministic random numbers: SplitMix64 seeding xoshiro256**, with
 * independent per-item streams derived from (seed, stream id). */
#ifndef MEDSEG_RNG_H
#define MEDSEG_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_rng { uint64_t s[4]; } ms_rng;

void ms_rng_seed(ms_rng *r, uint64_t seed, uint64_t stream);
uint64_t ms_rng_u64(ms_rng *r);
double ms_rng_uniform(ms_rng *r);                 /* [0, 1) */
double ms_rng_range(ms_rng *r, double lo, double hi);
double ms_rng_normal(ms_rng *r);                  /* N(0, 1) */
uint64_t ms_hash64(uint64_t x);                   /* SplitMix64 finaliser */
/* FNV-1a over n bytes, continuing from h (start with MS_FNV1A_START). */
#define MS_FNV1A_START 1469598103934665603ULL
uint64_t ms_fnv1a64(uint64_t h, const void *data, size_t n);

#ifdef __cplusplus
}
#endif
#endif
