/* A case's npz: the arrays the VecSetX loader reads plus classes, normals,
 * the frame, and for partial variants the kept classes' input surface. */
#include <stdlib.h>
#include <string.h>

#include "medseg/log.h"
#include "medseg/npz.h"
#include "shape_internal.h"

static ms_status add2(ms_npz *z, const char *name, const char *descr, const void *d, int64_t a, int64_t b)
{
    int64_t shape[2] = {a, b};
    return ms_npz_add(z, name, descr, d, 2, shape);
}

static ms_status add1(ms_npz *z, const char *name, const char *descr, const void *d, int64_t a)
{
    return ms_npz_add(z, name, descr, d, 1, &a);
}

/* (N, 3 + C): points then one-hot classes, side by side. */
static ms_status add_surface(ms_npz *z, const ms_shape *s)
{
    const int64_t N = s->n_surface, C = s->C, W = 3 + C;
    float *both;
    ms_status st = ms_alloc_array((void **)&both, (size_t)N, (size_t)W * sizeof *both, 0, "surface array");
    if (st) return st;
    for (int64_t i = 0; i < N; i++) {
        memcpy(&both[i * W], &s->surface_points[3 * i], 3 * sizeof *both);
        memcpy(&both[i * W + 3], &s->surface_labels[i * C], (size_t)C * sizeof *both);
    }
    st = add2(z, "surface", "<f4", both, N, W);
    free(both);
    return st;
}

static ms_status add_targets(ms_npz *z, const ms_shape *s)
{
    const int64_t N = s->n_surface, M = s->n_vol, K = s->n_near, C = s->C;
    int64_t none = 0, four[2] = {4, 4};
    ms_status st = add2(z, "surface_points", "<f4", s->surface_points, N, 3);
    if (!st) st = add2(z, "surface_labels", "<f4", s->surface_labels, N, C);
    if (!st) st = add_surface(z, s);
    if (!st) st = add2(z, "surface_normals", "<f4", s->surface_normals, N, 3);
    if (!st) st = add2(z, "vol_points", "<f4", s->vol_points, M, 3);
    if (!st) st = add1(z, "vol_sdf", "<f4", s->vol_sdf, M);
    if (!st) st = add2(z, "vol_sdf_class", "<f4", s->vol_sdf_class, M, C);
    if (!st) st = add2(z, "near_points", "<f4", s->near_points, K, 3);
    if (!st) st = add1(z, "near_sdf", "<f4", s->near_sdf, K);
    if (!st) st = add1(z, "near_labels", "<i4", s->near_labels, K);
    if (!st) st = add1(z, "class_present", "|u1", s->class_present, C);
    if (!st) st = add1(z, "shifts", "<f8", s->shifts, 3);
    if (!st) st = ms_npz_add(z, "scale", "<f8", &s->scale, 0, &none);
    if (!st) st = ms_npz_add(z, "affine", "<f8", s->affine, 2, four);
    if (!st) st = add1(z, "spacing", "<f8", s->spacing, 3);
    return st;
}

static ms_status add_input(ms_npz *z, const ms_shape *s, const uint8_t *keep, uint64_t stream)
{
    const int64_t N = s->n_surface, C = s->C;
    float *pts = NULL, *lab = NULL;
    uint8_t present[MS_SHAPE_MAX_CLASSES];
    for (int c = 0; c < C; c++) present[c] = (uint8_t)(keep[c] && s->class_present[c]);
    ms_status st = ms_alloc_array((void **)&pts, (size_t)N * 3, sizeof *pts, 0, "input points");
    if (!st) st = ms_alloc_array((void **)&lab, (size_t)N * (size_t)C, sizeof *lab, 0, "input labels");
    if (!st) st = ms_shape_sample_classes(s, present, N, stream, pts, lab, NULL);
    if (!st) st = add2(z, "input_surface_points", "<f4", pts, N, 3);
    if (!st) st = add2(z, "input_surface_labels", "<f4", lab, N, C);
    if (!st) st = add1(z, "input_class_present", "|u1", present, C);
    free(pts);
    free(lab);
    return st;
}

ms_status ms_shape_write(const ms_shape *s, const char *path, const uint8_t *keep, uint64_t variant_stream)
{
    ms_npz *z;
    ms_status st = ms_npz_open(&z, path, 0);
    if (st) return st;
    st = add_targets(z, s);
    if (!st && keep) st = add_input(z, s, keep, variant_stream);
    if (st) {
        ms_npz_abort(z);
        return st;
    }
    return ms_npz_close(z);
}
