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
    geometry g;                  /* axes; d is the normal, step the slice step */
    double t0;                   /* position of slice 0 along the normal */
    const ms_dcm_header *origin; /* a frame on slice 0 */
    int64_t nk;
} seg_grid;

static ms_status seg_axes(const char *path, const slice *sl, int n, seg_grid *g)
{
    for (int i = 0; i < n; i++)
        if (!sl[i].h->has_ipp || !sl[i].h->has_iop)
            return ms_fail(MS_ERR_INPUT, "%s: Segmentation frame %d has no position or orientation", path,
                           sl[i].h->frame + 1);
    ms_status st = dicom_axes(path, sl[0].h, &g->g);
    memcpy(g->g.d, g->g.n, sizeof g->g.d);
    return st;
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
    const double *nrm = g->g.n;
    double *t = malloc((size_t)n * sizeof *t);
    if (!t) return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < n; i++) t[i] = dicom_dot(sl[i].h->ipp, nrm);
    qsort(t, (size_t)n, sizeof *t, dicom_cmp_double);
    g->t0 = t[0];
    double step = g->g.step = seg_step(sl, n, t);
    free(t);
    double tol = fmax(0.01, 0.01 * step);
    g->nk = 0;
    g->origin = NULL;
    for (int i = 0; i < n; i++) {
        double u = (dicom_dot(sl[i].h->ipp, nrm) - g->t0) / step;
        k[i] = (int64_t)llround(u);
        if (fabs(u - (double)k[i]) * step > tol)
            return ms_fail(MS_ERR_INPUT, "%s: Segmentation frame %d lies %.3f mm off the %.3f mm slice grid", path,
                           sl[i].h->frame + 1, fabs(u - (double)k[i]) * step, step);
        if (k[i] >= g->nk) g->nk = k[i] + 1;
        if (k[i] == 0 && !g->origin) g->origin = sl[i].h;
    }
    for (int i = 0; i < n; i++) {
        double q[3];
        for (int a = 0; a < 3; a++) q[a] = sl[i].h->ipp[a] - g->origin->ipp[a];
        double dr = dicom_dot(q, g->g.r), dc = dicom_dot(q, g->g.c);
        if (fabs(dr) > 0.1 || fabs(dc) > 0.1)
            return ms_fail(MS_ERR_INPUT, "%s: Segmentation frame %d is shifted in its plane (%.2f, %.2f mm) from the "
                           "others", path, sl[i].h->frame + 1, dr, dc);
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
    if (st || (st = dicom_set_affine(path, &g.g, g.origin, v))) return st;
    info->n_slices = n;
    info->slice_step = g.g.step;
    if (clash)
        ms_warn("%s: segments overlap at %zu voxels; each holds the highest segment number", path, clash);
    return MS_OK;
}
