/* Slices of a volume along one of its voxel axes, and the prompt checks
 * that only need the slice's size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/seg.h"

static const char *axis_names[] = {"axial", "coronal", "sagittal"};

int ms_axis_parse(const char *s, ms_axis *out)
{
    for (int a = 0; a < 3; a++)
        if (strcmp(s, axis_names[a]) == 0) {
            *out = (ms_axis)a;
            return 1;
        }
    return 0;
}

const char *ms_axis_name(ms_axis a) { return axis_names[a]; }

void ms_axis_map(ms_axis a, int *xa, int *ya, int *za)
{
    static const int map[3][3] = {{0, 1, 2}, {0, 2, 1}, {1, 2, 0}};
    *xa = map[a][0];
    *ya = map[a][1];
    *za = map[a][2];
}

/* Voxel index of slice pixel (x, y) on slice k: strides of the three axes. */
static void slice_strides(const ms_volume *v, ms_axis a, int64_t st[3], int64_t *w, int64_t *h)
{
    int xa, ya, za;
    ms_axis_map(a, &xa, &ya, &za);
    int64_t stride[3] = {1, v->dim[0], v->dim[0] * v->dim[1]};
    st[0] = stride[xa];
    st[1] = stride[ya];
    st[2] = stride[za];
    *w = v->dim[xa];
    *h = v->dim[ya];
}

ms_status ms_slice_get(const ms_volume *v, ms_axis a, int64_t k, ms_slice *s)
{
    int xa, ya, za;
    ms_axis_map(a, &xa, &ya, &za);
    memset(s, 0, sizeof *s);
    if (k < 0 || k >= v->dim[za])
        return ms_fail(MS_ERR_INPUT, "slice %lld is outside the volume (%s slices 0..%lld)", (long long)k,
                       axis_names[a], (long long)v->dim[za] - 1);
    int64_t st[3];
    slice_strides(v, a, st, &s->w, &s->h);
    s->sx = v->spacing[xa];
    s->sy = v->spacing[ya];
    ms_status rc = ms_alloc_array((void **)&s->px, (size_t)(s->w * s->h), sizeof(float), 0, "slice");
    if (rc) return rc;
    for (int64_t y = 0; y < s->h; y++)
        ms_volume_read_f32(v, (size_t)(y * st[1] + k * st[2]), (ptrdiff_t)st[0], (size_t)s->w, s->px + y * s->w);
    return MS_OK;
}

void ms_slice_free(ms_slice *s)
{
    free(s->px);
    s->px = NULL;
}

void ms_slice_window(ms_slice *s, double center, double width)
{
    float lo = (float)(center - width / 2), hi = (float)(center + width / 2);
    for (int64_t i = 0; i < s->w * s->h; i++) s->px[i] = s->px[i] < lo ? lo : s->px[i] > hi ? hi : s->px[i];
}

void ms_slice_put(ms_volume *mask, ms_axis a, int64_t k, const uint8_t *m, uint8_t value)
{
    int64_t st[3], w, h;
    slice_strides(mask, a, st, &w, &h);
    uint8_t *d = mask->data;
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++)
            if (m[y * w + x]) d[x * st[0] + y * st[1] + k * st[2]] = value;
}

void ms_slice_add(ms_volume *counts, ms_axis a, int64_t k, const uint8_t *m)
{
    int64_t st[3], w, h;
    slice_strides(counts, a, st, &w, &h);
    uint8_t *d = counts->data;
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++)
            if (m[y * w + x] && d[x * st[0] + y * st[1] + k * st[2]] < 255) d[x * st[0] + y * st[1] + k * st[2]]++;
}

