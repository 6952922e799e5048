/* Run extraction for the CPU labeller: each image row becomes a list of
 * maximal runs of foreground (binary) or of one value (per-label). Rows
 * are counted first so that every run has its final slot before any is
 * written: no growing arrays, and threads write disjoint ranges. */
#ifndef MEDSEG_CC_RUNS_H
#define MEDSEG_CC_RUNS_H

#include <stddef.h>
#include <stdint.h>
#include "medseg/components.h"

typedef struct cc_run {
    int32_t x0, x1;        /* [x0, x1) */
} cc_run;

/* Number of runs in a row of nx elements of dtype t. */
size_t cc_count_row(const void *row, ms_dtype t, int64_t nx, int per_label);

/* Writes the row's runs to run[] (and their values to val[] in per-label
 * mode); returns how many, which equals cc_count_row. */
size_t cc_extract_row(cc_run *run, int32_t *val, const void *row, ms_dtype t, int64_t nx, int per_label);

/* Row as a bitmask of nonzero voxels: ceil(nx/64) words, bit x%64 of word
 * x/64, bits past nx zero. */
void cc_row_bits(const void *row, ms_dtype t, int64_t nx, uint64_t *w);

/* Runs of set bits in nw words (bits past the row end must be zero). */
size_t cc_bits_count_runs(const uint64_t *w, size_t nw);
size_t cc_bits_runs(const uint64_t *w, size_t nw, cc_run *run);

/* Walks the runs of a bitmask one at a time (inline: it is the inner loop
 * of block joins). */
typedef struct cc_bit_iter { const uint64_t *w; size_t nw; int64_t pos; } cc_bit_iter;
static inline int cc_bits_next(cc_bit_iter *it, cc_run *r)
{
    size_t i = (size_t)(it->pos >> 6);
    if (i >= it->nw) return 0;
    uint64_t m = it->w[i] & (~0ull << (it->pos & 63));
    while (!m) {
        if (++i >= it->nw) return 0;
        m = it->w[i];
    }
    int64_t x0 = (int64_t)i * 64 + __builtin_ctzll(m);
    m = ~it->w[i] & (~0ull << (x0 & 63));
    while (!m && ++i < it->nw) m = ~it->w[i];
    it->pos = i < it->nw ? (int64_t)i * 64 + __builtin_ctzll(m) : (int64_t)it->nw * 64;
    r->x0 = (int32_t)x0;
    r->x1 = (int32_t)it->pos;
    return 1;
}

/* Adds voxels [r.x0, r.x1) of row (y, z) to a component's size and box;
 * a component's first run also sets its value. */
void cc_take_run(ms_component *m, cc_run r, int64_t y, int64_t z, int64_t value);

/* Splits 0..n into as many slabs as threads (at most n): *count slabs,
 * (*bounds)[i]..(*bounds)[i + 1], which the caller frees. */
ms_status cc_slabs(int64_t n, int64_t **bounds, size_t *count);

/* Union-find root with path halving; links always point to a smaller
 * index, so roots are each set's first element. */
static inline uint32_t cc_find(uint32_t *p, uint32_t x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

/* Checks per-label values fit int32 and are whole numbers. */
ms_status cc_check_label_values(const ms_volume *in);

#endif
