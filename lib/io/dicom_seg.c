/* DICOM Segmentation objects (PS3.3 A.51) as label maps. Each frame holds
 * one segment (its Segment Identification functional group) on one plane
 * (its Plane Position); writers leave out empty frames, so the planes are
 * a sparse subset of a regular grid whose step is SpacingBetweenSlices
 * (else the smallest gap between planes). The volume spans the planes
 * present, in the frames' own geometry. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dicom_seg.h"
#include "medseg/log.h"
#include "medseg/memory.h"

typedef struct {
    double r[3], c[3], nrm[3];
    double t0, step;      /* position of slice 0 along nrm; mm between slices */
    const double *origin; /* a frame on slice 0 */
    int64_t nk;
} seg_grid;

static double dot(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static ms_status seg_axes(const char *path, const slice *sl, int n, seg_grid *g)
{
    for (int i = 0; i < n; i++)
        if (!sl[i].h->has_ipp || !sl[i].h->has_iop)
            return ms_fail(MS_ERR_INPUT, "%s: Segmentation frame %d has no position or orientation", path,
                           sl[i].h->frame + 1);
    const double *iop = sl[0].h->iop;
    double lr = sqrt(dot(iop, iop)), lc = sqrt(dot(iop + 3, iop + 3));
    if (!(lr > 0.5 && lc > 0.5) || fabs(dot(iop, iop + 3)) > 1e-3 * lr * lc)
        return ms_fail(MS_ERR_INPUT, "%s: ImageOrientationPatient is not two orthogonal unit vectors", path);
    for (int a = 0; a < 3; a++) g->r[a] = iop[a] / lr, g->c[a] = iop[3 + a] / lc;
    g->nrm[0] = g->r[1] * g->c[2] - g->r[2] * g->c[1];
    g->nrm[1] = g->r[2] * g->c[0] - g->r[0] * g->c[2];
    g->nrm[2] = g->r[0] * g->c[1] - g->r[1] * g->c[0];
    return MS_OK;
}

/* The slice step: SpacingBetweenSlices, else the smallest gap between the
 * planes present, else SliceThickness, else 1 mm. */
static double seg_step(const slice *sl, int n, const double *t_sorted)
{
    if (sl[0].h->slice_spacing > 0) return sl[0].h->slice_spacing;
    double gap = 0;
    for (int i = 1; i < n; i++) {
        double d = t_sorted[i] - t_sorted[i - 1];
        if (d > 1e-3 && (gap == 0 || d < gap)) gap = d;
    }
    if (gap > 0) return gap;
    return sl[0].h->slice_thickness > 0 ? sl[0].h->slice_thickness : 1.0;
}

/* Slice index of every frame (k[i]), checking that frames lie on the grid
 * and share one in-plane origin. */
static ms_status seg_place(const char *path, const slice *sl, int n, seg_grid *g, int64_t *k)
{
    double *t = malloc((size_t)n * sizeof *t);
    if (!t) return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < n; i++) t[i] = dot(sl[i].h->ipp, g->nrm);
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    g->t0 = t[0];
    g->step = seg_step(sl, n, t);
    free(t);
    double tol = fmax(0.01, 0.01 * g->step);
    g->nk = 0;
    g->origin = NULL;
    for (int i = 0; i < n; i++) {
        double u = (dot(sl[i].h->ipp, g->nrm) - g->t0) / g->step;
        k[i] = (int64_t)llround(u);
        if (fabs(u - (double)k[i]) * g->step > tol)
            return ms_fail(MS_ERR_INPUT, "%s: Segmentation frame %d lies %.3f mm off the %.3f mm slice grid", path,
                           sl[i].h->frame + 1, fabs(u - (double)k[i]) * g->step, g->step);
        if (k[i] >= g->nk) g->nk = k[i] + 1;
        if (k[i] == 0 && !g->origin) g->origin = sl[i].h->ipp;
    }
    for (int i = 0; i < n; i++) {
        double q[3];
        for (int a = 0; a < 3; a++) q[a] = sl[i].h->ipp[a] - g->origin[a];
        if (fabs(dot(q, g->r)) > 0.1 || fabs(dot(q, g->c)) > 0.1)
            return ms_fail(MS_ERR_INPUT, "%s: Segmentation frame %d is shifted in its plane (%.2f, %.2f mm) from the "
                           "others", path, sl[i].h->frame + 1, dot(q, g->r), dot(q, g->c));
    }
    return MS_OK;
}

