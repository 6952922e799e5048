#include "medseg/rng.h"

#include <math.h>

uint64_t ms_fnv1a64(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

uint64_t ms_hash64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void ms_rng_seed(ms_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = ms_hash64(seed) ^ ms_hash64(stream + 0x632be59bd9b4e019ULL);
    for (int i = 0; i < 4; i++) {
        x = ms_hash64(x);
        r->s[i] = x;
    }
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ms_rng_u64(ms_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ms_rng_uniform(ms_rng *r) { return (double)(ms_rng_u64(r) >> 11) * 0x1.0p-53; }

double ms_rng_range(ms_rng *r, double lo, double hi) { return lo + (hi - lo) * ms_rng_uniform(r); }

double ms_rng_normal(ms_rng *r)
{
    /* Box-Muller without caching the second value keeps streams stateless. */
    double u1 = ms_rng_uniform(r), u2 = ms_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
