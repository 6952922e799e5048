/* Volume contracts: segment-3d (a lung mask for detect-nodules) and
 * patch-classifier (a nodule probability for a candidate's cube). Inputs
 * are float32 [1, C, D, H, W], the volume repeated over C channels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

static size_t in_count(const ms_model_card *c)
{
    return (size_t)c->channels * (size_t)c->input_d * (size_t)c->input_h * (size_t)c->input_w;
}

/* Runs the model; out gets up to cap values, shape its answer's shape. */
static ms_status forward(ms_model *m, const float *in, float *out, size_t cap, int64_t shape[8], int *nd)
{
    const ms_model_card *c = &m->card;
    int64_t s[5] = {1, c->channels, c->input_d, c->input_h, c->input_w};
    ms_status rc = ms_torch_forward(m->torch, in, s, 5, out, cap, shape, nd);
    return rc ? ms_fail(rc, "%s: %s", m->path, ms_last_error()) : MS_OK;
}

/* segment-3d answers [1, K, D, H, W]; patch-classifier [1], [1, 1] or [1, 2]. */
static int shape_ok(const ms_model_card *c, const int64_t *s, int nd, int64_t *classes)
{
    if (!strcmp(c->contract, "segment-3d")) {
        *classes = nd == 5 ? s[1] : 0;
        return nd == 5 && s[0] == 1 && s[1] >= 1 && s[1] <= 16 && s[2] == c->input_d && s[3] == c->input_h &&
               s[4] == c->input_w;
    }
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= s[i];
    *classes = n;
    return nd >= 1 && nd <= 2 && s[0] == 1 && (n == 1 || n == 2);
}

ms_status model3d_dry_run(ms_model *m)
{
    const ms_model_card *c = &m->card;
    size_t n = in_count(c), cap = n / (size_t)c->channels * 16;
    float *in = calloc(n, sizeof *in), *out = malloc(cap * sizeof *out);
    int64_t shape[8] = {0}, k;
    int nd = 0;
    ms_status rc = in && out ? forward(m, in, out, cap, shape, &nd) : ms_fail(MS_ERR_NOMEM, "model check: out of memory");
    if (!rc && !shape_ok(c, shape, nd, &k))
        rc = ms_fail(MS_ERR_INPUT, "%s: model does not match its card (contract %s, input [1,%d,%d,%d,%d]): it answered "
                     "a %d-dimensional tensor [%lld,%lld,...]", m->path, c->contract, c->channels, c->input_d,
                     c->input_h, c->input_w, nd, (long long)shape[0], (long long)shape[1]);
    else if (rc == MS_ERR_INPUT)
        rc = ms_fail(rc, "model does not match its card (contract %s, input [1,%d,%d,%d,%d]): %s", c->contract,
                     c->channels, c->input_d, c->input_h, c->input_w, ms_last_error());
    free(in);
    free(out);
    return rc;
}

/* Trilinear sample of v (x fastest) at continuous index p; fill outside. */
static float sample(const float *v, const int64_t d[3], const double p[3], float fill)
{
    double f[3];
    int64_t i0[3];
    for (int a = 0; a < 3; a++) {
        if (p[a] < 0 || p[a] > (double)(d[a] - 1)) return fill;
        i0[a] = (int64_t)floor(p[a]);
        if (i0[a] >= d[a] - 1) i0[a] = d[a] > 1 ? d[a] - 2 : 0;
        f[a] = d[a] > 1 ? p[a] - (double)i0[a] : 0;
    }
    double acc = 0;
    for (int c = 0; c < 8; c++) {
        int64_t x = i0[0] + (c & 1), y = i0[1] + (c >> 1 & 1), z = i0[2] + (c >> 2 & 1);
        if (x >= d[0] || y >= d[1] || z >= d[2]) continue;
        double w = (c & 1 ? f[0] : 1 - f[0]) * (c >> 1 & 1 ? f[1] : 1 - f[1]) * (c >> 2 & 1 ? f[2] : 1 - f[2]);
        acc += w * v[((size_t)z * (size_t)d[1] + (size_t)y) * (size_t)d[0] + (size_t)x];
    }
    return (float)acc;
}

/* The input tensor: channel 0 filled by fn, normalised, then repeated. */
static void fill_channels(const ms_model_card *c, float *in)
{
    size_t one = (size_t)c->input_d * (size_t)c->input_h * (size_t)c->input_w;
    model_normalise(c, in, (int64_t)one);
    for (int ch = 1; ch < c->channels; ch++) memcpy(in + (size_t)ch * one, in, one * sizeof *in);
}

/* Sides for a one-channel lung mask: the patient's right (LPS -x) of the
 * mask's mean x is the right lung. */
static void split_sides(const ms_volume *iso, uint8_t *labels)
{
    size_t n = ms_volume_nvox(iso), i = 0;
    double sum = 0, cnt = 0;
    for (int64_t z = 0; z < iso->dim[2]; z++)
        for (int64_t y = 0; y < iso->dim[1]; y++)
            for (int64_t x = 0; x < iso->dim[0]; x++, i++)
                if (labels[i]) {
                    double ijk[3] = {(double)x, (double)y, (double)z}, w[3];
                    ms_voxel_to_world(iso, ijk, w);
                    sum += w[0], cnt++;
                }
    double mid = cnt ? sum / cnt : 0;
    i = 0;
    for (int64_t z = 0; z < iso->dim[2]; z++)
        for (int64_t y = 0; y < iso->dim[1]; y++)
            for (int64_t x = 0; x < iso->dim[0] && i < n; x++, i++)
                if (labels[i]) {
                    double ijk[3] = {(double)x, (double)y, (double)z}, w[3];
                    ms_voxel_to_world(iso, ijk, w);
                    labels[i] = w[0] < mid ? 1 : 2;
                }
}

