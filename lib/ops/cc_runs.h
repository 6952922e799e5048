/* Run extraction for the CPU labeller: each image row becomes a list of
 * maximal runs of foreground (binary) or of one value (per-label). Rows
 * are counted first so that every run has its final slot before any is
 * written: no growing arrays, and threads write disjoint ranges. */
#ifndef MEDSEG_CC_RUNS_H
#define MEDSEG_CC_RUNS_H

#include <stddef.h>
#include <stdint.h>
#include "medseg/volume.h"

typedef struct cc_run {
    int32_t x0, x1;        /* [x0, x1) */
} cc_run;

/* Number of runs in a row of nx elements of dtype t. */
size_t cc_count_row(const void *row, ms_dtype t, int64_t nx, int per_label);

/* Writes the row's runs to run[] (and their values to val[] in per-label
 * mode); returns how many, which equals cc_count_row. */
size_t cc_extract_row(cc_run *run, int32_t *val, const void *row, ms_dtype t, int64_t nx, int per_label);

/* Checks per-label values fit int32 and are whole numbers. */
ms_status cc_check_label_values(const ms_volume *in);

#endif
