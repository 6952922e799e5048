/* segment-2d models: pre-processing (resize, normalise, prompts in input
 * pixels), the call through the shim, and mapping the answer back. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/log.h"
#include "medseg/model.h"
#include "torch_shim.h"

#include "model_internal.h"

const ms_model_card *ms_model_card_of(const ms_model *m) { return &m->card; }

void ms_model_set_window(ms_model *m, double center, double width)
{
    m->card.norm = MS_NORM_WINDOW;
    m->card.center = center;
    m->card.width = width;
}

void ms_model_free(ms_model *m)
{
    if (!m) return;
    ms_torch_free(m->torch);
    free(m);
}

/* Bilinear resampling with pixel centres at (i + 0.5) * size ratio, edges
 * clamped: the same convention as torch's interpolate(align_corners=False). */
void model_resize(const float *in, int64_t iw, int64_t ih, float *out, int64_t ow, int64_t oh)
{
    for (int64_t y = 0; y < oh; y++) {
        double fy = (y + 0.5) * (double)ih / (double)oh - 0.5;
        fy = fy < 0 ? 0 : fy > ih - 1 ? (double)(ih - 1) : fy;
        int64_t y0 = (int64_t)fy, y1 = y0 + 1 < ih ? y0 + 1 : y0;
        double ty = fy - (double)y0;
        for (int64_t x = 0; x < ow; x++) {
            double fx = (x + 0.5) * (double)iw / (double)ow - 0.5;
            fx = fx < 0 ? 0 : fx > iw - 1 ? (double)(iw - 1) : fx;
            int64_t x0 = (int64_t)fx, x1 = x0 + 1 < iw ? x0 + 1 : x0;
            double tx = fx - (double)x0;
            double top = in[y0 * iw + x0] * (1 - tx) + in[y0 * iw + x1] * tx;
            double bot = in[y1 * iw + x0] * (1 - tx) + in[y1 * iw + x1] * tx;
            out[y * ow + x] = (float)(top * (1 - ty) + bot * ty);
        }
    }
}

void model_normalise(const ms_model_card *c, float *v, int64_t n)
{
    double lo = c->center - c->width / 2, a = 1, b = 0;
    if (c->norm == MS_NORM_MINMAX) {
        float mn = v[0], mx = v[0];
        for (int64_t i = 1; i < n; i++) { mn = v[i] < mn ? v[i] : mn; mx = v[i] > mx ? v[i] : mx; }
        a = mx > mn ? 1.0 / ((double)mx - mn) : 0;
        b = -mn * a;
    } else if (c->norm == MS_NORM_MEANSTD) {
        a = 1 / c->std;
        b = -c->mean / c->std;
    }
    for (int64_t i = 0; i < n; i++) {
        if (c->norm == MS_NORM_WINDOW) {
            double t = (v[i] - lo) / c->width;
            v[i] = (float)(t < 0 ? 0 : t > 1 ? 1 : t);
        } else {
            v[i] = (float)(v[i] * a + b);
        }
    }
}

/* Runs the model on a prepared input; checks the answer's shape. */
static ms_status run(ms_model *m, const float *img, const float box[4], const float *pts, int npts, float *out)
{
    const ms_model_card *c = &m->card;
    int64_t shape[4];
    ms_status rc = ms_torch_seg2d(m->torch, img, c->channels, c->input_h, c->input_w, box, pts, npts,
                                  c->pass_points, out, shape);
    if (rc) return ms_fail(rc, "%s: %s", m->path, ms_last_error());
    if (shape[0] != 1 || shape[1] != 1 || shape[2] != c->input_h || shape[3] != c->input_w)
        return ms_fail(MS_ERR_INPUT, "%s: the model answered [%lld,%lld,%lld,%lld], its card promises [1,1,%d,%d]",
                       m->path, (long long)shape[0], (long long)shape[1], (long long)shape[2], (long long)shape[3],
                       c->input_h, c->input_w);
    return MS_OK;
}

/* A run on zeros with a centred box: a model whose input size, channel
 * count or prompt inputs differ from its card fails here, before any data. */
static ms_status dry_run(ms_model *m)
{
    const ms_model_card *c = &m->card;
    size_t n = (size_t)c->channels * (size_t)c->input_h * (size_t)c->input_w;
    float *img = calloc(n, sizeof *img), *out = malloc((size_t)c->input_h * (size_t)c->input_w * sizeof *out);
    float box[4] = {c->input_w * 0.25f, c->input_h * 0.25f, c->input_w * 0.75f, c->input_h * 0.75f};
    float pt[3] = {c->input_w * 0.5f, c->input_h * 0.5f, 1};
    ms_status rc = img && out ? run(m, img, box, pt, 1, out) : ms_fail(MS_ERR_NOMEM, "model check: out of memory");
    free(img);
    free(out);
    if (rc == MS_ERR_INPUT)
        return ms_fail(rc, "model does not match its card (contract %s, input [1,%d,%d,%d]): %s", c->contract,
                       c->channels, c->input_h, c->input_w, ms_last_error());
    return rc;
}

