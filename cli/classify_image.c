/* classify image: one image-classifier model over many images. The images
 * are read in parallel (--threads), the model is loaded once and run on
 * each; an image that cannot be read gets its own error and the others
 * are still scored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "medseg/atomic_file.h"
#include "medseg/csv.h"
#include "medseg/image2d.h"
#include "medseg/log.h"
#include "medseg/model.h"
#include "medseg/threads.h"

typedef struct {
    const char *path;
    ms_image2d im;
    ms_status st;
    char err[512];
    double prob[MS_MAX_LABELS];
    int order[MS_MAX_LABELS];
    double ms;
} image_job;

typedef struct {
    image_job *jobs;
    int slice;
} read_ctx;

static void read_some(void *ctx, size_t b, size_t e)
{
    read_ctx *c = ctx;
    for (size_t i = b; i < e; i++) {
        image_job *j = &c->jobs[i];
        double t0 = ms_now();
        j->st = ms_image2d_read(j->path, c->slice, &j->im);
        if (j->st) snprintf(j->err, sizeof j->err, "%s", ms_last_error());
        j->ms = (ms_now() - t0) * 1000;
    }
}

static void rank(image_job *j, int n)
{
    for (int k = 0; k < n; k++) j->order[k] = k;
    for (int a = 1; a < n; a++)   /* insertion sort, most probable first; ties keep the card's order */
        for (int b = a; b > 0 && j->prob[j->order[b]] > j->prob[j->order[b - 1]]; b--) {
            int t = j->order[b];
            j->order[b] = j->order[b - 1];
            j->order[b - 1] = t;
        }
}

static cJSON *image_json(const image_job *j, const ms_model_card *c, int top)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "image", j->path);
    cJSON_AddStringToObject(o, "model", c->name);
    if (j->st) {
        cJSON_AddStringToObject(o, "error", j->err);
        return o;
    }
    cJSON *p = cJSON_AddArrayToObject(o, "predictions");
    for (int k = 0; k < top; k++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "label", c->labels[j->order[k]]);
        cJSON_AddNumberToObject(e, "probability", j->prob[j->order[k]]);
        cJSON_AddItemToArray(p, e);
    }
    cJSON_AddNumberToObject(o, "ms", j->ms);
    return o;
}

static ms_status write_outputs(const image_job *jobs, int n, const ms_model_card *c, const classify_image_opts *o)
{
    int top = o->top > 0 && o->top < c->n_labels ? o->top : c->n_labels;
    ms_status st = MS_OK;
    if (o->csv) {
        ms_text_out t;
        if ((st = ms_text_open(&t, o->csv))) return st;
        fprintf(t.fp, "image,label,probability\n");
        for (int i = 0; i < n; i++)
            for (int k = 0; !jobs[i].st && k < top; k++) {
                ms_csv_put(t.fp, jobs[i].path, 0);
                ms_csv_put(t.fp, c->labels[jobs[i].order[k]], 0);
                fprintf(t.fp, "%.9g\n", jobs[i].prob[jobs[i].order[k]]);
            }
        if ((st = ms_text_close(&t, 1))) return st;
    }
    if (o->json) {
        cJSON *doc = n == 1 ? image_json(&jobs[0], c, top) : cJSON_CreateArray();
        for (int i = 0; n > 1 && i < n; i++) cJSON_AddItemToArray(doc, image_json(&jobs[i], c, top));
        char *txt = cJSON_Print(doc);
        if (txt) puts(txt);
        free(txt);
        cJSON_Delete(doc);
    } else if (!o->csv || strcmp(o->csv, "-") != 0) {
        for (int i = 0; i < n; i++) {
            if (jobs[i].st) continue;
            printf("%s:", jobs[i].path);
            for (int k = 0; k < top; k++) printf(" %s %.4f", c->labels[jobs[i].order[k]], jobs[i].prob[jobs[i].order[k]]);
            printf("\n");
        }
    }
    return st;
}

/* The images that were read, scored together (in batches when the model
 * takes them); each image's share of the model time is added to its ms. */
static void score_all(ms_model *m, image_job *jobs, int n)
{
    const float **img = calloc((size_t)n, sizeof *img);
    int64_t *w = calloc((size_t)n, sizeof *w), *h = calloc((size_t)n, sizeof *h);
    int *ch = calloc((size_t)n, sizeof *ch), *at = calloc((size_t)n, sizeof *at), k = 0;
    double *prob = calloc((size_t)n * MS_MAX_LABELS, sizeof *prob);
    ms_status st = img && w && h && ch && at && prob ? MS_OK : ms_fail(MS_ERR_NOMEM, "classify: out of memory");
    for (int i = 0; !st && i < n; i++)
        if (!jobs[i].st) {
            img[k] = jobs[i].im.px, w[k] = jobs[i].im.w, h[k] = jobs[i].im.h, ch[k] = jobs[i].im.channels;
            at[k++] = i;
        }
    double t0 = ms_now();
    int L = ms_model_card_of(m)->n_labels;
    if (!st && k) st = ms_model_classify_many(m, k, img, w, h, ch, prob);
    double share = k ? (ms_now() - t0) * 1000 / k : 0;
    for (int q = 0; q < k; q++) {
        image_job *j = &jobs[at[q]];
        j->ms += share;
        if (st) {
            j->st = st;
            snprintf(j->err, sizeof j->err, "%s", ms_last_error());
        } else {
            memcpy(j->prob, prob + (size_t)q * (size_t)L, (size_t)L * sizeof *j->prob);
        }
    }
    for (int i = 0; st && !k && i < n; i++)
        if (!jobs[i].st) jobs[i].st = st, snprintf(jobs[i].err, sizeof jobs[i].err, "%s", ms_last_error());
    free(img);
    free(w);
    free(h);
    free(ch);
    free(at);
    free(prob);
}

int classify_images(char **paths, int n, const classify_image_opts *o, ms_device dev)
{
    ms_model *m = NULL;
    ms_status st = ms_model_load(o->model, "image-classifier", dev, &m);
    if (st) return report_status(st);
    image_job *jobs = calloc((size_t)n, sizeof *jobs);
    if (!jobs) {
        ms_model_free(m);
        return report_status(ms_fail(MS_ERR_NOMEM, "classify: out of memory"));
    }
    for (int i = 0; i < n; i++) jobs[i].path = paths[i];
    read_ctx rc = {jobs, o->slice};
    ms_parallel_for((size_t)n, 1, read_some, &rc);
    const ms_model_card *c = ms_model_card_of(m);
    score_all(m, jobs, n);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        image_job *j = &jobs[i];
        if (j->st) {
            failed++;
            fprintf(stderr, "medseg: error: %s\n", j->err);
        } else {
            rank(j, c->n_labels);
        }
        ms_image2d_free(&j->im);
    }
    /* The images that were scored keep their rows even when others failed. */
    ms_outputs_keep_on_error(1);
    st = write_outputs(jobs, n, c, o);
    ms_info("classify: %d of %d images scored with %s", n - failed, n, c->name);
    free(jobs);
    ms_model_free(m);
    if (st) return report_status(st);
    return failed ? 3 : 0;
}
