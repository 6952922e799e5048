#include "medseg/atomic_file.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "medseg/rng.h"
#include "medseg/log.h"

/* The suffixes writers look at; the temporary name keeps them. */
static const char *const kept[] = {".nii.gz", ".nii", ".npz", ".csv", ".json", ".gz", ".svg", ".dcm"};
#define N_KEPT (sizeof kept / sizeof *kept)

static const char *keep_suffix(const char *base)
{
    size_t n = strlen(base);
    for (size_t i = 0; i < N_KEPT; i++) {
        size_t m = strlen(kept[i]);
        if (n > m && strcmp(base + n - m, kept[i]) == 0) return base + n - m;
    }
    return base + n;
}

static int is_kept_suffix(const char *s)
{
    for (size_t i = 0; *s && i < N_KEPT; i++)
        if (strcmp(s, kept[i]) == 0) return 1;
    return !*s;
}

static char *tmp_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    const char *base = path + dirlen;
    const char *sfx = keep_suffix(base);
    size_t stemlen = (size_t)(sfx - base);
    size_t len = strlen(path) + 64;
    char *t = malloc(len);
    if (!t) return NULL;
    /* pid plus a counter: unique among parallel jobs writing one directory. */
    static unsigned counter;
    unsigned long tag = (unsigned long)(ms_hash64((uint64_t)getpid() * 1000003u + counter++) & 0xffffffu);
    snprintf(t, len, "%.*s.%.*s.tmp%d-%06lx%s", (int)dirlen, path, (int)stemlen, base,
             (int)getpid(), tag, sfx);
    return t;
}

static int remove_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p) == 0 ? 0 : -1;
}

int ms_atomic_temp_target(const char *name, char *target, size_t n)
{
    if (name[0] != '.') return 0;
    /* the last ".tmp<pid>-<6 hex>" whose remainder is a kept suffix */
    for (const char *t = strstr(name + 1, ".tmp"); t; t = strstr(t + 1, ".tmp")) {
        const char *p = t + 4, *q = p;
        while (*q >= '0' && *q <= '9') q++;
        if (q == p || *q != '-') continue;
        int hex = 0;
        for (q++; hex < 6 && isxdigit((unsigned char)q[hex]); hex++) {}
        const char *sfx = q + hex;
        if (hex != 6 || !is_kept_suffix(sfx)) continue;
        return snprintf(target, n, "%.*s%s", (int)(t - name - 1), name + 1, sfx) < (int)n;
    }
    return 0;
}

int ms_atomic_remove_stale(const char *dir, int (*mine)(const char *target, void *ctx), void *ctx)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    struct dirent *e;
    char target[4096];
    while ((e = readdir(d))) {
        if (!ms_atomic_temp_target(e->d_name, target, sizeof target) || !mine(target, ctx)) continue;
        char p[4096 + 256];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        /* a file, or a directory output's whole temporary tree */
        if (nftw(p, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0) removed++;
    }
    closedir(d);
    return removed;
}

/* ---- temporaries in flight, for the signal handler ----
 * Lock-free slots: begin() publishes its temporary path, commit and abort
 * withdraw it; on SIGTERM, SIGINT or SIGHUP the handler removes whatever
 * is published and dies of the same signal. */
#define SLOTS 256
static char *volatile slot_path[SLOTS];
static volatile int slot_dir[SLOTS];

