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
