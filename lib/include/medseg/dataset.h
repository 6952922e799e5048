/* prepare-npz over many label maps: listing, sharding, train/val split,
 * partial-label variants, CSVs for the VecSetX loader, per-case failures. */
#ifndef MEDSEG_DATASET_H
#define MEDSEG_DATASET_H

#include "shape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_case {
    char *path, *stem;
    int val;                 /* in the validation split */
    int mine;                /* in this shard */
    int done, skipped;
    ms_status status;        /* of this run; MS_OK when not run */
    char *error;
    int n_variants_written;
    double seconds[4];       /* meshing, sampling, SDF, writing */
} ms_case;

typedef struct ms_dataset_opts {
    ms_shape_opts shape;
    const char *out_dir;
    const char *csv_dir;            /* NULL: no CSVs */
    double val_fraction;
    const char *category;
    int drop_lo, drop_hi, copies;   /* copies 0: no drop variants */
    int n_subsets;
    const uint8_t (*subsets)[MS_SHAPE_MAX_CLASSES];
    int shard_i, shard_n;           /* 0 <= i < n */
    int jobs;
    int skip_existing;
    void (*on_case)(const ms_case *c, void *ctx);   /* after each case, serialised */
    void *ctx;
} ms_dataset_opts;

typedef struct ms_dataset {
    ms_case *cases;
    int n;
} ms_dataset;

/* Files and directories (their *.nii / *.nii.gz) into cases sorted by stem;
 * two inputs with the same stem are a usage error. */
ms_status ms_dataset_list(const char *const *inputs, int n_inputs, ms_dataset *d);
void ms_dataset_free(ms_dataset *d);

/* Runs this shard's cases; a failing case is recorded and the others go on.
 * Returns MS_OK even when cases failed; the caller reads d->cases. */
ms_status ms_dataset_prepare(ms_dataset *d, const ms_dataset_opts *o);

/* Parses "1,2,3:4,5" into subsets of classes 1..C. */
ms_status ms_subsets_parse(const char *s, int C, uint8_t (*out)[MS_SHAPE_MAX_CLASSES], int max, int *n);

#ifdef __cplusplus
}
#endif
#endif
