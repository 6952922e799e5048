/* The batch driver: list, shard, skip, run in child processes, report. */
#include "batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "medseg/atomic_file.h"
#include "medseg/log.h"
#include "medseg/shard.h"
#include "medseg/textfile.h"

typedef struct item {
    char *input;
    char output[4096];
    int status;          /* exit status; -1 not run */
    char message[512];
} item;

int batch_requested(const batch_opts *b) { return b->list || b->out_dir; }

void batch_volume_name(const char *input, const char *out_dir, const char *ext, char *out, size_t n)
{
    size_t len = strlen(input);
    while (len > 1 && input[len - 1] == '/') len--;
    const char *base = input;
    for (size_t i = 0; i < len; i++)
        if (input[i] == '/') base = input + i + 1;
    size_t blen = len - (size_t)(base - input);
    static const char *const drop[] = {".nii.gz", ".nii", ".dcm"};
    for (int i = 0; i < 3; i++) {
        size_t m = strlen(drop[i]);
        if (blen > m && strncmp(base + blen - m, drop[i], m) == 0) {
            blen -= m;
            break;
        }
    }
    snprintf(out, n, "%s/%.*s%s", out_dir, (int)blen, base, ext);
}

static int by_input(const void *a, const void *b) { return strcmp(((const item *)a)->input, ((const item *)b)->input); }

static ms_status add_input(item **v, int *n, int *cap, const char *s)
{
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 64;
        item *w = realloc(*v, (size_t)c * sizeof *w);
        if (!w) return ms_fail(MS_ERR_NOMEM, "out of memory listing inputs");
        *v = w, *cap = c;
    }
    memset(&(*v)[*n], 0, sizeof **v);
    if (!((*v)[*n].input = strdup(s))) return ms_fail(MS_ERR_NOMEM, "out of memory listing inputs");
    (*v)[(*n)++].status = -1;
    return MS_OK;
}

/* Lines of the list, trimmed; blank lines and # comments skipped. */
static ms_status read_list(const char *path, item **v, int *n, int *cap)
{
    ms_text_why why;
    char *text = ms_read_text(path, 64u << 20, &why);
    ms_status st = text ? MS_OK
                        : ms_fail(MS_ERR_INPUT, "--list %s: %s", path,
                                  why == MS_TEXT_MISSING ? "cannot be read" : why == MS_TEXT_TOO_BIG ? "larger than 64 MiB"
                                                                                                      : "out of memory");
    for (char *line = text, *next; !st && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t')) line[--l] = '\0';
        while (*line == ' ' || *line == '\t') line++;
        if (*line && *line != '#') st = add_input(v, n, cap, line);
        if (!next) break;
    }
    free(text);
    return st;
}

/* The child: runs one input, tells the parent its message, exits. */
static void run_child(int fd, batch_one_fn one, void *ctx, item *it)
{
    int st = one(ctx, it->input, it->output);
    if (st) {
        ms_outputs_rollback();
        const char *msg = ms_last_error();
        ssize_t w = write(fd, msg, strlen(msg));
        (void)w;
    }
    _exit(st ? ms_status_exit_code((ms_status)st) : 0);
}

typedef struct running {
    pid_t pid;
    int fd, idx;
} running;

