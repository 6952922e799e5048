/* Outputs appear whole or not at all: write to a temporary name in the
 * destination directory, then rename over the final name. */
#ifndef MEDSEG_ATOMIC_FILE_H
#define MEDSEG_ATOMIC_FILE_H

#include <stdio.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_atomic {
    char *final_path;
    char *tmp_path;
    int is_dir;
} ms_atomic;

/* Picks a temporary path beside `path` that keeps its extension (so that
 * writers choosing compression from the suffix behave), creating nothing. */
ms_status ms_atomic_begin(ms_atomic *a, const char *path);
/* Same for a directory: the temporary directory is created. */
ms_status ms_atomic_begin_dir(ms_atomic *a, const char *path);
/* An output directory must be missing or empty (checked before any work). */
ms_status ms_check_output_dir(const char *path);
/* A directory that replaces an existing one whole (an index rebuilt or
 * grown): the temporary is created whatever is at path ... */
ms_status ms_atomic_begin_replace_dir(ms_atomic *a, const char *path);
/* ... and swapped with it in one step (renameat2 RENAME_EXCHANGE), the
 * old one then removed; a plain rename when there was none. */
ms_status ms_atomic_commit_replace(ms_atomic *a);
/* Renames the temporary into place (a directory replaces only an empty or
 * missing one). */
ms_status ms_atomic_commit(ms_atomic *a);
/* Removes the temporary; safe after commit and on a never-begun struct. */
void ms_atomic_abort(ms_atomic *a);

/* The file name of the output a temporary stands for: name is
 * ".<stem>.tmp<pid>-<tag><suffix>" -> "<stem><suffix>". 0 when name is no
 * temporary of ours (or target is too small). */
int ms_atomic_temp_target(const char *name, char *target, size_t n);
/* Removes, in one pass over dir, the temporaries a killed writer left
 * (a SIGKILL leaves no chance to clean up) whose output `mine` accepts; the
 * caller owns those outputs, no live writer may be at work on them.
 * Returns how many were removed. */
int ms_atomic_remove_stale(const char *dir, int (*mine)(const char *target, void *ctx), void *ctx);

/* On SIGTERM, SIGINT or SIGHUP, removes the temporaries being written and
 * dies of the signal (main() installs it). */
void ms_atomic_cleanup_on_signals(void);
/* A run that fails removes every output it had committed, so a command
 * with several outputs leaves all or none (report_status() calls it);
 * batch commands whose finished inputs must survive a later failure opt
 * out with ms_outputs_keep_on_error(1). */
void ms_outputs_rollback(void);
void ms_outputs_keep_on_error(int keep);

/* "-" means stdout; otherwise an atomic text file. */
typedef struct ms_text_out {
    FILE *fp;
    ms_atomic at;
    int is_stdout;
} ms_text_out;
ms_status ms_text_open(ms_text_out *o, const char *path);
ms_status ms_text_close(ms_text_out *o, int ok);

#ifdef __cplusplus
}
#endif
#endif
