/* Running prepare-npz over a shard of cases, J at a time: each case is
 * prepared once and written as the full sample plus its partial variants;
 * a failing case removes what it wrote and the others go on. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "medseg/shard.h"
#include "medseg/log.h"
#include "medseg/rng.h"
#include "medseg/threads.h"
#include "shape_internal.h"

typedef struct {
    ms_dataset *d;
    const ms_dataset_opts *o;
    int *queue;
    char **suffix;           /* "" then "_drop1".., "_sub1".. */
    int n_suffix;
    pthread_mutex_t lock;
} batch;

ms_status ms_subsets_parse(const char *s, int C, uint8_t (*out)[MS_SHAPE_MAX_CLASSES], int max, int *n)
{
    *n = 0;
    const char *p = s;
    while (*p) {
        if (*n == max) return ms_fail(MS_ERR_USAGE, "--subsets: more than %d subsets", max);
        uint8_t *set = out[(*n)++];
        memset(set, 0, MS_SHAPE_MAX_CLASSES);
        for (;;) {
            char *end;
            long c = strtol(p, &end, 10);
            if (end == p || c < 1 || c > C) return ms_fail(MS_ERR_USAGE, "--subsets: expected a class 1..%d at '%s'", C, p);
            set[c - 1] = 1;
            p = end;
            if (*p == ',') p++;
            else break;
        }
        if (*p == ':') p++;
        else if (*p) return ms_fail(MS_ERR_USAGE, "--subsets: unexpected '%c'", *p);
    }
    if (!*n) return ms_fail(MS_ERR_USAGE, "--subsets is empty");
    return MS_OK;
}

static void out_path(const batch *b, const ms_case *c, int k, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s%s.npz", b->o->out_dir, c->stem, b->suffix[k]);
}

static int all_exist(const batch *b, const ms_case *c)
{
    char path[4096];
    struct stat sb;
    for (int k = 0; k < b->n_suffix; k++) {
        out_path(b, c, k, path, sizeof path);
        if (stat(path, &sb) != 0) return 0;
    }
    return 1;
}

/* Variant k's kept classes (k = 0 the full sample: NULL). Drop variants
 * remove A..B of the present classes, always keeping one. Returns 0 when
 * the variant keeps no present class and is left out. */
static int variant_keep(const batch *b, const ms_shape *s, int k, uint8_t *keep)
{
    const ms_dataset_opts *o = b->o;
    int present[MS_SHAPE_MAX_CLASSES], np = 0;
    for (int c = 0; c < s->C; c++)
        if (s->class_present[c]) present[np++] = c;
    memset(keep, 0, MS_SHAPE_MAX_CLASSES);
    if (k <= o->copies) {
        ms_rng g;
        ms_rng_seed(&g, s->stream, STREAM_VARIANT + (uint64_t)k);
        int n_drop = o->drop_lo + (int)(ms_rng_u64(&g) % (uint64_t)(o->drop_hi - o->drop_lo + 1));
        if (n_drop > np - 1) n_drop = np - 1;
        for (int i = np - 1; i > 0; i--) {
            int j = (int)(ms_rng_u64(&g) % (uint64_t)(i + 1)), t = present[i];
            present[i] = present[j];
            present[j] = t;
        }
        for (int i = n_drop; i < np; i++) keep[present[i]] = 1;
        return np - n_drop > 0;
    }
    int any = 0;
    for (int c = 0; c < s->C; c++) {
        keep[c] = (uint8_t)(o->subsets[k - o->copies - 1][c] && s->class_present[c]);
        any |= keep[c];
    }
    return any;
}

