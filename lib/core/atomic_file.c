#include "medseg/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "medseg/rng.h"
#include "medseg/log.h"

/* The suffixes writers look at; the temporary name keeps them. */
static const char *keep_suffix(const char *base)
{
    static const char *sfx[] = {".nii.gz", ".nii", ".npz", ".csv", ".json", ".gz", ".svg", ".dcm"};
    size_t n = strlen(base);
    for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
        size_t m = strlen(sfx[i]);
        if (n > m && strcmp(base + n - m, sfx[i]) == 0) return base + n - m;
    }
    return base + n;
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

ms_status ms_atomic_begin_dir(ms_atomic *a, const char *path)
{
    ms_status st0 = ms_check_output_dir(path);
    if (st0) return st0;
    char *p = strdup(path);
    if (!p) return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    ms_status st = begin(a, p);
    free(p);
    if (st) return st;
    a->is_dir = 1;
    if (mkdir(a->tmp_path, 0777) != 0) {
        ms_status e = ms_fail(MS_ERR_IO, "%s: cannot create directory: %s", a->tmp_path, strerror(errno));
        ms_atomic_abort(a);
        return e;
    }
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
    free(a->tmp_path);
    free(a->final_path);
    a->tmp_path = a->final_path = NULL;
    return MS_OK;
}


static void remove_tree(const char *path);

void ms_atomic_abort(ms_atomic *a)
{
    if (a->tmp_path) {
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
