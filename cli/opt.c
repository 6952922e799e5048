#include "opt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "medseg/atomic_file.h"
#include "medseg/device.h"
#include "medseg/dicom.h"
#include "medseg/io.h"
#include "medseg/log.h"
#include "medseg/memory.h"
#include "medseg/status.h"
#include "medseg/threads.h"
#include "medseg/volume.h"

common_opts g_common = {.device = "auto", .volume = -1};

static int help_flag;

static const opt_spec common_specs[] = {
    {"threads", 0, OPT_COUNT, "N", "worker threads (default: all cores); results do not depend on it", &g_common.threads},
    {"device", 0, OPT_STR, "auto|cpu|cuda", "where kernels run (default auto: CUDA when a GPU is present)", &g_common.device},
    {"max-voxels", 0, OPT_DOUBLE, "N", "refuse volumes larger than N voxels (default 4294967296)", &g_common.max_voxels},
    {"skip-bad-files", 0, OPT_FLAG, NULL, "leave out unreadable files of a DICOM folder (named in a warning) instead of refusing", &g_common.skip_bad_files},
    {"volume", 0, OPT_INT, "N", "take volume N (from 0) of a 4-D NIfTI input, which is refused without it", &g_common.volume},
    {"quiet", 'q', OPT_FLAG, NULL, "print only errors on stderr", &g_common.quiet},
    {"verbose", 'v', OPT_FLAG, NULL, "also print timings of each stage", &g_common.verbose},
    {"help", 'h', OPT_FLAG, NULL, "show this help and exit", &help_flag},
    {0},
};

int opt_usage_error(const cmd_spec *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "medseg %s: %s\nusage: medseg %s %s\n", cmd->name, msg, cmd->name, cmd->usage);
    return 2;
}

static const opt_spec *find_long(const opt_spec *t, const char *name, size_t len)
{
    for (; t->name; t++)
        if (strlen(t->name) == len && strncmp(t->name, name, len) == 0) return t;
    return NULL;
}

static const opt_spec *find_short(const opt_spec *t, char c)
{
    for (; t->name; t++)
        if (t->short_name && t->short_name == c) return t;
    return NULL;
}

static int store(const cmd_spec *cmd, const opt_spec *o, const char *val)
{
    char *end;
    errno = 0;
    switch (o->kind) {
    case OPT_FLAG: *(int *)o->dest = 1; return 0;
    case OPT_STR: *(const char **)o->dest = val; return 0;
    case OPT_LIST: {
        opt_list *l = o->dest;
        if (l->n >= OPT_LIST_MAX) return opt_usage_error(cmd, "--%s given more than %d times", o->name, OPT_LIST_MAX);
        l->item[l->n++] = val;
        return 0;
    }
    case OPT_INT:
    case OPT_COUNT: {
        long v = strtol(val, &end, 10);
        if (*val == '\0' || *end || errno || v < -2147483647L || v > 2147483647L)
            return opt_usage_error(cmd, "--%s expects an integer, not '%s'", o->name, val);
        if (o->kind == OPT_COUNT && v < 0) return opt_usage_error(cmd, "--%s must be 0 or more, not %ld", o->name, v);
        *(int *)o->dest = (int)v;
        return 0;
    }
    case OPT_DOUBLE: {
        double v = strtod(val, &end);
        if (*val == '\0' || *end || errno || !isfinite(v))
            return opt_usage_error(cmd, "--%s expects a finite number, not '%s'", o->name, val);
        *(double *)o->dest = v;
        return 0;
    }
    }
    return 0;
}

/* Looks an option up in the command's table, then in the common one. */
static const opt_spec *lookup(const cmd_spec *cmd, const char *name, size_t len, char c)
{
    const opt_spec *o = c ? find_short(cmd->opts, c) : find_long(cmd->opts, name, len);
    if (!o) o = c ? find_short(common_specs, c) : find_long(common_specs, name, len);
    return o;
}

static void progress_bar(const char *stage, double f)
{
    int w = 30, filled = (int)(f * w + 0.5);
    fprintf(stderr, "\r%-24.24s [%.*s%*s] %3d%%", stage, filled, "##############################", w - filled, "",
            (int)(f * 100 + 0.5));
    if (f >= 1) fputc('\n', stderr);
}

