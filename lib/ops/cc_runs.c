#include "cc_runs.h"

#include <stdlib.h>
#include <string.h>

static int grow(cc_runs *r, int per_label)
{
    size_t cap = r->cap ? r->cap * 2 : 4096;
    cc_run *nr = realloc(r->run, cap * sizeof *nr);
    if (!nr) return 0;
    r->run = nr;
    if (per_label) {
        int32_t *nv = realloc(r->val, cap * sizeof *nv);
        if (!nv) return 0;
        r->val = nv;
    }
    r->cap = cap;
    return 1;
}

static inline int push(cc_runs *r, int64_t x0, int64_t x1, int32_t v, int per_label)
{
    if (r->n == r->cap && !grow(r, per_label)) return 0;
    r->run[r->n].x0 = (int32_t)x0;
    r->run[r->n].x1 = (int32_t)x1;
    if (per_label) r->val[r->n] = v;
    r->n++;
    return 1;
}

/* Binary uint8 rows dominate (masks). A row is turned into 64-voxel
 * bitmasks, and runs are read off the bit transitions, so the cost is one
 * step per run, not a branch per voxel (noise has a run every 4 voxels). */
#if defined(__SSE2__)
#include <emmintrin.h>
static inline uint64_t nonzero_bits(const uint8_t *p)
{
    const __m128i zero = _mm_setzero_si128();
    uint64_t bits = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        bits |= (uint64_t)(uint16_t)~_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) << (16 * k);
    }
    return bits;
}
#else
static inline uint64_t nonzero_bits(const uint8_t *p)
{
    uint64_t bits = 0;
    for (int k = 0; k < 64; k++) bits |= (uint64_t)(p[k] != 0) << k;
    return bits;
}
#endif

static int extract_u8_binary(cc_runs *r, const uint8_t *p, int64_t nx)
{
    int64_t x0 = 0;
    uint64_t prev = 0;   /* the last voxel of the previous word, as bit 0 */
    for (int64_t base = 0; base < nx; base += 64) {
        uint64_t bits, valid = ~0ull;
        if (base + 64 <= nx) {
            bits = nonzero_bits(p + base);
        } else {
            bits = 0;
            for (int64_t k = 0; base + k < nx; k++) bits |= (uint64_t)(p[base + k] != 0) << k;
            valid = (1ull << (nx - base)) - 1;
        }
        uint64_t change = (bits ^ (bits << 1 | prev)) & valid;
        while (change) {
            int k = __builtin_ctzll(change);
            change &= change - 1;
            if (bits >> k & 1) x0 = base + k;
            else if (!push(r, x0, base + k, 1, 0)) return 0;
        }
        prev = bits >> 63;
    }
    /* A run reaching the end of the row has no falling edge. */
    if (nx > 0 && p[nx - 1] && !push(r, x0, nx, 1, 0)) return 0;
    return 1;
}

#define DEFINE_EXTRACT(NAME, T)                                                  \
    static int NAME(cc_runs *r, const T *p, int64_t nx, int per_label)        \
    {                                                                            \
        int64_t x = 0;                                                           \
        while (x < nx) {                                                         \
            while (x < nx && p[x] == 0) x++;                                     \
            if (x == nx) break;                                                  \
            int64_t x0 = x;                                                      \
            T v = p[x];                                                          \
            if (per_label)                                                       \
                while (x < nx && p[x] == v) x++;                                 \
            else                                                                 \
                while (x < nx && p[x] != 0) x++;                                 \
            if (!push(r, x0, x, per_label ? (int32_t)v : 1, per_label)) return 0; \
        }                                                                        \
        return 1;                                                                \
    }

DEFINE_EXTRACT(extract_u8, uint8_t)
DEFINE_EXTRACT(extract_i16, int16_t)
DEFINE_EXTRACT(extract_u16, uint16_t)
DEFINE_EXTRACT(extract_i32, int32_t)
DEFINE_EXTRACT(extract_f32, float)
DEFINE_EXTRACT(extract_f64, double)

int cc_extract_row(cc_runs *r, const void *row, ms_dtype t, int64_t nx, int per_label)
{
    switch (t) {
    case MS_U8: return per_label ? extract_u8(r, row, nx, 1) : extract_u8_binary(r, row, nx);
    case MS_I16: return extract_i16(r, row, nx, per_label);
    case MS_U16: return extract_u16(r, row, nx, per_label);
    case MS_I32: return extract_i32(r, row, nx, per_label);
    case MS_F32: return extract_f32(r, row, nx, per_label);
    case MS_F64: return extract_f64(r, row, nx, per_label);
    default: return 0;
    }
}

void cc_runs_free(cc_runs *r)
{
    free(r->run);
    free(r->val);
    memset(r, 0, sizeof *r);
}

ms_status cc_check_label_values(const ms_volume *in)
{
    double bad, lo, hi;
    if (ms_dtype_is_integer(in->dtype)) return MS_OK;   /* every integer dtype fits int32 */
    if (ms_volume_find_fraction(in, &bad))
        return ms_fail(MS_ERR_INPUT, "per-label components need whole-number labels; found %g", bad);
    ms_volume_minmax(in, &lo, &hi);
    if (lo < -2147483648.0 || hi > 2147483647.0)
        return ms_fail(MS_ERR_INPUT, "per-label components need labels within int32; found %g..%g", lo, hi);
    return MS_OK;
}
