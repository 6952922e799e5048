/* Whole-image models: an image-classifier answers one probability per
 * label, an embedder one vector; both take the image the same way. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* Images per forward when the model takes a batch. */
#define BATCH 16

/* Values the model answers per image. */
static int outputs(const ms_model_card *c) { return c->output_dim ? c->output_dim : c->n_labels; }

/* n images of the card's size in, n x outputs values out. */
static ms_status forward(ms_model *m, const float *in, int n, float *out, int64_t shape[8], int *nd)
{
    const ms_model_card *c = &m->card;
    int64_t s[4] = {n, c->channels, c->input_h, c->input_w};
    ms_status rc = ms_torch_forward(m->torch, in, s, 4, out, (size_t)n * (size_t)outputs(c), shape, nd);
    if (rc) return ms_fail(rc, "%s: %s", m->path, ms_last_error());
    if (*nd != 2 || shape[0] != n || shape[1] != outputs(c))
        return ms_fail(MS_ERR_INPUT, "%s: model does not match its card: it answers [%lld, %lld%s] for [%d,%d,%d,%d], the "
                       "card names %d %s", m->path, (long long)shape[0], *nd > 1 ? (long long)shape[1] : 0LL,
                       *nd > 2 ? ", ..." : "", n, c->channels, c->input_h, c->input_w, outputs(c),
                       c->output_dim ? "outputs" : "labels");
    return MS_OK;
}

ms_status classifier_dry_run(ms_model *m)
{
    const ms_model_card *c = &m->card;
    size_t n = (size_t)c->channels * (size_t)c->input_h * (size_t)c->input_w;
    float *in = calloc(2 * n, sizeof *in), *out = calloc(2 * (size_t)outputs(c), sizeof *out);
    int64_t shape[8] = {0};
    int nd = 0;
    ms_status rc = in && out ? forward(m, in, 1, out, shape, &nd) : ms_fail(MS_ERR_NOMEM, "model check: out of memory");
    if (rc == MS_ERR_INPUT && !strstr(ms_last_error(), "does not match"))
        rc = ms_fail(rc, "model does not match its card (input [1,%d,%d,%d]): %s", c->channels, c->input_h, c->input_w,
                     ms_last_error());
    /* A model that answers two images at once is run in batches. */
    m->batch = !rc && forward(m, in, 2, out, shape, &nd) == MS_OK;
    free(in);
    free(out);
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

/* The card's input for one image: planes mapped, resized, normalised. */
static ms_status prepare(const ms_model_card *c, const float *img, int64_t w, int64_t h, int channels, float *in)
{
    size_t per = (size_t)c->input_h * (size_t)c->input_w, npx = (size_t)(w * h);
    float *tmp = NULL;
    ms_status rc = ms_alloc_array((void **)&tmp, npx, sizeof *tmp, 0, "classifier input");
    for (int k = 0; !rc && k < c->channels; k++) {
        plane(img, (int64_t)npx, channels, c->channels, k, tmp);
        model_resize(tmp, w, h, in + (size_t)k * per, c->input_w, c->input_h);
    }
    if (!rc) model_normalise(c, in, (int64_t)(per * (size_t)c->channels));
    free(tmp);
    return rc;
}

/* Runs n images through the model in batches; each image's raw answer
 * goes to emit(ctx, image index, values). */
typedef void (*emit_fn)(void *ctx, const ms_model_card *c, int i, const float *values);

static ms_status run_many(ms_model *m, int n, const float *const *img, const int64_t *w, const int64_t *h,
                          const int *channels, emit_fn emit, void *ctx)
{
    const ms_model_card *c = &m->card;
    size_t one = (size_t)c->channels * (size_t)c->input_h * (size_t)c->input_w, k = (size_t)outputs(c);
    int step = m->batch ? BATCH : 1;
    float *in = NULL, *out = NULL;
    ms_status rc = ms_alloc_array((void **)&in, (size_t)step * one, sizeof *in, 0, "model input");
    if (!rc) rc = ms_alloc_array((void **)&out, (size_t)step * k, sizeof *out, 0, "model output");
    for (int i0 = 0; !rc && i0 < n; i0 += step) {
        int b = n - i0 < step ? n - i0 : step;
        for (int i = 0; !rc && i < b; i++) rc = prepare(c, img[i0 + i], w[i0 + i], h[i0 + i], channels[i0 + i], in + (size_t)i * one);
        int64_t shape[8];
        int nd;
        if (!rc) rc = forward(m, in, b, out, shape, &nd);
        for (int i = 0; !rc && i < b; i++) emit(ctx, c, i0 + i, out + (size_t)i * k);
    }
    free(in);
    free(out);
    return rc;
}

static void emit_prob(void *ctx, const ms_model_card *c, int i, const float *values)
{
    activate(c, values, (double *)ctx + (size_t)i * (size_t)c->n_labels);
}

static void emit_vec(void *ctx, const ms_model_card *c, int i, const float *values)
{
    memcpy((float *)ctx + (size_t)i * (size_t)c->output_dim, values, (size_t)c->output_dim * sizeof *values);
}

ms_status ms_model_classify_many(ms_model *m, int n, const float *const *img, const int64_t *w, const int64_t *h,
                                 const int *channels, double *prob)
{
    if (strcmp(m->card.contract, "image-classifier"))
        return ms_fail(MS_ERR_USAGE, "%s: contract %s is not an image-classifier", m->path, m->card.contract);
    return run_many(m, n, img, w, h, channels, emit_prob, prob);
}

ms_status ms_model_embed_many(ms_model *m, int n, const float *const *img, const int64_t *w, const int64_t *h,
                              const int *channels, float *vec)
{
    if (strcmp(m->card.contract, "embedder"))
        return ms_fail(MS_ERR_USAGE, "%s: contract %s is not an embedder", m->path, m->card.contract);
    return run_many(m, n, img, w, h, channels, emit_vec, vec);
}

ms_status ms_model_classify(ms_model *m, const float *img, int64_t w, int64_t h, int channels, double *prob)
{
    return ms_model_classify_many(m, 1, &img, &w, &h, &channels, prob);
}