static int apply_common(const cmd_spec *cmd)
{
    if (g_common.threads < 0) return opt_usage_error(cmd, "--threads must be 0 or more");
    /* 2^62 voxels: beyond any machine, and still exact as a uint64_t. */
    if (g_common.max_voxels < 1 && g_common.max_voxels != 0)
        return opt_usage_error(cmd, "--max-voxels must be at least 1");
    if (g_common.max_voxels > 4.611686018427388e18) return opt_usage_error(cmd, "--max-voxels must be at most 2^62");
    ms_threads_set(g_common.threads);
    ms_set_voxel_limit((uint64_t)g_common.max_voxels);
    ms_memory_override(g_common.max_voxels > 0);
    ms_dicom_set_skip_unreadable(g_common.skip_bad_files);
    if (g_common.volume < -1) return opt_usage_error(cmd, "--volume must be 0 or more");
    ms_nifti_set_volume(g_common.volume);
    ms_log_set_level(g_common.quiet ? MS_LOG_WARN : g_common.verbose ? MS_LOG_DEBUG : MS_LOG_INFO);
    if (isatty(2) && !g_common.quiet) ms_progress_set(progress_bar);
    ms_device d;
    if (ms_device_resolve(g_common.device, &d) == MS_ERR_USAGE) return opt_usage_error(cmd, "%s", ms_last_error());
    return -1;
}

static int parse_one(const cmd_spec *cmd, int argc, char **argv, int *i)
{
    char *a = argv[*i];
    const opt_spec *o;
    const char *val = NULL;
    if (a[1] == '-') {
        char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        o = lookup(cmd, a + 2, len, 0);
        if (!o) return opt_usage_error(cmd, "unknown option '%s'", a);
        if (eq) val = eq + 1;
    } else {
        o = lookup(cmd, NULL, 0, a[1]);
        if (!o || a[2]) return opt_usage_error(cmd, "unknown option '%s'", a);
    }
    if (o->kind == OPT_FLAG) {
        if (val) return opt_usage_error(cmd, "--%s takes no value", o->name);
        return store(cmd, o, NULL);
    }
    if (!val) {
        if (*i + 1 >= argc) return opt_usage_error(cmd, "--%s needs a value (%s)", o->name, o->arg);
        val = argv[++*i];
    }
    return store(cmd, o, val);
}

int opt_parse(const cmd_spec *cmd, int argc, char **argv, char ***args, int *nargs)
{
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int n = 0, only_args = 0;
    if (!pos) return 1;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!only_args && strcmp(a, "--") == 0) { only_args = 1; continue; }
        if (only_args || a[0] != '-' || a[1] == '\0') { pos[n++] = a; continue; }
        int rc = parse_one(cmd, argc, argv, &i);
        if (rc) { free(pos); return rc; }
    }
    if (help_flag) {
        opt_help(cmd, stdout);
        free(pos);
        return 0;
    }
    if (n < cmd->min_args || (cmd->max_args >= 0 && n > cmd->max_args)) {
        free(pos);
        return opt_usage_error(cmd, n < cmd->min_args ? "missing argument" : "too many arguments");
    }
    int rc = apply_common(cmd);
    if (rc >= 0) { free(pos); return rc; }
    *args = pos;
    *nargs = n;
    return -1;
}

static void print_table(const opt_spec *t, FILE *fp)
{
    for (; t->name; t++) {
        char left[96];
        int len = t->short_name ? snprintf(left, sizeof left, "-%c, --%s", t->short_name, t->name)
                                : snprintf(left, sizeof left, "    --%s", t->name);
        if (t->arg) snprintf(left + len, sizeof left - (size_t)len, " %s", t->arg);
        fprintf(fp, "  %-30s %s\n", left, t->help);
    }
}

void opt_help(const cmd_spec *cmd, FILE *fp)
{
    fprintf(fp, "usage: medseg %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->usage, cmd->summary);
    print_table(cmd->opts, fp);
    fprintf(fp, "\ncommon options:\n");
    print_table(common_specs, fp);
    fprintf(fp, "\nexit status: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data\n");
}

static int parse_list(const char *s, double out[3])
{
    char *end;
    const char *p = s;
    for (int i = 0; i < 3; i++) {
        errno = 0;
        out[i] = strtod(p, &end);
        if (end == p || errno) return 0;
        if (i < 2 && *end != ',') return 0;
        p = end + (i < 2);
    }
    return *end == '\0';
}

int parse_triple_double(const char *s, double out[3]) { return parse_list(s, out); }

int parse_triple_int(const char *s, int64_t out[3])
{
    double d[3];
    if (!parse_list(s, d)) return 0;
    for (int i = 0; i < 3; i++) {
        if (d[i] != (double)(int64_t)d[i] || d[i] < 1 || d[i] > 1e9) return 0;
        out[i] = (int64_t)d[i];
    }
    return 1;
}

int report_status(int st)
{
    if (st == MS_OK) return 0;
    ms_outputs_rollback();
    fprintf(stderr, "medseg: error: %s\n", ms_last_error());
    return ms_status_exit_code((ms_status)st);
}