static void reap(running *r, item *v)
{
    int ws = 0;
    while (waitpid(r->pid, &ws, 0) < 0 && errno == EINTR) {}
    item *it = &v[r->idx];
    ssize_t got = read(r->fd, it->message, sizeof it->message - 1);
    it->message[got > 0 ? got : 0] = '\0';
    close(r->fd);
    if (WIFEXITED(ws)) it->status = WEXITSTATUS(ws);
    else {
        it->status = 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
        snprintf(it->message, sizeof it->message, "killed by signal %d", WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    }
    if (it->status && !it->message[0]) snprintf(it->message, sizeof it->message, "exit %d", it->status);
    if (it->status && strstr(it->message, it->input)) ms_warn("%s", it->message);
    else if (it->status) ms_warn("%s: %s", it->input, it->message);
}

static ms_status run_all(item *v, int n, int jobs, batch_one_fn one, void *ctx)
{
    running *r = calloc((size_t)jobs, sizeof *r);
    if (!r) return ms_fail(MS_ERR_NOMEM, "out of memory");
    int active = 0;
    fflush(NULL);
    for (int i = 0; i <= n; i++) {
        while (active && (active == jobs || i == n)) {   /* wait for the oldest */
            reap(&r[0], v);
            memmove(r, r + 1, (size_t)(--active) * sizeof *r);
        }
        if (i == n) break;
        if (v[i].status != -1) continue;   /* skipped */
        int p[2];
        if (pipe(p) != 0) return free(r), ms_fail(MS_ERR_IO, "pipe: %s", strerror(errno));
        pid_t pid = fork();
        if (pid < 0) return free(r), ms_fail(MS_ERR_IO, "fork: %s", strerror(errno));
        if (pid == 0) {
            close(p[0]);
            run_child(p[1], one, ctx, &v[i]);
        }
        close(p[1]);
        r[active++] = (running){pid, p[0], i};
    }
    free(r);
    return MS_OK;
}

/* failed.tsv (failed-I-of-N.tsv for a shard): input, exit status, message. */
static ms_status write_failures(const char *dir, const ms_shard *s, const item *v, int n, int *failed)
{
    char path[4096];
    if (s->count > 1) snprintf(path, sizeof path, "%s/failed-%d-of-%d.tsv", dir, s->index, s->count);
    else snprintf(path, sizeof path, "%s/failed.tsv", dir);
    ms_text_out o;
    ms_status st = ms_text_open(&o, path);
    if (st) return st;
    fprintf(o.fp, "input\texit\tmessage\n");
    *failed = 0;
    for (int i = 0; i < n; i++)
        if (v[i].status > 0) {
            for (char *c = (char *)v[i].message; *c; c++)
                if (*c == '\t' || *c == '\n') *c = ' ';
            fprintf(o.fp, "%s\t%d\t%s\n", v[i].input, v[i].status, v[i].message);
            (*failed)++;
        }
    return ms_text_close(&o, 1);
}

typedef struct owned_set {
    const item *v;
    int n;
} owned_set;

/* Whether file name `target` in the output folder is an output of this
 * shard (a linear pass per temporary found: there are few). */
static int owned_output(const char *target, void *ctx)
{
    const owned_set *o = ctx;
    for (int i = 0; i < o->n; i++) {
        const char *slash = strrchr(o->v[i].output, '/');
        if (o->v[i].status != -2 && strcmp(slash ? slash + 1 : o->v[i].output, target) == 0) return 1;
    }
    return 0;
}

static ms_status prepare(const cmd_spec *cmd, const batch_opts *b, char **args, int nargs, item **v, int *n,
                         ms_shard *s)
{
    int cap = 0;
    *v = NULL, *n = 0;
    if (!b->out_dir) return ms_fail(MS_ERR_USAGE, "medseg %s: --list needs --out-dir", cmd->name);
    ms_status st = ms_shard_parse(b->shard, s);
    for (int i = 0; !st && i < nargs; i++) st = add_input(v, n, &cap, args[i]);
    if (!st && b->list) st = read_list(b->list, v, n, &cap);
    if (!st && *n == 0) st = ms_fail(MS_ERR_USAGE, "medseg %s: no inputs (give them as arguments or with --list)", cmd->name);
    if (!st && mkdir(b->out_dir, 0777) != 0 && errno != EEXIST)
        st = ms_fail(MS_ERR_IO, "%s: cannot create: %s", b->out_dir, strerror(errno));
    return st;
}

int batch_run(const cmd_spec *cmd, const batch_opts *b, char **args, int nargs, batch_name_fn name, batch_one_fn one,
              void *ctx)
{
    item *v;
    int n, mine = 0, skipped = 0, failed = 0;
    ms_shard s;
    ms_status st = prepare(cmd, b, args, nargs, &v, &n, &s);
    if (!st) qsort(v, (size_t)n, sizeof *v, by_input);
    for (int i = 0; !st && i < n; i++) {
        if (i && strcmp(v[i].input, v[i - 1].input) == 0) st = ms_fail(MS_ERR_USAGE, "%s is listed twice", v[i].input);
        if (!ms_shard_owns(&s, v[i].input)) {
            v[i].status = -2;
            continue;
        }
        mine++;
        name(v[i].input, b->out_dir, v[i].output, sizeof v[i].output);
        struct stat sb;
        if (b->skip_existing && stat(v[i].output, &sb) == 0) v[i].status = 0, skipped++;
    }
    /* This shard owns its outputs: temporaries of them are a killed run's. */
    if (!st) ms_atomic_remove_stale(b->out_dir, owned_output, &(owned_set){v, n});
    if (!st) st = run_all(v, n, b->jobs > 0 ? b->jobs : 1, one, ctx);
    if (!st) st = write_failures(b->out_dir, &s, v, n, &failed);
    if (!st)
        ms_info("%s: %d of %d inputs in shard %d/%d: %d run, %d skipped (existing), %d failed", cmd->name, mine, n,
                s.index, s.count, mine - skipped - failed, skipped, failed);
    int worst = 0;
    for (int i = 0; i < n; i++) {
        if (v[i].status > worst) worst = v[i].status;
        free(v[i].input);
    }
    free(v);
    if (st) return report_status(st);
    return worst;
}
