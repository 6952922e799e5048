/* Clean-ups on 2-D masks: holes, components, bounding box, deepest pixel. */
#include <stdlib.h>
#include <string.h>

#include "medseg/seg.h"

int64_t ms_mask2d_count(const uint8_t *m, int64_t w, int64_t h)
{
    int64_t n = 0;
    for (int64_t i = 0; i < w * h; i++) n += m[i] != 0;
    return n;
}

int ms_mask2d_box(const uint8_t *m, int64_t w, int64_t h, int64_t box[4])
{
    box[0] = w;
    box[1] = h;
    box[2] = box[3] = -1;
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            if (!m[y * w + x]) continue;
            if (x < box[0]) box[0] = x;
            if (x > box[2]) box[2] = x;
            if (y < box[1]) box[1] = y;
            if (y > box[3]) box[3] = y;
        }
    return box[2] >= 0;
}

/* Flood fill over pixels equal to `from` starting at seed, writing `to`;
 * conn 4 or 8. stack holds w*h indices. */
static void flood(uint8_t *m, int64_t w, int64_t h, int64_t seed, uint8_t from, uint8_t to, int conn, int64_t *stack,
                  int64_t *count)
{
    int64_t top = 0, n = 0;
    m[seed] = to;
    stack[top++] = seed;
    while (top) {
        int64_t i = stack[--top], x = i % w, y = i / w;
        n++;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                if ((!dx && !dy) || (conn == 4 && dx && dy)) continue;
                int64_t nx = x + dx, ny = y + dy;
                if (nx < 0 || ny < 0 || nx >= w || ny >= h || m[ny * w + nx] != from) continue;
                m[ny * w + nx] = to;
                stack[top++] = ny * w + nx;
            }
    }
    if (count) *count = n;
}

void ms_mask2d_fill_holes(uint8_t *m, int64_t w, int64_t h)
{
    int64_t *stack = malloc((size_t)(w * h) * sizeof *stack);
    if (!stack) return;
    /* Background reachable from the border (4-connected, the dual of the
     * 8-connected foreground) is outside; everything else is a hole. */
    for (int64_t i = 0; i < w * h; i++) m[i] = m[i] ? 1 : 0;
    for (int64_t x = 0; x < w; x++) {
        if (m[x] == 0) flood(m, w, h, x, 0, 2, 4, stack, NULL);
        if (m[(h - 1) * w + x] == 0) flood(m, w, h, (h - 1) * w + x, 0, 2, 4, stack, NULL);
    }
    for (int64_t y = 0; y < h; y++) {
        if (m[y * w] == 0) flood(m, w, h, y * w, 0, 2, 4, stack, NULL);
        if (m[y * w + w - 1] == 0) flood(m, w, h, y * w + w - 1, 0, 2, 4, stack, NULL);
    }
    for (int64_t i = 0; i < w * h; i++) m[i] = m[i] != 2;
    free(stack);
}

ms_status ms_mask2d_keep_largest(uint8_t *m, int64_t w, int64_t h)
{
    int64_t *stack;
    ms_status rc = ms_alloc_array((void **)&stack, (size_t)(w * h), sizeof *stack, 0, "2-D components");
    if (rc) return rc;
    int64_t best = -1, best_n = 0;
    for (int64_t i = 0; i < w * h; i++) {
        if (m[i] != 1) continue;
        int64_t n;
        flood(m, w, h, i, 1, 2, 8, stack, &n);
        if (n > best_n) {
            best_n = n;
            best = i;
        }
    }
    if (best >= 0) flood(m, w, h, best, 2, 3, 8, stack, NULL);
    for (int64_t i = 0; i < w * h; i++) m[i] = m[i] == 3;
    free(stack);
    return MS_OK;
}

/* 8-connected components of m into lab (0 background, 1..n); returns n. */
static int64_t label8(const uint8_t *m, int64_t w, int64_t h, int32_t *lab, int64_t *stack)
{
    int32_t n = 0;
    memset(lab, 0, (size_t)(w * h) * sizeof *lab);
    for (int64_t s = 0; s < w * h; s++) {
        if (!m[s] || lab[s]) continue;
        int64_t top = 0;
        lab[s] = ++n;
        stack[top++] = s;
        while (top) {
            int64_t i = stack[--top], x = i % w, y = i / w;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int64_t nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h || !m[ny * w + nx] || lab[ny * w + nx]) continue;
                    lab[ny * w + nx] = n;
                    stack[top++] = ny * w + nx;
                }
        }
    }
    return n;
}

/* Keeps the component with the most pixels inside ref and every component
 * lying mostly inside it: a continuation may split in two, while a
 * neighbour that merely touches the previous mask is dropped. */
static void keep_continuations(uint8_t *m, int64_t npx, const int32_t *lab, int64_t n, const uint8_t *ref,
                               int64_t *size, int64_t *hits)
{
    for (int64_t i = 0; i < npx; i++)
        if (lab[i]) {
            size[lab[i]]++;
            hits[lab[i]] += ref[i] != 0;
        }
    int64_t best = 0;
    for (int64_t l = 1; l <= n; l++)
        if (hits[l] > hits[best]) best = l;
    for (int64_t i = 0; i < npx; i++) {
        int64_t l = lab[i];
        m[i] = l && hits[l] && (l == best || 3 * hits[l] >= size[l]);
    }
}