void ms_slice_mask(const ms_volume *v, ms_axis a, int64_t k, uint8_t *m)
{
    int64_t st[3], w, h;
    slice_strides(v, a, st, &w, &h);
    float buf[1024];
    for (int64_t y = 0; y < h; y++)
        for (int64_t x0 = 0; x0 < w; x0 += 1024) {
            int64_t n = w - x0 < 1024 ? w - x0 : 1024;
            ms_volume_read_f32(v, (size_t)(x0 * st[0] + y * st[1] + k * st[2]), (ptrdiff_t)st[0], (size_t)n, buf);
            for (int64_t x = 0; x < n; x++) m[y * w + x0 + x] = buf[x] != 0;
        }
}

ms_status ms_prompt_check(const ms_prompt *p, int64_t w, int64_t h, const char *what)
{
    if (!p->has_box && p->npoints == 0) return ms_fail(MS_ERR_USAGE, "%s: give a box or at least one point", what);
    if (p->has_box) {
        const int64_t *b = p->box;
        if (b[2] < b[0] || b[3] < b[1])
            return ms_fail(MS_ERR_INPUT, "%s: empty box %lld,%lld,%lld,%lld (X2 < X1 or Y2 < Y1)", what,
                           (long long)b[0], (long long)b[1], (long long)b[2], (long long)b[3]);
        if (b[0] < 0 || b[1] < 0 || b[2] >= w || b[3] >= h)
            return ms_fail(MS_ERR_INPUT, "%s: box %lld,%lld,%lld,%lld is outside the %lldx%lld slice", what,
                           (long long)b[0], (long long)b[1], (long long)b[2], (long long)b[3], (long long)w,
                           (long long)h);
    }
    int nfg = 0;
    for (int i = 0; i < p->npoints; i++) {
        const ms_point2 *q = &p->points[i];
        if (q->x < 0 || q->y < 0 || q->x >= w || q->y >= h)
            return ms_fail(MS_ERR_INPUT, "%s: point %lld,%lld is outside the %lldx%lld slice", what,
                           (long long)q->x, (long long)q->y, (long long)w, (long long)h);
        if (p->has_box && q->fg &&
            (q->x < p->box[0] || q->x > p->box[2] || q->y < p->box[1] || q->y > p->box[3]))
            return ms_fail(MS_ERR_INPUT, "%s: foreground point %lld,%lld lies outside the box", what,
                           (long long)q->x, (long long)q->y);
        nfg += q->fg;
    }
    if (!p->has_box && nfg == 0)
        return ms_fail(MS_ERR_INPUT, "%s: without a box at least one foreground point is needed", what);
    return MS_OK;
}

void ms_box_enlarge(int64_t box[4], double frac, int64_t min_px, int64_t w, int64_t h)
{
    int64_t dx = (int64_t)ceil(frac * (double)(box[2] - box[0] + 1));
    int64_t dy = (int64_t)ceil(frac * (double)(box[3] - box[1] + 1));
    if (dx < min_px) dx = min_px;
    if (dy < min_px) dy = min_px;
    box[0] = box[0] - dx < 0 ? 0 : box[0] - dx;
    box[1] = box[1] - dy < 0 ? 0 : box[1] - dy;
    box[2] = box[2] + dx >= w ? w - 1 : box[2] + dx;
    box[3] = box[3] + dy >= h ? h - 1 : box[3] + dy;
}

void ms_prompt_region(const ms_prompt *p, int64_t w, int64_t h, int64_t box[4])
{
    if (p->has_box) {
        memcpy(box, p->box, 4 * sizeof *box);
        return;
    }
    box[0] = w;
    box[1] = h;
    box[2] = box[3] = -1;
    for (int i = 0; i < p->npoints; i++) {
        const ms_point2 *q = &p->points[i];
        if (!q->fg) continue;
        if (q->x < box[0]) box[0] = q->x;
        if (q->y < box[1]) box[1] = q->y;
        if (q->x > box[2]) box[2] = q->x;
        if (q->y > box[3]) box[3] = q->y;
    }
    /* Clicks usually land inside the object, so its extent is unknown:
     * half the clicks' spread again, and at least 16 pixels, leaves room. */
    ms_box_enlarge(box, 0.5, 16, w, h);
}