ms_status ms_model_load(const char *path, const char *contract, ms_device dev, ms_model **out)
{
    *out = NULL;
    ms_model *m = calloc(1, sizeof *m);
    if (!m) return ms_fail(MS_ERR_NOMEM, "model: out of memory");
    snprintf(m->path, sizeof m->path, "%s", path);
    char card_path[1100];
    ms_model_card_path(path, card_path, sizeof card_path);
    ms_status rc = ms_model_card_read(card_path, &m->card);
    if (!rc && strcmp(m->card.contract, contract) != 0)
        rc = ms_fail(MS_ERR_INPUT, "model card %s: contract is \"%s\", this command needs \"%s\"", card_path,
                     m->card.contract, contract);
    if (!rc) rc = ms_torch_load(path, dev == MS_DEVICE_CUDA, &m->torch);
    if (!rc)
        rc = ms_contract_is_3d(m->card.contract)                ? model3d_dry_run(m)
             : ms_contract_is_image(m->card.contract)          ? classifier_dry_run(m)
                                                               : dry_run(m);
    if (rc) {
        ms_model_free(m);
        return rc;
    }
    ms_debug("model %s (%s): input [1,%d,%d,%d]", path, m->card.contract, m->card.channels, m->card.input_h,
             m->card.input_w);
    *out = m;
    return MS_OK;
}

/* The prompt in input pixels: box corners on pixel edges, points on centres. */
static int scale_prompt(const ms_model_card *c, const ms_slice *s, const ms_prompt *p, const ms_seg_prior *prior,
                        float box[4], float *pts)
{
    double kx = (double)c->input_w / (double)s->w, ky = (double)c->input_h / (double)s->h;
    int64_t b[4];
    int n = 0;
    if (prior && prior->mask) {
        b[0] = p->box[0]; b[1] = p->box[1]; b[2] = p->box[2]; b[3] = p->box[3];
        int64_t x, y;
        if (ms_mask2d_interior_point(prior->mask, s->w, s->h, &x, &y) && x >= b[0] && x <= b[2] && y >= b[1] &&
            y <= b[3]) {
            pts[0] = (float)((x + 0.5) * kx); pts[1] = (float)((y + 0.5) * ky); pts[2] = 1;
            n = 1;
        }
    } else {
        ms_prompt_region(p, s->w, s->h, b);
        for (int i = 0; i < p->npoints; i++, n++) {
            pts[3 * n] = (float)((p->points[i].x + 0.5) * kx);
            pts[3 * n + 1] = (float)((p->points[i].y + 0.5) * ky);
            pts[3 * n + 2] = (float)p->points[i].fg;
        }
    }
    box[0] = (float)(b[0] * kx); box[1] = (float)(b[1] * ky);
    box[2] = (float)((b[2] + 1) * kx); box[3] = (float)((b[3] + 1) * ky);
    return n;
}

static ms_status segment(ms_model *m, const ms_slice *s, const ms_prompt *p, const ms_seg_prior *prior,
                         uint8_t *mask, float *in, float *out)
{
    const ms_model_card *c = &m->card;
    size_t plane = (size_t)c->input_h * (size_t)c->input_w;
    model_resize(s->px, s->w, s->h, in, c->input_w, c->input_h);
    model_normalise(c, in, (int64_t)plane);
    for (int ch = 1; ch < c->channels; ch++) memcpy(in + ch * plane, in, plane * sizeof *in);
    float box[4], pts[3 * MS_MAX_POINTS];
    int npts = scale_prompt(c, s, p, prior, box, pts);
    ms_status rc = run(m, in, box, pts, npts, out);
    if (rc) return rc;
    for (size_t i = 0; i < plane; i++) {
        double v = out[i];
        if (!isfinite(v)) return ms_fail(MS_ERR_INPUT, "%s: the model answered NaN or infinity", m->path);
        out[i] = (float)(c->sigmoid ? 1 / (1 + exp(-v)) : v);
    }
    float *back = in;   /* the input buffer is large enough and no longer needed */
    model_resize(out, c->input_w, c->input_h, back, s->w, s->h);
    for (int64_t i = 0; i < s->w * s->h; i++) mask[i] = back[i] > c->threshold;
    if (prior && prior->allowed)
        for (int64_t i = 0; i < s->w * s->h; i++) mask[i] = mask[i] && prior->allowed[i];
    return ms_mask2d_clean(mask, s->w, s->h, prior ? prior->mask : NULL);
}

ms_status ms_model_segment(void *ctx, const ms_slice *s, const ms_prompt *p, const ms_seg_prior *prior,
                           uint8_t *mask)
{
    ms_model *m = ctx;
    const ms_model_card *c = &m->card;
    size_t plane = (size_t)c->input_h * (size_t)c->input_w, need = plane * (size_t)c->channels, slice;
    if (!ms_mul_size((size_t)s->w, (size_t)s->h, &slice)) return ms_fail(MS_ERR_NOMEM, "slice too large");
    if (slice > need) need = slice;
    float *in = malloc(need * sizeof *in), *out = malloc(plane * sizeof *out);
    ms_status rc = in && out ? segment(m, s, p, prior, mask, in, out) : ms_fail(MS_ERR_NOMEM, "model: out of memory");
    free(in);
    free(out);
    return rc;
}
