/* One case of prepare-npz: label map -> class meshes -> normalised frame ->
 * surface, volume and near-surface samples with their signed distances. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/io.h"
#include "medseg/log.h"
#include "medseg/rng.h"
#include "medseg/sdf.h"
#include "medseg/threads.h"
#include "shape_internal.h"

typedef struct {
    const ms_class_volume *cv;
    const ms_volume *v;
    const int *cls;          /* class per task; 0 = union of all */
    ms_mesh *out;
    ms_status *st;
} mesh_job;

static void mesh_range(void *arg, size_t b, size_t e)
{
    mesh_job *j = arg;
    for (size_t i = b; i < e; i++) {
        ms_region r;
        ms_region_of_class(j->cv, j->v, j->cls[i], &r);
        j->st[i] = ms_marching_cubes(&r, &j->out[i]);
    }
}

/* Meshes of the present classes (s->mesh) and of their union. */
static ms_status make_meshes(ms_shape *s, const ms_class_volume *cv, const ms_volume *v, ms_mesh *uni)
{
    int cls[MS_SHAPE_MAX_CLASSES + 1], n = 0;
    ms_mesh out[MS_SHAPE_MAX_CLASSES + 1];
    ms_status st[MS_SHAPE_MAX_CLASSES + 1];
    cls[n++] = 0;
    for (int c = 1; c <= s->C; c++)
        if (cv->count[c]) cls[n++] = c;
    mesh_job j = {cv, v, cls, out, st};
    ms_parallel_for((size_t)n, 1, mesh_range, &j);
    ms_status first = MS_OK;
    for (int i = 0; i < n; i++)
        if (st[i] && !first) first = st[i];
    for (int i = 1; i < n; i++) s->mesh[cls[i] - 1] = out[i];
    *uni = out[0];
    if (first) return ms_fail(first, "meshing failed (out of memory?)");
    return MS_OK;
}

static ms_status write_plys(const ms_shape *s, const ms_mesh *uni, const char *dir, const char *stem)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_union.ply", dir, stem);
    ms_status st = ms_mesh_write_ply(uni, path);
    for (int c = 1; c <= s->C && !st; c++) {
        if (!s->class_present[c - 1]) continue;
        snprintf(path, sizeof path, "%s/%s_class%d.ply", dir, stem, c);
        st = ms_mesh_write_ply(&s->mesh[c - 1], path);
    }
    return st;
}

/* Centre of the surface's bounding box; scale to the unit sphere or to
 * [-1, 1] along the longest side. */
static void normalise(ms_shape *s, ms_mesh *uni, ms_normalize how)
{
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int64_t i = 0; i < uni->nv; i++)
        for (int a = 0; a < 3; a++) {
            lo[a] = fmin(lo[a], uni->v[3 * i + a]);
            hi[a] = fmax(hi[a], uni->v[3 * i + a]);
        }
    double far = 0;
    for (int a = 0; a < 3; a++) s->shifts[a] = 0.5 * (lo[a] + hi[a]);
    if (how == MS_NORM_BOX) {
        for (int a = 0; a < 3; a++) far = fmax(far, 0.5 * (hi[a] - lo[a]));
    } else {
        for (int64_t i = 0; i < uni->nv; i++) {
            double d2 = 0;
            for (int a = 0; a < 3; a++) d2 += (uni->v[3 * i + a] - s->shifts[a]) * (uni->v[3 * i + a] - s->shifts[a]);
            far = fmax(far, d2);
        }
        far = sqrt(far);
    }
    s->scale = 1.0 / far;
    ms_mesh *all[MS_SHAPE_MAX_CLASSES + 1];
    int n = 0;
    all[n++] = uni;
    for (int c = 0; c < s->C; c++)
        if (s->class_present[c]) all[n++] = &s->mesh[c];
    for (int m = 0; m < n; m++)
        for (int64_t i = 0; i < all[m]->nv; i++)
            for (int a = 0; a < 3; a++) all[m]->v[3 * i + a] = (all[m]->v[3 * i + a] - s->shifts[a]) * s->scale;
}

static ms_status alloc_samples(ms_shape *s)
{
    size_t N = (size_t)s->n_surface, M = (size_t)s->n_vol, K = (size_t)s->n_near, C = (size_t)s->C;
    ms_status st = MS_OK;
    if (!st) st = ms_alloc_array((void **)&s->surface_points, N * 3, sizeof(float), 0, "surface points");
    if (!st) st = ms_alloc_array((void **)&s->surface_labels, N * C, sizeof(float), 0, "surface labels");
    if (!st) st = ms_alloc_array((void **)&s->surface_normals, N * 3, sizeof(float), 0, "surface normals");
    if (!st) st = ms_alloc_array((void **)&s->vol_points, M * 3, sizeof(float), 0, "volume points");
    if (!st) st = ms_alloc_array((void **)&s->vol_sdf, M, sizeof(float), 0, "volume SDF");
    if (!st) st = ms_alloc_array((void **)&s->vol_sdf_class, M * C, sizeof(float), 0, "class SDF");
    if (!st) st = ms_alloc_array((void **)&s->near_points, K * 3, sizeof(float), 0, "near points");
    if (!st) st = ms_alloc_array((void **)&s->near_sdf, K, sizeof(float), 0, "near SDF");
    if (!st) st = ms_alloc_array((void **)&s->near_labels, K, sizeof(int32_t), 0, "near labels");
    return st;
}

/* Present class meshes as a list, with their class numbers. */
int ms_shape_class_meshes(const ms_shape *s, const uint8_t *keep, ms_mesh **list, int *cls)
{
    int n = 0;
    for (int c = 0; c < s->C; c++)
        if (s->class_present[c] && (!keep || keep[c])) {
            list[n] = &s->mesh[c];
            cls[n++] = c + 1;
        }
    return n;
}