static ms_status seg_alloc(const char *path, const slice *sl, int n, const seg_grid *g, ms_volume *v)
{
    int top = 0;
    for (int i = 0; i < n; i++) {
        if (sl[i].h->segment <= 0)
            return ms_fail(MS_ERR_INPUT, "%s: Segmentation frame %d names no segment (ReferencedSegmentNumber)", path,
                           sl[i].h->frame + 1);
        if (sl[i].h->segment > top) top = sl[i].h->segment;
    }
    int64_t dim[3] = {sl[0].h->cols, sl[0].h->rows, g->nk};
    return ms_volume_alloc(v, dim, top <= 255 ? MS_U8 : MS_U16, path);
}

/* ORs frame i's voxels into slice k as its segment number; counts the
 * voxels another segment already held. */
static size_t paint(const slice *s, const uint8_t *src, int64_t k, ms_volume *v)
{
    size_t npx = (size_t)v->dim[0] * (size_t)v->dim[1], clash = 0;
    double cut = s->h->seg_type == 2 ? 0.5 * s->h->max_fraction : 0.5;
    unsigned lab = (unsigned)s->h->segment;
    for (size_t p = 0; p < npx; p++) {
        if (src[p] < cut) continue;
        size_t at = (size_t)k * npx + p;
        unsigned old = v->dtype == MS_U8 ? ((uint8_t *)v->data)[at] : ((uint16_t *)v->data)[at];
        clash += old && old != lab;
        if (old > lab) continue;
        if (v->dtype == MS_U8) ((uint8_t *)v->data)[at] = (uint8_t)lab;
        else ((uint16_t *)v->data)[at] = (uint16_t)lab;
    }
    return clash;
}

/* Decodes each file once (its frames are consecutive in sl) and paints. */
static ms_status seg_fill(const slice *sl, int n, const int64_t *k, ms_volume *v, size_t *clash)
{
    ms_status st = MS_OK;
    uint8_t *buf = NULL;
    const char *loaded = NULL;
    size_t npx = (size_t)v->dim[0] * (size_t)v->dim[1];
    for (int i = 0; i < n && !st; i++) {
        if (!loaded || strcmp(loaded, sl[i].path) != 0) {
            free(buf);
            buf = NULL;
            st = ms_alloc_array((void **)&buf, npx, (size_t)sl[i].h->frames, 0, sl[i].path);
            if (!st) st = ms_dcm_read_seg_frames(sl[i].path, sl[i].h, buf);
            loaded = sl[i].path;
        }
        if (!st) *clash += paint(&sl[i], buf + (size_t)sl[i].h->frame * npx, k[i], v);
    }
    free(buf);
    return st;
}

static void seg_affine(const slice *sl, const seg_grid *g, double a[4][4])
{
    double dr = sl[0].h->has_spacing ? sl[0].h->pixel_spacing[0] : 1.0;
    double dc = sl[0].h->has_spacing ? sl[0].h->pixel_spacing[1] : 1.0;
    memset(a, 0, sizeof(double) * 16);
    for (int x = 0; x < 3; x++) {
        a[x][0] = g->r[x] * dc;
        a[x][1] = g->c[x] * dr;
        a[x][2] = g->nrm[x] * g->step;
        a[x][3] = g->origin[x];
    }
    a[3][3] = 1;
}

ms_status dicom_read_seg(const char *path, slice *sl, int n, ms_volume *v, ms_dicom_info *info)
{
    seg_grid g = {0};
    int64_t *k = NULL;
    size_t clash = 0;
    ms_status st = seg_axes(path, sl, n, &g);
    if (!st) st = ms_alloc_array((void **)&k, (size_t)n, sizeof *k, 0, path);
    if (!st) st = seg_place(path, sl, n, &g, k);
    if (!st) st = seg_alloc(path, sl, n, &g, v);
    if (!st && (st = seg_fill(sl, n, k, v, &clash))) ms_volume_free(v);
    free(k);
    if (st) return st;
    double a[4][4];
    seg_affine(sl, &g, a);
    if ((st = ms_affine_check(a, path))) {
        ms_volume_free(v);
        return st;
    }
    ms_volume_set_affine(v, a);
    info->n_slices = n;
    info->slice_step = g.step;
    if (clash)
        ms_warn("%s: segments overlap at %zu voxels; each holds the highest segment number", path, clash);
    return MS_OK;
}
