/* One option table per command drives parsing, --help and (through a test)
 * the man page, so they cannot drift apart. */
#ifndef MEDSEG_CLI_OPT_H
#define MEDSEG_CLI_OPT_H

#include <stdint.h>
#include <stdio.h>

/* OPT_COUNT: an int >= 0 (indices, counts, sizes). */
typedef enum { OPT_FLAG, OPT_STR, OPT_INT, OPT_COUNT, OPT_DOUBLE, OPT_LIST } opt_kind;

/* Values of an option that may be repeated (OPT_LIST), in order. */
#define OPT_LIST_MAX 256
typedef struct opt_list {
    int n;
    const char *item[OPT_LIST_MAX];
} opt_list;

typedef struct opt_spec {
    const char *name;      /* long name without dashes */
    char short_name;       /* 0 if none */
    opt_kind kind;
    const char *arg;       /* metavariable in help, e.g. "UID" */
    const char *help;
    void *dest;            /* int* (FLAG, INT), const char** (STR), double*, opt_list* */
} opt_spec;

typedef struct cmd_spec {
    const char *name;
    const char *usage;     /* after "medseg NAME " */
    const char *summary;   /* one line */
    const opt_spec *opts;  /* terminated by {0} */
    int min_args, max_args;
} cmd_spec;

/* Options every command takes, applied by opt_parse. */
typedef struct common_opts {
    int threads;
    const char *device;
    int quiet, verbose;
    double max_voxels;
    int skip_bad_files;
    int volume;            /* of a 4-D NIfTI; -1: none chosen */
    int json;              /* set only for commands that declare --json */
} common_opts;
extern common_opts g_common;

/* Returns -1 to continue, or an exit code (0 after --help, 2 on a usage
 * error). Positional arguments are left in args/nargs. */
int opt_parse(const cmd_spec *cmd, int argc, char **argv, char ***args, int *nargs);
void opt_help(const cmd_spec *cmd, FILE *fp);

/* Reports a usage error (exit 2) naming the command. */
int opt_usage_error(const cmd_spec *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "A,B,C" into three numbers; 0 on a malformed list. */
int parse_triple_int(const char *s, int64_t out[3]);
int parse_triple_double(const char *s, double out[3]);

/* Prints the last library error once and maps the status to an exit code. */
int report_status(int status);

#endif