ms_status ms_shape_sample_classes(const ms_shape *s, const uint8_t *keep, int64_t n, uint64_t stream, float *pts,
                                  float *labels, float *normals)
{
    ms_mesh *list[MS_SHAPE_MAX_CLASSES];
    int cls[MS_SHAPE_MAX_CLASSES];
    int k = ms_shape_class_meshes(s, keep, list, cls);
    if (!k) return ms_fail(MS_ERR_USAGE, "no class left to sample");
    return ms_surface_sample(list, cls, k, s->C, n, s->stream, stream, pts, labels, normals, NULL);
}

typedef struct {
    ms_shape *s;
    const ms_shape_opts *o;
    ms_status st[3];
    char why[3][512];       /* a failure's message, from its own thread */
} draw_job;

static ms_status draw_surface(ms_shape *s)
{
    return ms_shape_sample_classes(s, NULL, s->n_surface, STREAM_SURFACE, s->surface_points, s->surface_labels,
                                   s->surface_normals);
}

static ms_status draw_vol(ms_shape *s)
{
    ms_rng g;
    ms_rng_seed(&g, s->stream, STREAM_VOL);
    for (int64_t i = 0; i < 3 * s->n_vol; i++) s->vol_points[i] = (float)ms_rng_range(&g, -1.0, 1.0);
    return MS_OK;
}

static ms_status draw_near(ms_shape *s, const ms_shape_opts *o)
{
    ms_status st = ms_shape_sample_classes(s, NULL, s->n_near, STREAM_NEAR, s->near_points, NULL, NULL);
    if (st) return st;
    ms_rng g;
    ms_rng_seed(&g, s->stream, STREAM_NEAR + 1);
    for (int64_t i = 0; i < s->n_near; i++) {
        double sigma = i < s->n_near / 2 ? o->near_sigma[0] : o->near_sigma[1];
        for (int a = 0; a < 3; a++) s->near_points[3 * i + a] += (float)(sigma * ms_rng_normal(&g));
    }
    return MS_OK;
}

/* Each point set has its own random stream, so the three are drawn at once. */
static void draw_range(void *arg, size_t b, size_t e)
{
    draw_job *j = arg;
    for (size_t i = b; i < e; i++) {
        j->st[i] = i == 0 ? draw_surface(j->s) : i == 1 ? draw_near(j->s, j->o) : draw_vol(j->s);
        if (j->st[i]) snprintf(j->why[i], sizeof j->why[i], "%s", ms_last_error());
    }
}

static ms_status draw_points(ms_shape *s, const ms_shape_opts *o)
{
    draw_job j = {.s = s, .o = o};
    ms_parallel_for(3, 1, draw_range, &j);
    for (int i = 0; i < 3; i++)
        if (j.st[i]) return ms_fail(j.st[i], "%s", j.why[i]);
    return MS_OK;
}

static uint64_t name_hash(const char *s)
{
    return ms_fnv1a64(MS_FNV1A_START, s, strlen(s));
}

static ms_status load(ms_shape *s, const char *path, const ms_shape_opts *o, ms_class_volume *cv, ms_mesh *uni)
{
    ms_volume v;
    ms_status st = ms_read_volume(path, NULL, &v, NULL);
    if (st) return st;
    memcpy(s->affine, v.affine, sizeof s->affine);
    memcpy(s->spacing, v.spacing, sizeof s->spacing);
    st = ms_shape_classes(&v, path, o, cv);
    for (int c = 1; !st && c <= s->C; c++) s->class_present[c - 1] = cv->count[c] > 0;
    if (!st) st = ms_alloc_array((void **)&s->mesh, (size_t)s->C, sizeof *s->mesh, 1, "meshes");
    if (!st) st = make_meshes(s, cv, &v, uni);
    ms_volume_free(&v);
    return st;
}

ms_status ms_shape_prepare(const char *path, const char *stem, const ms_shape_opts *o, ms_shape *s)
{
    memset(s, 0, sizeof *s);
    s->C = o->n_classes;
    s->n_surface = o->n_surface;
    s->n_vol = o->n_vol;
    s->n_near = o->n_near;
    s->stream = ms_hash64(o->seed ^ ms_hash64(name_hash(stem)));
    ms_class_volume cv = {0};
    ms_mesh uni = {0};
    double t0 = ms_now();
    ms_status st = load(s, path, o, &cv, &uni);
    free(cv.cls);
    if (!st && o->mesh_dir) st = write_plys(s, &uni, o->mesh_dir, stem);
    s->seconds[0] = ms_now() - t0;
    if (!st) {
        normalise(s, &uni, o->normalize);
        st = alloc_samples(s);
    }
    t0 = ms_now();
    if (!st) st = draw_points(s, o);
    s->seconds[1] = ms_now() - t0;
    t0 = ms_now();
    if (!st) st = ms_shape_distances(s, &uni, o->device);
    s->seconds[2] = ms_now() - t0;
    ms_mesh_free(&uni);
    if (st) ms_shape_free(s);
    return st;
}

void ms_shape_free(ms_shape *s)
{
    if (s->mesh)
        for (int c = 0; c < s->C; c++) ms_mesh_free(&s->mesh[c]);
    free(s->mesh);
    free(s->surface_points);
    free(s->surface_labels);
    free(s->surface_normals);
    free(s->vol_points);
    free(s->vol_sdf);
    free(s->vol_sdf_class);
    free(s->near_points);
    free(s->near_sdf);
    free(s->near_labels);
    memset(s, 0, sizeof *s);
}
