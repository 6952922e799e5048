/* Label values to classes: the --class-map lookup, the class-index volume
 * every mesher reads, and each class's voxel box. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/threads.h"
#include "shape_internal.h"

ms_status ms_class_map_parse(const char *s, int n_classes, ms_class_map *out)
{
    memset(out, 0, sizeof *out);
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long long raw = strtoll(p, &end, 10);
        if (end == p || *end != ':' || errno) return ms_fail(MS_ERR_USAGE, "--class-map: expected V:C at '%s'", p);
        p = end + 1;
        long c = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',')) return ms_fail(MS_ERR_USAGE, "--class-map: expected a class after '%lld:'", raw);
        if (c < 1 || c > n_classes) return ms_fail(MS_ERR_USAGE, "--class-map: class %ld outside 1..%d", c, n_classes);
        for (int i = 0; i < out->n; i++)
            if (out->raw[i] == raw) return ms_fail(MS_ERR_USAGE, "--class-map: value %lld mapped twice", raw);
        if (out->n == (int)(sizeof out->raw / sizeof *out->raw)) return ms_fail(MS_ERR_USAGE, "--class-map: too many entries");
        out->raw[out->n] = raw;
        out->cls[out->n++] = (int)c;
        p = *end ? end + 1 : end;
    }
    if (!out->n) return ms_fail(MS_ERR_USAGE, "--class-map is empty");
    return MS_OK;
}

static int class_of(const ms_shape_opts *o, int64_t raw)
{
    if (!o->map) return raw >= 1 && raw <= o->n_classes ? (int)raw : 0;
    for (int i = 0; i < o->map->n; i++)
        if (o->map->raw[i] == raw) return o->map->cls[i];
    return 0;
}

/* A float label beyond int64's range matches no class (and converting it
 * would be undefined). */
static inline int64_t raw_of(double x) { return x >= -0x1p63 && x < 0x1p63 ? (int64_t)x : INT64_MIN; }

typedef struct {
    int64_t lo[MS_SHAPE_MAX_CLASSES + 1][3], hi[MS_SHAPE_MAX_CLASSES + 1][3], count[MS_SHAPE_MAX_CLASSES + 1];
} class_stats;

/* Label maps hold few distinct values in long runs: the class of the last
 * value is kept. */
typedef struct {
    const ms_shape_opts *o;
    int64_t raw;
    int cls;
} class_cache;

static inline uint8_t cached_class(class_cache *c, int64_t raw)
{
    if (raw != c->raw) {
        c->raw = raw;
        c->cls = class_of(c->o, raw);
    }
    return (uint8_t)c->cls;
}

#define CLASSIFY(T, RAW)                                                          \
    for (int64_t i = 0; i < n; i++) out[i] = cached_class(c, RAW(((const T *)v->data)[idx + (size_t)i]));
#define AS_INT(x) ((int64_t)(x))

static void classify_row(const ms_volume *v, size_t idx, int64_t n, uint8_t *out, class_cache *c)
{
    switch (v->dtype) {
    case MS_U8: CLASSIFY(uint8_t, AS_INT) break;
    case MS_I16: CLASSIFY(int16_t, AS_INT) break;
    case MS_U16: CLASSIFY(uint16_t, AS_INT) break;
    case MS_I32: CLASSIFY(int32_t, AS_INT) break;
    case MS_F32: CLASSIFY(float, raw_of) break;
    default: CLASSIFY(double, raw_of) break;
    }
}

/* Counts and boxes of the classes in row (j, k). */
static void row_stats(const uint8_t *row, int64_t n, int64_t j, int64_t k, class_stats *st)
{
    int64_t first[MS_SHAPE_MAX_CLASSES + 1], last[MS_SHAPE_MAX_CLASSES + 1], run[MS_SHAPE_MAX_CLASSES + 1];
    uint8_t seen[MS_SHAPE_MAX_CLASSES + 1];
    int n_seen = 0;
    for (int64_t i = 0; i < n;) {
        int c = row[i];
        int64_t e = i + 1;
        while (e < n && row[e] == c) e++;
        if (c) {
            if (!n_seen || !memchr(seen, c, (size_t)n_seen)) {
                seen[n_seen++] = (uint8_t)c;
                first[c] = i;
                run[c] = 0;
            }
            last[c] = e - 1;
            run[c] += e - i;
        }
        i = e;
    }
    for (int s = 0; s < n_seen; s++) {
        int c = seen[s];
        int64_t lo[3] = {first[c], j, k}, hi[3] = {last[c], j, k};
        for (int a = 0; a < 3; a++) {
            if (lo[a] < st->lo[c][a]) st->lo[c][a] = lo[a];
            if (hi[a] > st->hi[c][a]) st->hi[c][a] = hi[a];
        }
        st->count[c] += run[c];
    }
}

