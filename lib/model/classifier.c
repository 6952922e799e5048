/* image-classifier models: an image in, one probability per label out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

static ms_status forward(ms_model *m, const float *in, float *out, int64_t shape[8], int *nd)
{
    const ms_model_card *c = &m->card;
    int64_t s[4] = {1, c->channels, c->input_h, c->input_w};
    ms_status rc = ms_torch_forward(m->torch, in, s, 4, out, MS_MAX_LABELS, shape, nd);
    if (rc) return ms_fail(rc, "%s: %s", m->path, ms_last_error());
    if (*nd != 2 || shape[0] != 1 || shape[1] != c->n_labels)
        return ms_fail(MS_ERR_INPUT, "%s: model does not match its card: it answers [%lld, %lld%s] for [1,%d,%d,%d], the "
                       "card names %d labels", m->path, (long long)shape[0], *nd > 1 ? (long long)shape[1] : 0LL,
                       *nd > 2 ? ", ..." : "", c->channels, c->input_h, c->input_w, c->n_labels);
    return MS_OK;
}

ms_status classifier_dry_run(ms_model *m)
{
    const ms_model_card *c = &m->card;
    size_t n = (size_t)c->channels * (size_t)c->input_h * (size_t)c->input_w;
    float *in = calloc(n, sizeof *in), out[MS_MAX_LABELS];
    int64_t shape[8] = {0};
    int nd = 0;
    ms_status rc = in ? forward(m, in, out, shape, &nd) : ms_fail(MS_ERR_NOMEM, "model check: out of memory");
    if (rc == MS_ERR_INPUT && !strstr(ms_last_error(), "does not match"))
        rc = ms_fail(rc, "model does not match its card (input [1,%d,%d,%d]): %s", c->channels, c->input_h, c->input_w,
                     ms_last_error());
    free(in);
    return rc;
}

/* Plane k of the card's input from the image's planes. */
static void plane(const float *img, int64_t npx, int channels, int want, int k, float *out)
{
    if (channels == want) {
        memcpy(out, img + (size_t)k * (size_t)npx, (size_t)npx * sizeof *out);
    } else if (channels == 3) {   /* RGB to a grey the card repeats */
        for (int64_t i = 0; i < npx; i++)
            out[i] = (float)(0.299 * img[i] + 0.587 * img[npx + i] + 0.114 * img[2 * npx + i]);
    } else {
        memcpy(out, img, (size_t)npx * sizeof *out);
    }
}

static void activate(const ms_model_card *c, const float *out, double *prob)
{
    double mx = out[0], sum = 0;
    for (int k = 1; k < c->n_labels; k++) mx = out[k] > mx ? out[k] : mx;
    for (int k = 0; k < c->n_labels; k++) sum += exp((double)out[k] - mx);
    for (int k = 0; k < c->n_labels; k++)
        prob[k] = c->softmax ? exp((double)out[k] - mx) / sum : c->sigmoid ? 1 / (1 + exp(-(double)out[k])) : out[k];
}

ms_status ms_model_classify(ms_model *m, const float *img, int64_t w, int64_t h, int channels, double *prob)
{
    const ms_model_card *c = &m->card;
    size_t per = (size_t)c->input_h * (size_t)c->input_w, npx = (size_t)(w * h);
    float *in = NULL, *tmp = NULL, out[MS_MAX_LABELS];
    ms_status rc = ms_alloc_array((void **)&in, per * (size_t)c->channels, sizeof *in, 0, "classifier input");
    if (!rc) rc = ms_alloc_array((void **)&tmp, npx, sizeof *tmp, 0, "classifier input");
    for (int k = 0; !rc && k < c->channels; k++) {
        plane(img, (int64_t)npx, channels, c->channels, k, tmp);
        model_resize(tmp, w, h, in + (size_t)k * per, c->input_w, c->input_h);
    }
    if (!rc) model_normalise(c, in, (int64_t)(per * (size_t)c->channels));
    int64_t shape[8];
    int nd;
    if (!rc) rc = forward(m, in, out, shape, &nd);
    if (!rc) activate(c, out, prob);
    free(in);
    free(tmp);
    return rc;
}
