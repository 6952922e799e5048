/* segment and propagate over a prompts CSV (medseg(1), "Running many
 * inputs"): one row per job, columns id,image,slice,box (box "X1,Y1,X2,Y2",
 * quoted); DIR/ID.nii.gz for each, sharded by id. */
#ifndef MEDSEG_CLI_SEG_BATCH_H
#define MEDSEG_CLI_SEG_BATCH_H

#include "batch.h"
#include "medseg/csv.h"

typedef struct seg_batch {
    ms_csv csv;
    int c_id, c_image, c_slice, c_box;
} seg_batch;

/* Runs one row: image, slice and box set for the command, output the
 * row's file. Returns an ms_status. */
typedef int (*seg_row_fn)(const char *image, int slice, const char *box, const char *output);

/* -1 when the command line asks for one image (nargs IMAGE, no batch
 * option); else the exit status of running the prompts CSV's rows through
 * batch_run, usage errors included. */
int seg_batch_dispatch(const cmd_spec *cmd, const batch_opts *b, const char *csv_path, int nargs, seg_row_fn fn);

#endif