static ms_status write_case(batch *b, ms_case *c, const ms_shape *s)
{
    char path[4096];
    ms_status st = MS_OK;
    int k;
    for (k = 0; k < b->n_suffix && !st; k++) {
        uint8_t keep[MS_SHAPE_MAX_CLASSES];
        if (k > 0 && !variant_keep(b, s, k, keep)) {
            ms_warn("%s: variant %s keeps no present class; left out", c->stem, b->suffix[k] + 1);
            continue;
        }
        out_path(b, c, k, path, sizeof path);
        st = ms_shape_write(s, path, k ? keep : NULL, STREAM_VARIANT + 500 + (uint64_t)k);
        if (!st && k) c->n_variants_written++;
    }
    if (st)
        for (int j = 0; j < k; j++) {   /* leave no half-written case behind */
            out_path(b, c, j, path, sizeof path);
            unlink(path);
        }
    return st;
}

static void run_case(batch *b, ms_case *c)
{
    if (b->o->skip_existing && all_exist(b, c)) {
        c->skipped = 1;
        return;
    }
    ms_shape s;
    ms_status st = ms_shape_prepare(c->path, c->stem, &b->o->shape, &s);
    if (!st) {
        double t0 = ms_now();
        st = write_case(b, c, &s);
        memcpy(c->seconds, s.seconds, sizeof c->seconds);
        c->seconds[3] = ms_now() - t0;
        ms_shape_free(&s);
    }
    c->status = st;
    c->done = !st;
    if (st) c->error = strdup(ms_last_error());
}

static void case_range(void *arg, size_t lo, size_t hi)
{
    batch *b = arg;
    for (size_t i = lo; i < hi; i++) {
        ms_case *c = &b->d->cases[b->queue[i]];
        run_case(b, c);
        if (b->o->on_case) {
            pthread_mutex_lock(&b->lock);
            b->o->on_case(c, b->o->ctx);
            pthread_mutex_unlock(&b->lock);
        }
    }
}

static ms_status make_suffixes(batch *b)
{
    const ms_dataset_opts *o = b->o;
    b->n_suffix = 1 + o->copies + o->n_subsets;
    b->suffix = calloc((size_t)b->n_suffix, sizeof *b->suffix);
    if (!b->suffix) return ms_fail(MS_ERR_NOMEM, "out of memory");
    for (int k = 0; k < b->n_suffix; k++) {
        char buf[32];
        if (k == 0) buf[0] = 0;
        else if (k <= o->copies) snprintf(buf, sizeof buf, "_drop%d", k);
        else snprintf(buf, sizeof buf, "_sub%d", k - o->copies);
        if (!(b->suffix[k] = strdup(buf))) return ms_fail(MS_ERR_NOMEM, "out of memory");
    }
    return MS_OK;
}

ms_status ms_dataset_prepare(ms_dataset *d, const ms_dataset_opts *o)
{
    batch b = {d, o, NULL, NULL, 0, PTHREAD_MUTEX_INITIALIZER};
    ms_dataset_split(d, o->shape.seed, o->val_fraction);
    ms_status st = make_suffixes(&b);
    if (!st) st = ms_alloc_array((void **)&b.queue, (size_t)(d->n > 0 ? d->n : 1), sizeof *b.queue, 0, "case list");
    int n = 0;
    for (int i = 0; !st && i < d->n; i++) {
        d->cases[i].mine = ms_shard_owns(&(ms_shard){o->shard_i, o->shard_n}, d->cases[i].stem);
        if (d->cases[i].mine) b.queue[n++] = i;
    }
    if (!st) {
        /* J cases at a time, each with its share of the threads. */
        int threads = ms_threads_get(), jobs = o->jobs < 1 ? 1 : o->jobs;
        if (jobs > n) jobs = n > 0 ? n : 1;
        ms_threads_set(threads / jobs > 0 ? threads / jobs : 1);
        ms_parallel_for_n((size_t)n, 1, jobs, case_range, &b);
        ms_threads_set(threads);
    }
    if (!st && o->csv_dir) st = ms_dataset_write_csv(d, o, b.suffix, b.n_suffix);
    for (int k = 0; b.suffix && k < b.n_suffix; k++) free(b.suffix[k]);
    free(b.suffix);
    free(b.queue);
    return st;
}
