/* Public labelling entry point (device dispatch) and the clean-ups that
 * work on a labelled volume: measuring, largest-K, minimum size. */
#include "medseg/components.h"

#include <stdlib.h>
#include <string.h>

#include "cc_runs.h"
#include "medseg/log.h"
#include "medseg/threads.h"
#include "ops_internal.h"

ms_status ms_label_components(const ms_volume *in, const ms_cc_opts *o, ms_volume *labels,
                              ms_components *stats)
{
    if (o->connectivity != 6 && o->connectivity != 18 && o->connectivity != 26)
        return ms_fail(MS_ERR_USAGE, "connectivity must be 6, 18 or 26, not %d", o->connectivity);
    if (in->dim[0] > INT32_MAX - 1)
        return ms_fail(MS_ERR_INPUT, "rows of %lld voxels are too long to label", (long long)in->dim[0]);
    if (stats) memset(stats, 0, sizeof *stats);
    if (o->per_label) {
        ms_status st = cc_check_label_values(in);
        if (st) return st;
    }
    if (o->device == MS_DEVICE_CUDA) return ms_cc_label_cuda(in, o, labels, stats);
    return ms_cc_label_cpu(in, o, labels, stats);
}

void ms_components_free(ms_components *c)
{
    free(c->comp);
    c->comp = NULL;
    c->count = 0;
}

/* Voxel i at (x, y, z) joins m; the first one gives m its source value
 * (read once a component, not once a voxel). */
static void take_voxel(ms_component *m, int64_t x, int64_t y, int64_t z, const ms_volume *source, size_t i)
{
    int64_t p[3] = {x, y, z};
    if (m->size == 0) {
        memcpy(m->lo, p, sizeof p);
        memcpy(m->hi, p, sizeof p);
        m->value = source ? (int64_t)ms_volume_get(source, i) : 1;
    }
    m->size++;
    for (int a = 0; a < 3; a++) {
        if (p[a] < m->lo[a]) m->lo[a] = p[a];
        if (p[a] > m->hi[a]) m->hi[a] = p[a];
    }
}

ms_status ms_components_measure(const ms_volume *labels, const ms_volume *source, int64_t count,
                                ms_components *out)
{
    if (labels->dtype != MS_I32) return ms_fail(MS_ERR_INTERNAL, "component labels must be int32");
    memset(out, 0, sizeof *out);
    ms_status st = ms_alloc_array((void **)&out->comp, count > 0 ? (size_t)count : 1, sizeof *out->comp, 1,
                                  "component table");
    if (st) return st;
    out->count = count;
    const int32_t *l = labels->data;
    size_t i = 0;
    for (int64_t z = 0; z < labels->dim[2]; z++)
        for (int64_t y = 0; y < labels->dim[1]; y++)
            for (int64_t x = 0; x < labels->dim[0]; x++, i++) {
                int32_t v = l[i];
                if (v <= 0) continue;
                if (v > count) {
                    ms_components_free(out);
                    return ms_fail(MS_ERR_INTERNAL, "label %d above the component count %lld", v, (long long)count);
                }
                take_voxel(&out->comp[v - 1], x, y, z, source, i);
            }
    return MS_OK;
}

static const ms_components *sort_stats;

/* Groups by value, then biggest first, then raster order. */
static int by_value_size(const void *a, const void *b)
{
    int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
    const ms_component *p = &sort_stats->comp[i], *q = &sort_stats->comp[j];
    if (p->value != q->value) return p->value < q->value ? -1 : 1;
    if (p->size != q->size) return p->size > q->size ? -1 : 1;
    return i < j ? -1 : i > j;
}

static int by_size(const void *a, const void *b)
{
    int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
    const ms_component *p = &sort_stats->comp[i], *q = &sort_stats->comp[j];
    if (p->size != q->size) return p->size > q->size ? -1 : 1;
    return i < j ? -1 : i > j;
}

/* keep[i] = 1 for the components that survive the largest-K rule. */
static ms_status choose_largest(const ms_components *s, int64_t largest, int per_label, uint8_t *keep)
{
    int64_t *order;
    ms_status st = ms_alloc_array((void **)&order, (size_t)s->count, sizeof *order, 0, "component order");
    if (st) return st;
    for (int64_t i = 0; i < s->count; i++) order[i] = i;
    sort_stats = s;   /* qsort has no context argument; callers are not concurrent */
    qsort(order, (size_t)s->count, sizeof *order, per_label ? by_value_size : by_size);
    int64_t rank = 0;
    for (int64_t i = 0; i < s->count; i++) {
        if (i > 0 && per_label && s->comp[order[i]].value != s->comp[order[i - 1]].value) rank = 0;
        keep[order[i]] = rank++ < largest;
    }
    free(order);
    return MS_OK;
}

