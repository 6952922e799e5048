/* Label values to classes: the --class-map lookup, the class-index volume
 * every mesher reads, and each class's voxel box. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* Class per voxel through a small cache: label maps hold few distinct values. */
ms_status ms_shape_classes(const ms_volume *v, const char *path, const ms_shape_opts *o, ms_class_volume *cv)
{
    double bad;
    if (!ms_dtype_is_integer(v->dtype) && ms_volume_find_fraction(v, &bad))
        return ms_fail(MS_ERR_INPUT, "%s: not a label map (holds the value %g)", path, bad);
    size_t n = ms_volume_nvox(v);
    memset(cv, 0, sizeof *cv);
    ms_status st = ms_alloc_array((void **)&cv->cls, n, 1, 0, "class volume");
    if (st) return st;
    memcpy(cv->dim, v->dim, sizeof cv->dim);
    for (int c = 0; c <= MS_SHAPE_MAX_CLASSES; c++)
        for (int a = 0; a < 3; a++) {
            cv->lo[c][a] = INT64_MAX;
            cv->hi[c][a] = -1;
        }
    int64_t last_raw = INT64_MIN;
    int last_cls = 0;
    size_t idx = 0;
    for (int64_t k = 0; k < v->dim[2]; k++)
        for (int64_t j = 0; j < v->dim[1]; j++)
            for (int64_t i = 0; i < v->dim[0]; i++, idx++) {
                int64_t raw = (int64_t)ms_volume_get(v, idx);
                if (raw != last_raw) {
                    last_raw = raw;
                    last_cls = class_of(o, raw);
                }
                cv->cls[idx] = (uint8_t)last_cls;
                if (!last_cls) continue;
                int64_t p[3] = {i, j, k};
                int64_t *lo = cv->lo[last_cls], *hi = cv->hi[last_cls];
                for (int a = 0; a < 3; a++) {
                    if (p[a] < lo[a]) lo[a] = p[a];
                    if (p[a] > hi[a]) hi[a] = p[a];
                }
                cv->count[last_cls]++;
            }
    for (int c = 1; c <= o->n_classes; c++) {
        if (!cv->count[c]) continue;
        cv->count[0] += cv->count[c];
        for (int a = 0; a < 3; a++) {
            if (cv->lo[c][a] < cv->lo[0][a]) cv->lo[0][a] = cv->lo[c][a];
            if (cv->hi[c][a] > cv->hi[0][a]) cv->hi[0][a] = cv->hi[c][a];
        }
    }
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