ms_status ms_mask2d_keep_overlapping(uint8_t *m, int64_t w, int64_t h, const uint8_t *ref)
{
    size_t npx = (size_t)(w * h);
    int64_t *stack = NULL, *size = NULL, *hits = NULL;
    int32_t *lab = NULL;
    ms_status rc = ms_alloc_array((void **)&stack, npx, sizeof *stack, 0, "2-D components");
    if (!rc) rc = ms_alloc_array((void **)&lab, npx, sizeof *lab, 0, "2-D components");
    if (!rc) {
        int64_t n = label8(m, w, h, lab, stack);
        rc = ms_alloc_array((void **)&size, (size_t)n + 1, sizeof *size, 1, "2-D components");
        if (!rc) rc = ms_alloc_array((void **)&hits, (size_t)n + 1, sizeof *hits, 1, "2-D components");
        if (!rc) keep_continuations(m, (int64_t)npx, lab, n, ref, size, hits);
    }
    free(stack);
    free(lab);
    free(size);
    free(hits);
    return rc;
}

ms_status ms_mask2d_clean(uint8_t *m, int64_t w, int64_t h, const uint8_t *ref)
{
    ms_mask2d_fill_holes(m, w, h);
    return ref ? ms_mask2d_keep_overlapping(m, w, h, ref) : ms_mask2d_keep_largest(m, w, h);
}

/* Two-pass 3-4 chamfer distance to the nearest background pixel (pixels
 * beyond the slice edge count as background). */
int ms_mask2d_interior_point(const uint8_t *m, int64_t w, int64_t h, int64_t *px, int64_t *py)
{
    int32_t *d = malloc((size_t)(w * h) * sizeof *d);
    if (!d) return 0;
    const int32_t big = 1 << 29;
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            int64_t i = y * w + x;
            if (!m[i]) { d[i] = 0; continue; }
            int32_t v = big;
            int32_t l = x ? d[i - 1] + 3 : 3, u = y ? d[i - w] + 3 : 3;
            int32_t ul = x && y ? d[i - w - 1] + 4 : 4, ur = y && x + 1 < w ? d[i - w + 1] + 4 : 4;
            v = l < v ? l : v; v = u < v ? u : v; v = ul < v ? ul : v; v = ur < v ? ur : v;
            d[i] = v;
        }
    int64_t best = -1;
    for (int64_t y = h - 1; y >= 0; y--)
        for (int64_t x = w - 1; x >= 0; x--) {
            int64_t i = y * w + x;
            if (!m[i]) continue;
            int32_t v = d[i];
            int32_t r = x + 1 < w ? d[i + 1] + 3 : 3, dn = y + 1 < h ? d[i + w] + 3 : 3;
            int32_t dr = x + 1 < w && y + 1 < h ? d[i + w + 1] + 4 : 4, dl = x && y + 1 < h ? d[i + w - 1] + 4 : 4;
            v = r < v ? r : v; v = dn < v ? dn : v; v = dr < v ? dr : v; v = dl < v ? dl : v;
            d[i] = v;
        }
    for (int64_t i = 0; i < w * h; i++)
        if (m[i] && (best < 0 || d[i] > d[best])) best = i;
    free(d);
    if (best < 0) return 0;
    *px = best % w;
    *py = best / w;
    return 1;
}

ms_status ms_mask2d_label(const uint8_t *m, int64_t w, int64_t h, int32_t *lab, int64_t *n)
{
    int64_t *stack = NULL;
    ms_status rc = ms_alloc_array((void **)&stack, (size_t)(w * h), sizeof *stack, 0, "2-D components");
    if (!rc) *n = label8(m, w, h, lab, stack);
    free(stack);
    return rc;
}

/* One raster sweep of the 3-4 chamfer: each pixel takes the label of the
 * neighbour (already swept) through which its nearest labelled pixel is
 * closest. dir +1 forward, -1 backward. */
static void sweep_nearest(int32_t *out, int32_t *d, int64_t w, int64_t h, int dir)
{
    static const int off[4][3] = {{-1, 0, 3}, {0, -1, 3}, {-1, -1, 4}, {1, -1, 4}};
    for (int64_t t = 0; t < w * h; t++) {
        int64_t i = dir > 0 ? t : w * h - 1 - t, x = i % w, y = i / w;
        for (int k = 0; k < 4; k++) {
            int64_t nx = x + dir * off[k][0], ny = y + dir * off[k][1];
            if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
            int64_t j = ny * w + nx;
            if (out[j] && d[j] + off[k][2] < d[i]) {
                d[i] = d[j] + off[k][2];
                out[i] = out[j];
            }
        }
    }
}

ms_status ms_mask2d_nearest_label(const int32_t *lab, int64_t w, int64_t h, int32_t *out)
{
    int32_t *d = NULL;
    ms_status rc = ms_alloc_array((void **)&d, (size_t)(w * h), sizeof *d, 0, "2-D nearest part");
    if (rc) return rc;
    for (int64_t i = 0; i < w * h; i++) {
        out[i] = lab[i];
        d[i] = lab[i] ? 0 : INT32_MAX / 2;
    }
    sweep_nearest(out, d, w, h, 1);
    sweep_nearest(out, d, w, h, -1);
    free(d);
    return MS_OK;
}