/* Label of output voxel (x, y, z) of a [1, K, D, H, W] answer. */
static uint8_t out_label(const ms_model_card *c, const float *o, int64_t k, size_t voxel, size_t per)
{
    if (k == 1) {
        double v = o[voxel];
        double p = c->sigmoid ? 1 / (1 + exp(-v)) : v;
        return p > c->threshold;
    }
    int64_t best = 0;
    for (int64_t j = 1; j < k; j++)
        if (o[(size_t)j * per + voxel] > o[(size_t)best * per + voxel]) best = j;
    return best == 1 || best == 2 ? (uint8_t)best : 0;
}

ms_status ms_model_lung_mask(void *ctx, const ms_volume *iso, uint8_t *labels)
{
    ms_model *m = ctx;
    const ms_model_card *c = &m->card;
    size_t per = (size_t)c->input_d * (size_t)c->input_h * (size_t)c->input_w, cap = per * 16;
    float *in = malloc(in_count(c) * sizeof *in), *out = malloc(cap * sizeof *out);
    if (!in || !out) {
        free(in), free(out);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", m->path);
    }
    int64_t out_dim[3] = {c->input_w, c->input_h, c->input_d};
    size_t q = 0;   /* voxel centres at (i + 0.5) * ratio - 0.5, as align_corners=False */
    for (int64_t z = 0; z < out_dim[2]; z++)
        for (int64_t y = 0; y < out_dim[1]; y++)
            for (int64_t x = 0; x < out_dim[0]; x++, q++) {
                double p[3] = {(x + 0.5) * (double)iso->dim[0] / out_dim[0] - 0.5,
                               (y + 0.5) * (double)iso->dim[1] / out_dim[1] - 0.5,
                               (z + 0.5) * (double)iso->dim[2] / out_dim[2] - 0.5};
                for (int a = 0; a < 3; a++) p[a] = fmin(fmax(p[a], 0), (double)(iso->dim[a] - 1));
                in[q] = sample(iso->data, iso->dim, p, -1024);
            }
    fill_channels(c, in);
    int64_t shape[8], k;
    int nd;
    ms_status rc = forward(m, in, out, cap, shape, &nd);
    if (!rc && !shape_ok(c, shape, nd, &k))
        rc = ms_fail(MS_ERR_INPUT, "%s: the model answered a tensor its segment-3d card does not allow", m->path);
    size_t i = 0;
    for (int64_t z = 0; !rc && z < iso->dim[2]; z++)
        for (int64_t y = 0; y < iso->dim[1]; y++)
            for (int64_t x = 0; x < iso->dim[0]; x++, i++) {
                int64_t ox = x * out_dim[0] / iso->dim[0], oy = y * out_dim[1] / iso->dim[1], oz = z * out_dim[2] / iso->dim[2];
                labels[i] = out_label(c, out, k, ((size_t)oz * (size_t)out_dim[1] + (size_t)oy) * (size_t)out_dim[0] + (size_t)ox, per);
            }
    free(in), free(out);
    if (!rc && k < 3) split_sides(iso, labels);
    return rc;
}

ms_status ms_model_patch_probability(void *ctx, const ms_volume *iso, const double ctr[3], double *prob)
{
    ms_model *m = ctx;
    const ms_model_card *c = &m->card;
    float *in = malloc(in_count(c) * sizeof *in), out[2];
    if (!in) return ms_fail(MS_ERR_NOMEM, "%s: out of memory", m->path);
    size_t q = 0;
    double s = c->spacing_mm / iso->spacing[0];
    for (int64_t z = 0; z < c->input_d; z++)
        for (int64_t y = 0; y < c->input_h; y++)
            for (int64_t x = 0; x < c->input_w; x++, q++) {
                double p[3] = {ctr[0] + (x - 0.5 * (c->input_w - 1)) * s, ctr[1] + (y - 0.5 * (c->input_h - 1)) * s,
                               ctr[2] + (z - 0.5 * (c->input_d - 1)) * s};
                in[q] = sample(iso->data, iso->dim, p, -1024);
            }
    fill_channels(c, in);
    int64_t shape[8], k;
    int nd;
    ms_status rc = forward(m, in, out, 2, shape, &nd);
    free(in);
    if (!rc && !shape_ok(c, shape, nd, &k))
        rc = ms_fail(MS_ERR_INPUT, "%s: the model answered a tensor its patch-classifier card does not allow", m->path);
    if (rc) return rc;
    double p = k == 2 ? 1 / (1 + exp((double)out[0] - out[1])) : c->sigmoid ? 1 / (1 + exp(-(double)out[0])) : out[0];
    if (!isfinite(p) || p < 0 || p > 1)
        return ms_fail(MS_ERR_INPUT, "%s: the model's probability %g is not in [0, 1]", m->path, p);
    *prob = p;
    return MS_OK;
}
