/* Prompt files: a 2-D prompt for `segment` and 3-D points for `propagate`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "medseg/seg.h"
#include "medseg/textfile.h"

static cJSON *read_json(const char *path, ms_status *rc)
{
    ms_text_why why;
    char *buf = ms_read_text(path, (1 << 20) - 1, &why);
    if (!buf) {
        *rc = why == MS_TEXT_MISSING ? ms_fail(MS_ERR_INPUT, "%s: cannot open", path)
                                     : ms_fail(MS_ERR_INPUT, "%s: larger than 1 MiB, not a prompt file", path);
        return NULL;
    }
    cJSON *root = cJSON_Parse(buf);
    free(buf);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *rc = ms_fail(MS_ERR_INPUT, "%s: not a JSON object", path);
        return NULL;
    }
    *rc = MS_OK;
    return root;
}

/* Whole numbers from a JSON array of exactly n numbers. */
static int whole_numbers(const cJSON *a, int n, double *out)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) return 0;
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(a, i);
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) return 0;
        out[i] = e->valuedouble;
    }
    return 1;
}

static int is_index(double v) { return v == floor(v) && fabs(v) < 1e15; }

static ms_status prompt_points(const char *path, const cJSON *pts, ms_prompt *p)
{
    const cJSON *e;
    int i = 0;
    cJSON_ArrayForEach(e, pts) {
        double v[3] = {0, 0, 1};
        int ok = whole_numbers(e, 3, v) || whole_numbers(e, 2, v);
        if (!ok || !is_index(v[0]) || !is_index(v[1]) || (v[2] != 0 && v[2] != 1))
            return ms_fail(MS_ERR_INPUT, "%s: point %d must be [x, y] or [x, y, 1|0] in voxel indices", path, i);
        if (p->npoints >= MS_MAX_POINTS) return ms_fail(MS_ERR_INPUT, "%s: more than %d points", path, MS_MAX_POINTS);
        p->points[p->npoints++] = (ms_point2){(int64_t)v[0], (int64_t)v[1], (int)v[2]};
        i++;
    }
    return MS_OK;
}

static ms_status parse_prompt(const char *path, const cJSON *root, ms_prompt *p, int64_t *k, ms_axis *a)
{
    const cJSON *box = cJSON_GetObjectItemCaseSensitive(root, "box");
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(root, "points");
    const cJSON *sl = cJSON_GetObjectItemCaseSensitive(root, "slice");
    const cJSON *ax = cJSON_GetObjectItemCaseSensitive(root, "axis");
    if (box) {
        double b[4];
        if (!whole_numbers(box, 4, b) || !is_index(b[0]) || !is_index(b[1]) || !is_index(b[2]) || !is_index(b[3]))
            return ms_fail(MS_ERR_INPUT, "%s: \"box\" must be [x1, y1, x2, y2] in voxel indices", path);
        p->has_box = 1;
        for (int i = 0; i < 4; i++) p->box[i] = (int64_t)b[i];
    }
    if (pts) {
        if (!cJSON_IsArray(pts)) return ms_fail(MS_ERR_INPUT, "%s: \"points\" must be a list", path);
        ms_status rc = prompt_points(path, pts, p);
        if (rc) return rc;
    }
    if (sl) {
        if (!cJSON_IsNumber(sl) || !is_index(sl->valuedouble))
            return ms_fail(MS_ERR_INPUT, "%s: \"slice\" must be a whole number", path);
        *k = (int64_t)sl->valuedouble;
    }
    if (ax && (!cJSON_IsString(ax) || !ms_axis_parse(ax->valuestring, a)))
        return ms_fail(MS_ERR_INPUT, "%s: \"axis\" must be axial, coronal or sagittal", path);
    return MS_OK;
}

ms_status ms_prompt_read(const char *path, ms_prompt *p, int64_t *k, ms_axis *a)
{
    ms_status rc;
    cJSON *root = read_json(path, &rc);
    if (!root) return rc;
    rc = parse_prompt(path, root, p, k, a);
    cJSON_Delete(root);
    return rc;
}

static ms_status parse_points3(const char *path, const cJSON *root, const ms_volume *v, ms_points3 *out)
{
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(root, "points");
    const cJSON *space = cJSON_GetObjectItemCaseSensitive(root, "space");
    int lps = 0;
    if (space) {
        if (!cJSON_IsString(space) || (strcmp(space->valuestring, "lps") && strcmp(space->valuestring, "voxel")))
            return ms_fail(MS_ERR_INPUT, "%s: \"space\" must be \"voxel\" or \"lps\"", path);
        lps = strcmp(space->valuestring, "lps") == 0;
    }
    int n = cJSON_IsArray(pts) ? cJSON_GetArraySize(pts) : 0;
    if (n < 1) return ms_fail(MS_ERR_INPUT, "%s: needs a non-empty \"points\" list of [x, y, z]", path);
    ms_status rc = ms_alloc_array((void **)&out->p, (size_t)n, sizeof *out->p, 0, "points");
    if (rc) return rc;
    for (int i = 0; i < n; i++) {
        double q[3];
        if (!whole_numbers(cJSON_GetArrayItem(pts, i), 3, q))
            return ms_fail(MS_ERR_INPUT, "%s: point %d is not [x, y, z]", path, i);
        if (lps && !ms_world_to_voxel(v, q, out->p[i])) return ms_fail(MS_ERR_INPUT, "%s: singular image affine", path);
        if (!lps && (!is_index(q[0]) || !is_index(q[1]) || !is_index(q[2])))
            return ms_fail(MS_ERR_INPUT, "%s: voxel point %d must hold whole numbers", path, i);
        for (int a = 0; a < 3; a++) {
            double r = lps ? floor(out->p[i][a] + 0.5) : q[a];
            if (r < 0 || r >= (double)v->dim[a])
                return ms_fail(MS_ERR_INPUT, "%s: point %d lies outside the %lldx%lldx%lld volume", path, i,
                               (long long)v->dim[0], (long long)v->dim[1], (long long)v->dim[2]);
            out->p[i][a] = r;
        }
        out->n = i + 1;
    }
    return MS_OK;
}

ms_status ms_points3_read(const char *path, const ms_volume *v, ms_points3 *out)
{
    memset(out, 0, sizeof *out);
    ms_status rc;
    cJSON *root = read_json(path, &rc);
    if (!root) return rc;
    rc = parse_points3(path, root, v, out);
    cJSON_Delete(root);
    if (rc) ms_points3_free(out);
    return rc;
}

void ms_points3_free(ms_points3 *p)
{
    free(p->p);
    p->p = NULL;
    p->n = 0;
}
