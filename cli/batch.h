/* Many inputs in one command (medseg(1), "Running many inputs"): a list
 * (--list FILE and/or positional inputs), a deterministic shard of it
 * (--shard I/N|slurm), finished outputs kept (--skip-existing), J inputs at
 * a time (--jobs), one process each so a crash stays with its input, and
 * the failures in failed.tsv. */
#ifndef MEDSEG_CLI_BATCH_H
#define MEDSEG_CLI_BATCH_H

#include <stddef.h>
#include "opt.h"

typedef struct batch_opts {
    const char *list, *out_dir, *shard;
    int skip_existing, jobs;
} batch_opts;

/* The options every batch-capable command adds to its table (commands
 * whose inputs come from a table of their own leave out --list). */
#define BATCH_OPT_SPECS(b)                                                                                        \
    {"list", 0, OPT_STR, "FILE", "inputs, one a line (# comments and blank lines skipped), with any positional ones", \
     &(b).list},                                                                                                  \
    BATCH_OUT_SPECS(b)
#define BATCH_OUT_SPECS(b)                                                                                        \
    {"out-dir", 0, OPT_STR, "DIR", "run over many inputs, one output each in DIR (see medseg(1))", &(b).out_dir},  \
    {"shard", 0, OPT_STR, "I/N|slurm", "only the inputs whose name hashes to shard I of N (slurm: the array task)",  \
     &(b).shard},                                                                                                  \
    {"skip-existing", 0, OPT_FLAG, NULL, "leave inputs whose output already exists (a re-queued task resumes)",     \
     &(b).skip_existing},                                                                                          \
    {"jobs", 0, OPT_COUNT, "J", "inputs run at a time, each in its own process (default 1)", &(b).jobs}

/* 1 when the options ask for batch mode. */
int batch_requested(const batch_opts *b);

/* The output of one input: out_dir/NAME, NAME from the input. */
typedef void (*batch_name_fn)(const char *input, const char *out_dir, char *out, size_t n);
/* Runs one input (in a child process); returns an ms_status. */
typedef int (*batch_one_fn)(void *ctx, const char *input, const char *output);

/* Runs every input of the shard; returns 0 when none failed, else the
 * largest exit status of a failed input. */
int batch_run(const cmd_spec *cmd, const batch_opts *b, char **args, int nargs, batch_name_fn name, batch_one_fn one,
              void *ctx);

/* NAME for volume outputs: the input's base name without .nii[.gz], .dcm
 * or a trailing slash, then `ext` (e.g. ".nii.gz"). */
void batch_volume_name(const char *input, const char *out_dir, const char *ext, char *out, size_t n);

#endif
