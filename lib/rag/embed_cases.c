/* Embedding every case of a CASES.csv, jobs images at a time. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "medseg/io.h"
#include "medseg/log.h"
#include "medseg/volume.h"
#include "medseg/threads.h"
#include "rag_internal.h"

typedef struct job {
    ms_embedder *e;
    const ms_rag_cases *cs;
    float *vec;
    pthread_mutex_t lock;
    int64_t done, first_bad;   /* first_bad: lowest failing row, or -1 */
    ms_status bad_rc;
    char bad_msg[1200];
} job;

/* The last NIfTI volume a worker read: rows naming slices of one volume
 * read it once. */
typedef struct cache {
    char *path;
    ms_volume v;
} cache;

static ms_status read_image(cache *k, const ms_rag_case *c, ms_image2d *im)
{
    if (ms_detect_format(c->image_file) != MS_FMT_NIFTI) return ms_image2d_read(c->image_file, c->slice, im);
    if (!k->path || strcmp(k->path, c->image_file)) {
        free(k->path), ms_volume_free(&k->v);
        k->path = NULL;
        ms_status rc = ms_nifti_read(c->image_file, &k->v);
        if (rc) return rc;
        if (!(k->path = strdup(c->image_file))) return ms_fail(MS_ERR_NOMEM, "cases: out of memory");
    }
    return ms_image2d_from_volume(&k->v, c->image_file, c->slice, im);
}

static void embed_one(job *j, cache *k, int64_t i)
{
    const ms_rag_case *c = &j->cs->c[i];
    ms_image2d im = {0};
    int dim = ms_embedder_dim(j->e);
    ms_status rc = read_image(k, c, &im);
    if (!rc) rc = ms_embed(j->e, &im, NULL, j->vec + (size_t)i * (size_t)dim);
    ms_image2d_free(&im);
    pthread_mutex_lock(&j->lock);
    if (rc && (j->first_bad < 0 || i < j->first_bad)) {
        j->first_bad = i, j->bad_rc = rc;
        snprintf(j->bad_msg, sizeof j->bad_msg, "%s line %d (case %s): %s", j->cs->source, c->line, c->case_id,
                 ms_last_error());
    }
    j->done++;
    ms_progress("embedding", (double)j->done / (double)j->cs->n);
    pthread_mutex_unlock(&j->lock);
}

static void embed_range(void *ctx, size_t begin, size_t end)
{
    job *j = ctx;
    cache k = {0};
    for (size_t i = begin; i < end; i++) {
        pthread_mutex_lock(&j->lock);
        int stop = j->first_bad >= 0 && (int64_t)i > j->first_bad;
        pthread_mutex_unlock(&j->lock);
        if (!stop) embed_one(j, &k, (int64_t)i);
    }
    if (k.path) ms_volume_free(&k.v);
    free(k.path);
}

/* Every image must be there before minutes go into embedding. */
static ms_status check_files(const ms_rag_cases *cs)
{
    for (int i = 0; i < cs->n; i++)
        if (access(cs->c[i].image_file, R_OK) != 0)
            return ms_fail(MS_ERR_INPUT, "%s line %d (case %s): image %s is missing or unreadable", cs->source,
                           cs->c[i].line, cs->c[i].case_id, cs->c[i].image_file);
    return MS_OK;
}

ms_status rag_embed_cases(ms_embedder *e, const ms_rag_cases *cs, int jobs, float *vec)
{
    ms_status rc = check_files(cs);
    if (rc) return rc;
    job j = {.e = e, .cs = cs, .vec = vec, .first_bad = -1};
    pthread_mutex_init(&j.lock, NULL);
    /* One contiguous block a worker, so rows naming slices of one volume
     * mostly share a worker and its cached volume. */
    int t = jobs > 0 ? jobs : ms_threads_get();
    ms_parallel_for_n((size_t)cs->n, (size_t)cs->n / (size_t)t + 1, t, embed_range, &j);
    pthread_mutex_destroy(&j.lock);
    if (j.first_bad >= 0) return ms_fail(j.bad_rc, "%s", j.bad_msg);
    return MS_OK;
}