static void stats_clear(class_stats *st)
{
    for (int c = 0; c <= MS_SHAPE_MAX_CLASSES; c++) {
        st->count[c] = 0;
        for (int a = 0; a < 3; a++) {
            st->lo[c][a] = INT64_MAX;
            st->hi[c][a] = -1;
        }
    }
}

static void stats_add(class_stats *to, const class_stats *from, int n_classes)
{
    for (int c = 1; c <= n_classes; c++) {
        if (!from->count[c]) continue;
        to->count[c] += from->count[c];
        for (int a = 0; a < 3; a++) {
            if (from->lo[c][a] < to->lo[c][a]) to->lo[c][a] = from->lo[c][a];
            if (from->hi[c][a] > to->hi[c][a]) to->hi[c][a] = from->hi[c][a];
        }
    }
}

enum { SLABS = 16 };

typedef struct {
    const ms_volume *v;
    const ms_shape_opts *o;
    uint8_t *cls;
    class_stats *slab;
} classify_job;

/* Slabs of slices, each with its own counts and boxes. */
static void classify_range(void *arg, size_t b, size_t e)
{
    classify_job *jb = arg;
    const int64_t *d = jb->v->dim;
    for (size_t s = b; s < e; s++) {
        class_cache c = {jb->o, INT64_MIN, class_of(jb->o, INT64_MIN)};
        stats_clear(&jb->slab[s]);
        int64_t k0 = d[2] * (int64_t)s / SLABS, k1 = d[2] * (int64_t)(s + 1) / SLABS;
        for (int64_t k = k0; k < k1; k++)
            for (int64_t j = 0; j < d[1]; j++) {
                size_t idx = ((size_t)k * (size_t)d[1] + (size_t)j) * (size_t)d[0];
                classify_row(jb->v, idx, d[0], jb->cls + idx, &c);
                row_stats(jb->cls + idx, d[0], j, k, &jb->slab[s]);
            }
    }
}

ms_status ms_shape_classes(const ms_volume *v, const char *path, const ms_shape_opts *o, ms_class_volume *cv)
{
    double bad;
    if (!ms_dtype_is_integer(v->dtype) && ms_volume_find_fraction(v, &bad))
        return ms_fail(MS_ERR_INPUT, "%s: not a label map (holds the value %g)", path, bad);
    size_t n = ms_volume_nvox(v);
    memset(cv, 0, sizeof *cv);
    class_stats *slab;
    ms_status st = ms_alloc_array((void **)&cv->cls, n, 1, 0, "class volume");
    if (!st) st = ms_alloc_array((void **)&slab, SLABS + 1, sizeof *slab, 0, "class boxes");
    if (st) {
        free(cv->cls);
        cv->cls = NULL;
        return st;
    }
    memcpy(cv->dim, v->dim, sizeof cv->dim);
    classify_job jb = {v, o, cv->cls, slab};
    ms_parallel_for(SLABS, 1, classify_range, &jb);
    class_stats *all = &slab[SLABS];
    stats_clear(all);
    for (int s = 0; s < SLABS; s++) stats_add(all, &slab[s], o->n_classes);
    for (int c = 1; c <= o->n_classes; c++) {
        all->count[0] += all->count[c];
        for (int a = 0; a < 3 && all->count[c]; a++) {
            if (all->lo[c][a] < all->lo[0][a]) all->lo[0][a] = all->lo[c][a];
            if (all->hi[c][a] > all->hi[0][a]) all->hi[0][a] = all->hi[c][a];
        }
    }
    memcpy(cv->count, all->count, sizeof cv->count);
    memcpy(cv->lo, all->lo, sizeof cv->lo);
    memcpy(cv->hi, all->hi, sizeof cv->hi);
    free(slab);
    if (!cv->count[0]) {
        free(cv->cls);
        cv->cls = NULL;
        return ms_fail(MS_ERR_INPUT, "%s: no foreground voxels of classes 1..%d", path, o->n_classes);
    }
    return MS_OK;
}

void ms_region_of_class(const ms_class_volume *cv, const ms_volume *v, int c, ms_region *r)
{
    memset(r, 0, sizeof *r);
    r->cls = cv->cls;
    memcpy(r->dim, cv->dim, sizeof r->dim);
    memcpy(r->affine, v->affine, sizeof r->affine);
    r->cls_id = c;
    memcpy(r->lo, cv->lo[c], sizeof r->lo);
    memcpy(r->hi, cv->hi[c], sizeof r->hi);
}
