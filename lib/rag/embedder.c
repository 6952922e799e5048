/* Embedders: the classical descriptor or an `embedder` model, both ending
 * in a unit vector so that inner product is cosine similarity. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/model.h"
#include "medseg/rag.h"
#include "medseg/rng.h"

struct ms_embedder {
    ms_model *model;         /* NULL: classical */
    pthread_mutex_t lock;    /* one forward at a time through LibTorch */
    int dim;
    char name[160], version[40];
};

/* FNV-1a over the model file: a different model under the same card is a
 * different embedder. */
static ms_status file_hash(const char *path, char *out, size_t n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return ms_fail(MS_ERR_INPUT, "%s: cannot read the model", path);
    uint64_t h = MS_FNV1A_START;
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) h = ms_fnv1a64(h, buf, got);
    fclose(fp);
    snprintf(out, n, "fnv1a64:%016llx", (unsigned long long)h);
    return MS_OK;
}

ms_status ms_embedder_open(const char *model, ms_device dev, ms_embedder **out)
{
    *out = NULL;
    ms_embedder *e = calloc(1, sizeof *e);
    if (!e) return ms_fail(MS_ERR_NOMEM, "embedder: out of memory");
    pthread_mutex_init(&e->lock, NULL);
    ms_status rc = MS_OK;
    if (!model) {
        e->dim = ms_descriptor_dim();
        snprintf(e->name, sizeof e->name, "%s", MS_DESCRIPTOR_NAME);
        snprintf(e->version, sizeof e->version, "%s", MS_DESCRIPTOR_VERSION);
    } else if (!(rc = ms_model_load(model, "embedder", dev, &e->model)) &&
               !(rc = file_hash(model, e->version, sizeof e->version))) {
        const ms_model_card *c = ms_model_card_of(e->model);
        e->dim = c->output_dim;
        snprintf(e->name, sizeof e->name, "%s", c->name[0] ? c->name : "embedder");
    }
    if (rc) {
        ms_embedder_close(e);
        return rc;
    }
    *out = e;
    return MS_OK;
}

void ms_embedder_close(ms_embedder *e)
{
    if (!e) return;
    ms_model_free(e->model);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

int ms_embedder_dim(const ms_embedder *e) { return e->dim; }
const char *ms_embedder_name(const ms_embedder *e) { return e->name; }
const char *ms_embedder_version(const ms_embedder *e) { return e->version; }

/* The region's planes (grey for the descriptor) copied out of the image. */
static ms_status crop(const ms_image2d *im, const int64_t *r, int grey, float **out, int *channels)
{
    int64_t x0 = r ? r[0] : 0, y0 = r ? r[1] : 0, x1 = r ? r[2] : im->w, y1 = r ? r[3] : im->h;
    if (!(x0 >= 0 && y0 >= 0 && x1 <= im->w && y1 <= im->h && x1 - x0 >= 2 && y1 - y0 >= 2))
        return ms_fail(MS_ERR_INPUT, "region %lld,%lld,%lld,%lld is not inside the %lld x %lld image (at least 2 x 2 "
                       "pixels)", (long long)x0, (long long)y0, (long long)x1, (long long)y1, (long long)im->w,
                       (long long)im->h);
    int64_t w = x1 - x0, h = y1 - y0, npx = w * h, ipx = im->w * im->h;
    *channels = grey ? 1 : im->channels;
    ms_status rc = ms_alloc_array((void **)out, (size_t)npx, (size_t)*channels * sizeof **out, 0, "image region");
    if (rc) return rc;
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            size_t s = (size_t)((y0 + y) * im->w + x0 + x), d = (size_t)(y * w + x);
            if (grey && im->channels == 3)
                (*out)[d] = (float)(0.299 * im->px[s] + 0.587 * im->px[ipx + s] + 0.114 * im->px[2 * ipx + s]);
            else
                for (int c = 0; c < *channels; c++) (*out)[(size_t)c * (size_t)npx + d] = im->px[(size_t)c * (size_t)ipx + s];
        }
    return MS_OK;
}

static ms_status unit_length(const ms_embedder *e, float *vec)
{
    double ss = 0;
    for (int i = 0; i < e->dim; i++) ss += (double)vec[i] * vec[i];
    if (!(ss > 0) || !isfinite(ss))
        return ms_fail(MS_ERR_INPUT, "embedder %s answered a zero or non-finite vector", e->name);
    double k = 1 / sqrt(ss);
    for (int i = 0; i < e->dim; i++) vec[i] = (float)(vec[i] * k);
    return MS_OK;
}

int ms_embedder_has_views(const ms_embedder *e) { return !e->model; }

ms_status ms_embed_views(ms_embedder *e, const ms_image2d *im, const int64_t *region, int nviews, const ms_view *views,
                         float *vec)
{
    float *px = NULL;
    int channels;
    ms_status rc = crop(im, region, !e->model, &px, &channels);
    if (rc) return rc;
    int64_t w = region ? region[2] - region[0] : im->w, h = region ? region[3] - region[1] : im->h;
    if (!e->model) {
        rc = ms_descriptor_views(px, w, h, nviews, views, vec);
        for (int k = 1; !rc && k < nviews; k++) rc = unit_length(e, vec + (size_t)k * (size_t)e->dim);
    } else {
        const float *p = px;
        pthread_mutex_lock(&e->lock);
        rc = ms_model_embed_many(e->model, 1, &p, &w, &h, &channels, vec);
        pthread_mutex_unlock(&e->lock);
    }
    free(px);
    return rc ? rc : unit_length(e, vec);
}

ms_status ms_embed(ms_embedder *e, const ms_image2d *im, const int64_t *region, float *vec)
{
    return ms_embed_views(e, im, region, 1, NULL, vec);
}
