/* Run extraction for the CPU labeller: each image row becomes a list of
 * maximal runs of foreground (binary) or of one value (per-label). */
#ifndef MEDSEG_CC_RUNS_H
#define MEDSEG_CC_RUNS_H

#include <stddef.h>
#include <stdint.h>
#include "medseg/volume.h"

typedef struct cc_run {
    int32_t x0, x1;        /* [x0, x1) */
} cc_run;

/* Growable run list of one slab (or of the whole volume). */
typedef struct cc_runs {
    cc_run *run;
    int32_t *val;          /* per-label mode only */
    size_t n, cap;
} cc_runs;

/* Appends the runs of row `row` (nx elements of dtype t) to r; returns 0 on
 * allocation failure. */
int cc_extract_row(cc_runs *r, const void *row, ms_dtype t, int64_t nx, int per_label);
void cc_runs_free(cc_runs *r);

/* Checks per-label values fit int32 and are whole numbers. */
ms_status cc_check_label_values(const ms_volume *in);

#endif
