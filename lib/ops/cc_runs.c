#include "cc_runs.h"

#include <string.h>

#include "medseg/threads.h"

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

/* Bits of voxels base..base+63 (fewer at the row end: the rest are 0). */
static inline uint64_t word_bits(const uint8_t *p, int64_t base, int64_t nx)
{
    if (base + 64 <= nx) return nonzero_bits(p + base);
    uint64_t bits = 0;
    for (int64_t k = 0; base + k < nx; k++) bits |= (uint64_t)(p[base + k] != 0) << k;
    return bits;
}

static size_t count_u8_binary(const uint8_t *p, int64_t nx)
{
    size_t n = 0;
    uint64_t prev = 0;   /* the last voxel of the previous word, as bit 0 */
    for (int64_t base = 0; base < nx; base += 64) {
        uint64_t bits = word_bits(p, base, nx);
        n += (size_t)__builtin_popcountll(bits & ~(bits << 1 | prev));
        prev = bits >> 63;
    }
    return n;
}

/* Rising edges open a run, falling edges close it; a word's bits past the
 * row end are 0, so a run reaching the end closes there. */
static size_t extract_u8_binary(cc_run *run, const uint8_t *p, int64_t nx)
{
    size_t n = 0;
    int32_t x0 = 0;
    uint64_t prev = 0;
    for (int64_t base = 0; base < nx; base += 64) {
        uint64_t bits = word_bits(p, base, nx);
        uint64_t change = bits ^ (bits << 1 | prev);
        while (change) {
            int k = __builtin_ctzll(change);
            change &= change - 1;
            if (bits >> k & 1) {
                x0 = (int32_t)(base + k);
            } else {
                run[n].x0 = x0;
                run[n++].x1 = (int32_t)(base + k);
            }
        }
        prev = bits >> 63;
    }
    if (prev) {   /* only a full last word can end in an open run */
        run[n].x0 = x0;
        run[n++].x1 = (int32_t)nx;
    }
    return n;
}

void cc_row_bits(const void *row, ms_dtype t, int64_t nx, uint64_t *w)
{
    size_t nw = (size_t)(nx + 63) / 64;
    if (t == MS_U8) {
        for (size_t i = 0; i < nw; i++) w[i] = word_bits(row, (int64_t)i * 64, nx);
        return;
    }
    memset(w, 0, nw * sizeof *w);
#define ROW_BITS(T)                                                               \
    do {                                                                          \
        const T *r_ = row;                                                        \
        for (int64_t x = 0; x < nx; x++) w[x >> 6] |= (uint64_t)(r_[x] != 0) << (x & 63); \
    } while (0)
    switch (t) {
    case MS_I16: ROW_BITS(int16_t); break;
    case MS_U16: ROW_BITS(uint16_t); break;
    case MS_I32: ROW_BITS(int32_t); break;
    case MS_F32: ROW_BITS(float); break;
    default: ROW_BITS(double); break;
    }
#undef ROW_BITS
}

size_t cc_bits_count_runs(const uint64_t *w, size_t nw)
{
    size_t n = 0;
    uint64_t prev = 0;
    for (size_t i = 0; i < nw; i++) {
        n += (size_t)__builtin_popcountll(w[i] & ~(w[i] << 1 | prev));
        prev = w[i] >> 63;
    }
    return n;
}

size_t cc_bits_runs(const uint64_t *w, size_t nw, cc_run *run)
{
    cc_bit_iter it = {w, nw, 0};
    size_t n = 0;
    while (cc_bits_next(&it, &run[n])) n++;
    return n;
}

/* Generic rows: a run is a maximal stretch of nonzero voxels (binary) or
 * of one nonzero value (per-label). With run == NULL it only counts. */
#define DEFINE_ROW(NAME, T)                                                          \
    static size_t NAME(cc_run *run, int32_t *val, const T *p, int64_t nx, int per_label) \
    {                                                                                \
        size_t n = 0;                                                                \
        int64_t x = 0;                                                               \
        while (x < nx) {                                                             \
            while (x < nx && p[x] == 0) x++;                                         \
            if (x == nx) break;                                                      \
            int64_t x0 = x;                                                          \
            T v = p[x];                                                              \
            if (per_label)                                                           \
                while (x < nx && p[x] == v) x++;                                     \
            else                                                                     \
                while (x < nx && p[x] != 0) x++;                                     \
            if (run) {                                                               \
                run[n].x0 = (int32_t)x0;                                             \
                run[n].x1 = (int32_t)x;                                              \
                if (per_label) val[n] = (int32_t)v;                                  \
            }                                                                        \
            n++;                                                                     \
        }                                                                            \
        return n;                                                                    \
    }

DEFINE_ROW(row_u8, uint8_t)
DEFINE_ROW(row_i16, int16_t)
DEFINE_ROW(row_u16, uint16_t)
DEFINE_ROW(row_i32, int32_t)
DEFINE_ROW(row_f32, float)
DEFINE_ROW(row_f64, double)

static size_t generic_row(cc_run *run, int32_t *val, const void *row, ms_dtype t, int64_t nx, int per_label)
{
    switch (t) {
    case MS_U8: return row_u8(run, val, row, nx, per_label);
    case MS_I16: return row_i16(run, val, row, nx, per_label);
    case MS_U16: return row_u16(run, val, row, nx, per_label);
    case MS_I32: return row_i32(run, val, row, nx, per_label);
    case MS_F32: return row_f32(run, val, row, nx, per_label);
    case MS_F64: return row_f64(run, val, row, nx, per_label);
    default: return 0;
    }
}

size_t cc_count_row(const void *row, ms_dtype t, int64_t nx, int per_label)
{
    if (t == MS_U8 && !per_label) return count_u8_binary(row, nx);
    return generic_row(NULL, NULL, row, t, nx, per_label);
}

size_t cc_extract_row(cc_run *run, int32_t *val, const void *row, ms_dtype t, int64_t nx, int per_label)
{
    if (t == MS_U8 && !per_label) return extract_u8_binary(run, row, nx);
    return generic_row(run, val, row, t, nx, per_label);
}

ms_status cc_slabs(int64_t n, int64_t **bounds, size_t *count)
{
    int64_t t = ms_threads_get();
    *count = (size_t)(t < n ? t : n);
    ms_status st = ms_alloc_array((void **)bounds, *count + 1, sizeof **bounds, 0, "labelling slabs");
    for (size_t i = 0; !st && i <= *count; i++) (*bounds)[i] = n * (int64_t)i / (int64_t)*count;
    return st;
}

void cc_take_run(ms_component *m, cc_run r, int64_t y, int64_t z, int64_t value)
{
    int64_t x0 = r.x0, x1 = r.x1 - 1;
    if (m->size == 0) {
        m->lo[0] = x0, m->lo[1] = y, m->lo[2] = z;
        m->hi[0] = x1, m->hi[1] = y, m->hi[2] = z;
        m->value = value;
    }
    m->size += x1 - x0 + 1;
    if (x0 < m->lo[0]) m->lo[0] = x0;
    if (x1 > m->hi[0]) m->hi[0] = x1;
    if (y < m->lo[1]) m->lo[1] = y;
    if (y > m->hi[1]) m->hi[1] = y;
    m->hi[2] = z;
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