static void publish(char *tmp, int is_dir)
{
    for (int i = 0; i < SLOTS; i++) {
        char *expect = NULL;
        slot_dir[i] = is_dir;
        if (__atomic_compare_exchange_n(&slot_path[i], &expect, tmp, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
    }
}

static void withdraw(const char *tmp)
{
    for (int i = 0; tmp && i < SLOTS; i++) {
        char *expect = (char *)tmp;
        if (__atomic_compare_exchange_n(&slot_path[i], &expect, NULL, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
    }
}

static void remove_tree(const char *path);

static void on_signal(int sig)
{
    for (int i = 0; i < SLOTS; i++) {
        char *p = __atomic_load_n(&slot_path[i], __ATOMIC_SEQ_CST);
        if (!p) continue;
        if (slot_dir[i]) remove_tree(p);
        else unlink(p);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void ms_atomic_cleanup_on_signals(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

/* ---- outputs committed by this run, for an all-or-nothing failure ---- */
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static char **done_path;
static int *done_dir, n_done, cap_done, keep_on_error;

static void remember(const char *path, int is_dir)
{
    pthread_mutex_lock(&done_lock);
    if (n_done == cap_done) {
        int cap = cap_done ? 2 * cap_done : 16;
        char **p = realloc(done_path, (size_t)cap * sizeof *p);
        if (p) done_path = p;
        int *d = p ? realloc(done_dir, (size_t)cap * sizeof *d) : NULL;
        if (d) done_dir = d, cap_done = cap;
    }
    if (n_done < cap_done && (done_path[n_done] = strdup(path))) done_dir[n_done++] = is_dir;
    pthread_mutex_unlock(&done_lock);
}

void ms_outputs_keep_on_error(int keep) { keep_on_error = keep; }

void ms_outputs_rollback(void)
{
    pthread_mutex_lock(&done_lock);
    for (int i = n_done - 1; i >= 0; i--) {
        if (!keep_on_error) {
            if (done_dir[i]) remove_tree(done_path[i]);
            else unlink(done_path[i]);
        }
        free(done_path[i]);
    }
    n_done = 0;
    pthread_mutex_unlock(&done_lock);
}

static ms_status begin(ms_atomic *a, const char *path)
{
    memset(a, 0, sizeof *a);
    if (!path || !*path) return ms_fail(MS_ERR_USAGE, "empty output path");
    a->final_path = strdup(path);
    a->tmp_path = tmp_name(path);
    if (!a->final_path || !a->tmp_path) {
        ms_atomic_abort(a);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    publish(a->tmp_path, 0);
    return MS_OK;
}

ms_status ms_atomic_begin(ms_atomic *a, const char *path)
{
    struct stat sb;
    if (path && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return ms_fail(MS_ERR_USAGE, "%s: is a directory, expected a file name", path);
    return begin(a, path);
}

ms_status ms_check_output_dir(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return MS_OK;
    if (!S_ISDIR(sb.st_mode)) return ms_fail(MS_ERR_USAGE, "%s: exists and is not a directory", path);
    DIR *d = opendir(path);
    int empty = 1;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    if (d) closedir(d);
    return empty ? MS_OK : ms_fail(MS_ERR_USAGE, "%s: directory exists and is not empty", path);
}

static ms_status begin_dir(ms_atomic *a, const char *path)
{
    char *p = strdup(path);
    if (!p) return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    ms_status st = begin(a, p);
    free(p);
    if (st) return st;
    a->is_dir = 1;
    withdraw(a->tmp_path);
    publish(a->tmp_path, 1);
    if (mkdir(a->tmp_path, 0777) != 0) {
        ms_status e = ms_fail(MS_ERR_IO, "%s: cannot create directory: %s", a->tmp_path, strerror(errno));
        ms_atomic_abort(a);
        return e;
    }
    return MS_OK;
}

ms_status ms_atomic_begin_dir(ms_atomic *a, const char *path)
{
    ms_status st = ms_check_output_dir(path);
    return st ? st : begin_dir(a, path);
}

ms_status ms_atomic_begin_replace_dir(ms_atomic *a, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return ms_fail(MS_ERR_USAGE, "%s: exists and is not a directory", path);
    return begin_dir(a, path);
}

ms_status ms_atomic_commit_replace(ms_atomic *a)
{
    struct stat sb;
    if (stat(a->final_path, &sb) != 0) return ms_atomic_commit(a);
    /* One step: a reader sees the old directory or the new one, never none. */
    if (renameat2(AT_FDCWD, a->tmp_path, AT_FDCWD, a->final_path, RENAME_EXCHANGE) != 0) {
        ms_status e = ms_fail(MS_ERR_IO, "%s: cannot swap the new directory into place: %s", a->final_path,
                              strerror(errno));
        ms_atomic_abort(a);
        return e;
    }
    ms_atomic_abort(a);   /* the temporary name now holds the old directory */
    return MS_OK;
}

ms_status ms_atomic_commit(ms_atomic *a)
{
    if (a->is_dir) rmdir(a->final_path);  /* only succeeds when empty */
    if (rename(a->tmp_path, a->final_path) != 0) {
        ms_status e = ms_fail(MS_ERR_IO, "%s: cannot rename into place: %s", a->final_path,
                              strerror(errno));
        ms_atomic_abort(a);
        return e;
    }
    withdraw(a->tmp_path);
    remember(a->final_path, a->is_dir);
    free(a->tmp_path);
    free(a->final_path);
    a->tmp_path = a->final_path = NULL;
    return MS_OK;
}

void ms_atomic_abort(ms_atomic *a)
{
    if (a->tmp_path) {
        withdraw(a->tmp_path);
        if (a->is_dir) remove_tree(a->tmp_path);
        else unlink(a->tmp_path);
    }
    free(a->tmp_path);
    free(a->final_path);
    a->tmp_path = a->final_path = NULL;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            size_t n = strlen(path) + strlen(e->d_name) + 2;
            char *child = malloc(n);
            if (!child) continue;
            snprintf(child, n, "%s/%s", path, e->d_name);
            struct stat sb;
            if (lstat(child, &sb) == 0 && S_ISDIR(sb.st_mode)) remove_tree(child);
            else unlink(child);
            free(child);
        }
        closedir(d);
    }
    rmdir(path);
}

ms_status ms_text_open(ms_text_out *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (strcmp(path, "-") == 0) {
        o->fp = stdout;
        o->is_stdout = 1;
        return MS_OK;
    }
    ms_status st = ms_atomic_begin(&o->at, path);
    if (st) return st;
    o->fp = fopen(o->at.tmp_path, "w");
    if (!o->fp) {
        st = ms_fail(MS_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        ms_atomic_abort(&o->at);
    }
    return st;
}

ms_status ms_text_close(ms_text_out *o, int ok)
{
    if (o->is_stdout) return fflush(stdout) == 0 || !ok ? MS_OK : ms_fail(MS_ERR_IO, "stdout: write failed");
    int bad = ferror(o->fp) | (fclose(o->fp) != 0);
    if (!ok || bad) {
        ms_status e = bad ? ms_fail(MS_ERR_IO, "%s: write failed", o->at.final_path) : MS_OK;
        ms_atomic_abort(&o->at);
        return e;
    }
    return ms_atomic_commit(&o->at);
}
