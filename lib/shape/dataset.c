/* The case list of prepare-npz: inputs to sorted cases, the seeded
 * train/val split, and the two CSVs the VecSetX loader reads. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "medseg/atomic_file.h"
#include "medseg/csv.h"
#include "medseg/dataset.h"
#include "medseg/rng.h"
#include "shape_internal.h"

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a > b && strcmp(s + a - b, suf) == 0;
}

static char *stem_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (has_suffix(base, ".nii.gz")) n -= 7;
    else if (has_suffix(base, ".nii")) n -= 4;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, base, n);
        s[n] = 0;
    }
    return s;
}

static ms_status add_case(ms_dataset *d, const char *path)
{
    ms_case *c = realloc(d->cases, (size_t)(d->n + 1) * sizeof *c);
    if (!c) return ms_fail(MS_ERR_NOMEM, "out of memory for the case list");
    d->cases = c;
    c = &d->cases[d->n];
    memset(c, 0, sizeof *c);
    c->path = strdup(path);
    c->stem = stem_of(path);
    if (!c->path || !c->stem) {
        free(c->path);
        free(c->stem);
        return ms_fail(MS_ERR_NOMEM, "out of memory for the case list");
    }
    d->n++;
    return MS_OK;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static ms_status add_dir(ms_dataset *d, const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp) return ms_fail(MS_ERR_INPUT, "%s: cannot open directory (%s)", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    ms_status st = MS_OK;
    for (struct dirent *e; (e = readdir(dp));) {
        if (e->d_name[0] == '.' || !(has_suffix(e->d_name, ".nii") || has_suffix(e->d_name, ".nii.gz"))) continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (!grown || !(grown[n] = malloc(strlen(dir) + strlen(e->d_name) + 2))) {
            names = grown ? grown : names;
            st = ms_fail(MS_ERR_NOMEM, "out of memory listing %s", dir);
            break;
        }
        names = grown;
        sprintf(names[n++], "%s/%s", dir, e->d_name);
    }
    closedir(dp);
    if (!st && n == 0) st = ms_fail(MS_ERR_INPUT, "%s: no .nii or .nii.gz files", dir);
    if (names) qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        if (!st) st = add_case(d, names[i]);
        free(names[i]);
    }
    free(names);
    return st;
}

static int cmp_case(const void *a, const void *b) { return strcmp(((const ms_case *)a)->stem, ((const ms_case *)b)->stem); }

ms_status ms_dataset_list(const char *const *inputs, int n_inputs, ms_dataset *d)
{
    memset(d, 0, sizeof *d);
    ms_status st = MS_OK;
    for (int i = 0; i < n_inputs && !st; i++) {
        struct stat sb;
        if (stat(inputs[i], &sb) == 0 && S_ISDIR(sb.st_mode)) st = add_dir(d, inputs[i]);
        else st = add_case(d, inputs[i]);
    }
    if (!st) qsort(d->cases, (size_t)d->n, sizeof *d->cases, cmp_case);
    for (int i = 1; i < d->n && !st; i++)
        if (!strcmp(d->cases[i].stem, d->cases[i - 1].stem))
            st = ms_fail(MS_ERR_USAGE, "%s and %s would both write %s.npz", d->cases[i - 1].path, d->cases[i].path,
                         d->cases[i].stem);
    if (st) ms_dataset_free(d);
    return st;
}

void ms_dataset_free(ms_dataset *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->cases[i].path);
        free(d->cases[i].stem);
        free(d->cases[i].error);
    }
    free(d->cases);
    memset(d, 0, sizeof *d);
}

/* A seeded shuffle of the sorted cases; the first round(F n) go to val
 * (at least one, and never all, when F > 0 and there are two or more).
 * Variants follow their case, so no shape is in both splits. */
void ms_dataset_split(ms_dataset *d, uint64_t seed, double fraction)
{
    int n = d->n, *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    if (!order) return;
    for (int i = 0; i < n; i++) order[i] = i;
    ms_rng g;
    ms_rng_seed(&g, seed, 0x5b117);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(ms_rng_u64(&g) % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    int nval = (int)lround(fraction * n);
    if (fraction > 0 && n >= 2 && nval < 1) nval = 1;
    if (nval >= n && n >= 2) nval = n - 1;
    for (int i = 0; i < n; i++) d->cases[order[i]].val = i < nval;
    free(order);
}

static const char *base_name(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    static __thread char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", (int)n, dir);
    char *s = strrchr(buf, '/');
    return s && s[1] ? s + 1 : buf;
}

static ms_status write_csv(const ms_dataset *d, const ms_dataset_opts *o, int val, char **names, int n_names)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.csv", o->csv_dir, val ? "val" : "train");
    ms_text_out out;
    ms_status st = ms_text_open(&out, path);
    if (st) return st;
    const char *sub = base_name(o->out_dir);
    for (int i = 0; i < d->n; i++) {
        if (d->cases[i].val != val) continue;
        for (int k = 0; k < n_names; k++) {
            char stem[2048], file[4096];
            snprintf(stem, sizeof stem, "%s%s", d->cases[i].stem, names[k]);
            snprintf(file, sizeof file, "%s/%s.npz", o->out_dir, stem);
            struct stat sb;
            if (stat(file, &sb) != 0) continue;
            ms_csv_put(out.fp, sub, 0);
            ms_csv_put(out.fp, stem, 0);
            ms_csv_put(out.fp, o->category, 1);
        }
    }
    return ms_text_close(&out, 1);
}

/* Rows for every output (case or variant) that exists in OUTDIR now. */
ms_status ms_dataset_write_csv(const ms_dataset *d, const ms_dataset_opts *o, char **suffixes, int n_suffixes)
{
    ms_status st = write_csv(d, o, 0, suffixes, n_suffixes);
    if (!st) st = write_csv(d, o, 1, suffixes, n_suffixes);
    return st;
}
