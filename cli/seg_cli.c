#include "seg_cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/atomic_file.h"
#include "medseg/io.h"
#include "medseg/log.h"

/* Whole numbers separated by commas: n values, or n-1 when optional_last. */
static int parse_ints(const char *s, int64_t *out, int n, int optional_last)
{
    const char *p = s;
    int i = 0;
    for (; i < n; i++) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno) return 0;
        out[i] = v;
        if (*end == '\0') break;
        if (*end != ',') return 0;
        p = end + 1;
    }
    return i == n - 1 || (optional_last && i == n - 2);
}

ms_status seg_parse_prompt(const char *box, const opt_list *points, ms_prompt *p)
{
    if (box) {
        if (!parse_ints(box, p->box, 4, 0)) return ms_fail(MS_ERR_USAGE, "--box expects X1,Y1,X2,Y2, not '%s'", box);
        p->has_box = 1;
    }
    for (int i = 0; i < points->n; i++) {
        int64_t v[3] = {0, 0, 1};
        if (!parse_ints(points->item[i], v, 3, 1) || (v[2] != 0 && v[2] != 1))
            return ms_fail(MS_ERR_USAGE, "--point expects X,Y or X,Y,1|0, not '%s'", points->item[i]);
        if (p->npoints >= MS_MAX_POINTS) return ms_fail(MS_ERR_USAGE, "more than %d points", MS_MAX_POINTS);
        p->points[p->npoints++] = (ms_point2){v[0], v[1], (int)v[2]};
    }
    return MS_OK;
}

ms_status seg_method_open(seg_method *m, const char *model, const char *window, ms_device dev, int explicit_cuda)
{
    memset(m, 0, sizeof *m);
    m->fn = ms_graphcut_segment;
    if (window) {
        char *end;
        m->window[0] = strtod(window, &end);
        if (end == window || *end != ',' || !isfinite(m->window[0]))
            return ms_fail(MS_ERR_USAGE, "--window expects C,W (finite numbers), not '%s'", window);
        const char *w = end + 1;
        m->window[1] = strtod(w, &end);
        if (end == w || *end || !(m->window[1] > 0) || !isfinite(m->window[1]))
            return ms_fail(MS_ERR_USAGE, "--window expects C,W with W > 0, not '%s'", window);
        m->has_window = 1;
    }
    if (!model) return MS_OK;
    ms_status rc = ms_model_load(model, "segment-2d", dev, &m->model);
    /* --device auto picks CUDA for medseg's kernels; a CPU-only LibTorch
     * then runs the model on the CPU. Only an explicit cuda insists. */
    if (rc == MS_ERR_NODEVICE && !explicit_cuda) {
        ms_info("%s; running the model on the CPU", ms_last_error());
        rc = ms_model_load(model, "segment-2d", MS_DEVICE_CPU, &m->model);
    }
    if (rc) return rc;
    if (m->has_window) ms_model_set_window(m->model, m->window[0], m->window[1]);
    m->fn = ms_model_segment;
    m->ctx = m->model;
    return MS_OK;
}

void seg_method_close(seg_method *m)
{
    ms_model_free(m->model);
    m->model = NULL;
}

ms_status seg_slice(const seg_method *m, const ms_volume *img, ms_axis a, int64_t k, ms_slice *s)
{
    ms_status rc = ms_slice_get(img, a, k, s);
    if (!rc && m->has_window && !m->model) ms_slice_window(s, m->window[0], m->window[1]);
    return rc;
}

ms_status seg_write_json(const char *path, cJSON *o)
{
    ms_text_out t;
    ms_status rc = ms_text_open(&t, path);
    if (rc) return rc;
    char *txt = cJSON_Print(o);
    int ok = txt && fprintf(t.fp, "%s\n", txt) >= 0;
    free(txt);
    return ms_text_close(&t, ok);
}

ms_status seg_write_blank(const ms_volume *img, const char *out, const char *json, const char *command)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", ms_last_error());
    ms_volume blank;
    ms_status rc = ms_volume_like(&blank, img, MS_U8);
    ms_nifti_write_opts wo = {0, 0};
    if (!rc) rc = ms_nifti_write(out, &blank, &wo);
    ms_volume_free(&blank);
    if (!rc && json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "command", command);
        cJSON_AddStringToObject(o, "output", out);
        cJSON_AddStringToObject(o, "error", msg);
        cJSON_AddNumberToObject(o, "voxels", 0);
        rc = seg_write_json(json, o);
        cJSON_Delete(o);
    }
    if (!rc) ms_warn("%s: wrote an empty mask to %s after: %s", command, out, msg);
    return rc;
}

ms_status seg_run(const char *in, const seg_run_opts *o, seg_image_fn fn, void *ctx)
{
    ms_device dev;
    seg_method m = {0};
    ms_volume img = {0};
    ms_status rc = ms_device_resolve(g_common.device, &dev);
    if (!rc) rc = seg_method_open(&m, o->model, o->window, dev, strcmp(g_common.device, "cuda") == 0);
    if (!rc) rc = ms_read_volume(in, NULL, &img, NULL);
    if (!rc) {
        rc = fn(ctx, in, &img, &m, dev);
        if (rc == MS_ERR_INPUT && o->blank) rc = seg_write_blank(&img, o->output, o->json, o->command);
    }
    ms_volume_free(&img);
    seg_method_close(&m);
    return rc;
}

int seg_on_error_mode(const char *s)
{
    if (!s || strcmp(s, "fail") == 0) return 0;
    if (strcmp(s, "blank") == 0) return 1;
    return -1;
}