typedef struct relabel_job { int32_t *l; const int32_t *map; } relabel_job;

static void relabel(void *ctx, size_t b, size_t e)
{
    relabel_job *j = ctx;
    for (size_t i = b; i < e; i++)
        if (j->l[i] > 0) j->l[i] = j->map[j->l[i]];
}

static ms_status apply_keep(ms_volume *labels, ms_components *s, const uint8_t *keep)
{
    int32_t *map;
    ms_status st = ms_alloc_array((void **)&map, (size_t)s->count + 1, sizeof *map, 1, "label map");
    if (st) return st;
    int64_t k = 0;
    for (int64_t i = 0; i < s->count; i++)
        if (keep[i]) {
            s->comp[k] = s->comp[i];
            map[i + 1] = (int32_t)++k;
        }
    s->count = k;
    relabel_job j = {labels->data, map};
    ms_parallel_for(ms_volume_nvox(labels), 1 << 16, relabel, &j);
    free(map);
    return MS_OK;
}

ms_status ms_components_filter(ms_volume *labels, ms_components *stats, int64_t largest, int per_label,
                               int64_t min_size)
{
    if (largest < 0 || min_size < 0) return ms_fail(MS_ERR_USAGE, "--largest and --min-size must not be negative");
    if (stats->count == 0) return MS_OK;
    uint8_t *keep;
    ms_status st = ms_alloc_array((void **)&keep, (size_t)stats->count, 1, 0, "component flags");
    if (st) return st;
    memset(keep, 1, (size_t)stats->count);
    if (largest > 0) st = choose_largest(stats, largest, per_label, keep);
    for (int64_t i = 0; !st && i < stats->count; i++)
        if (stats->comp[i].size < min_size) keep[i] = 0;
    if (!st) st = apply_keep(labels, stats, keep);
    free(keep);
    return st;
}

ms_dtype ms_labels_dtype(int64_t count)
{
    return count <= UINT8_MAX ? MS_U8 : count <= UINT16_MAX ? MS_U16 : MS_I32;
}

#define NARROW(T)                                            \
    do {                                                     \
        T *d_ = labels->data;                                \
        for (size_t i = 0; i < n; i++) d_[i] = (T)src[i];    \
    } while (0)

void ms_labels_narrow(ms_volume *labels, ms_dtype t)
{
    if (labels->dtype != MS_I32 || t == MS_I32) return;
    size_t n = ms_volume_nvox(labels);
    const int32_t *src = labels->data;
    /* In place: element i of the narrower array ends before element i + 1
     * of the wider one starts, and is written after element i is read. */
    if (t == MS_U8) NARROW(uint8_t);
    else NARROW(uint16_t);
    labels->dtype = t;
    void *small = realloc(labels->data, n ? n * ms_dtype_size(t) : 1);
    if (small) labels->data = small;
}
#undef NARROW

/* mask := 1 where l == best (in the mask's own type), else 0. */
#define KEEP(T)                                                                    \
    do {                                                                           \
        T *m_ = mask->data;                                                        \
        for (size_t i = 0; i < n; i++) m_[i] = (T)(best && l[i] == best ? 1 : 0);  \
    } while (0)

ms_status ms_keep_largest_component(ms_volume *mask, int connectivity, ms_device dev, int64_t *kept)
{
    ms_cc_opts o = {connectivity, 0, dev};
    ms_volume lab;
    ms_components s;
    ms_status st = ms_label_components(mask, &o, &lab, &s);
    if (st) return st;
    int32_t best = 0;
    int64_t best_size = 0;
    for (int64_t i = 0; i < s.count; i++)
        if (s.comp[i].size > best_size) {
            best_size = s.comp[i].size;
            best = (int32_t)(i + 1);
        }
    const int32_t *l = lab.data;
    size_t n = ms_volume_nvox(mask);
    switch (mask->dtype) {
    case MS_U8: KEEP(uint8_t); break;
    case MS_I16: KEEP(int16_t); break;
    case MS_U16: KEEP(uint16_t); break;
    case MS_I32: KEEP(int32_t); break;
    case MS_F32: KEEP(float); break;
    default: KEEP(double); break;
    }
    if (kept) *kept = best_size;
    ms_components_free(&s);
    ms_volume_free(&lab);
    return MS_OK;
}
#undef KEEP
