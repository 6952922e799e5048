/* rag-index search: the nearest reference cases of an image and a vote of
 * their labels weighted by similarity. */
#include <stdlib.h>
#include <string.h>

#include "medseg/log.h"
#include "rag_internal.h"

struct ms_rag {
    rag_meta meta;
    char *meta_text;
    ms_faiss *ix;
    sqlite3 *db;
    ms_embedder *e;
};

ms_status ms_rag_open(const char *dir, const char *model, ms_device dev, ms_rag **out)
{
    *out = NULL;
    ms_rag *r = calloc(1, sizeof *r);
    if (!r) return ms_fail(MS_ERR_NOMEM, "index: out of memory");
    ms_status rc = rag_open_files(dir, &r->meta, &r->meta_text, &r->ix, &r->db);
    if (!rc) rc = ms_embedder_open(model, dev, &r->e);
    if (!rc && (strcmp(r->meta.embedder, ms_embedder_name(r->e)) || strcmp(r->meta.version, ms_embedder_version(r->e)) ||
                r->meta.dim != ms_embedder_dim(r->e)))
        rc = ms_fail(MS_ERR_INPUT, "%s was built with embedder %s (%s, %d values), this search uses %s (%s, %d values)%s",
                     dir, r->meta.embedder, r->meta.version, r->meta.dim, ms_embedder_name(r->e),
                     ms_embedder_version(r->e), ms_embedder_dim(r->e),
                     strcmp(r->meta.embedder, MS_DESCRIPTOR_NAME) ? ": pass the model it was built with" : "");
    if (rc) {
        ms_rag_close(r);
        return rc;
    }
    *out = r;
    return MS_OK;
}

int ms_rag_available(void) { return ms_faiss_available(); }

ms_status ms_rag_describe(const char *dir, char **meta)
{
    rag_meta m;
    ms_faiss *ix = NULL;
    sqlite3 *db = NULL;
    ms_status rc = rag_open_files(dir, &m, meta, &ix, &db);
    ms_faiss_free(ix);
    store_close(db);
    return rc;
}

void ms_rag_close(ms_rag *r)
{
    if (!r) return;
    ms_faiss_free(r->ix);
    store_close(r->db);
    ms_embedder_close(r->e);
    free(r->meta_text);
    free(r);
}

const char *ms_rag_meta(const ms_rag *r) { return r->meta_text; }
int64_t ms_rag_size(const ms_rag *r) { return r->meta.count; }

void ms_rag_result_free(ms_rag_result *res)
{
    for (int i = 0; i < res->n; i++) ms_rag_case_free(&res->hit[i].c);
    for (int i = 0; i < res->n_votes; i++) free(res->vote[i].label);
    free(res->hit), free(res->vote);
    memset(res, 0, sizeof *res);
}

static ms_rag_vote *find_vote(ms_rag_result *res, const char *label)
{
    for (int i = 0; i < res->n_votes; i++)
        if (!strcmp(res->vote[i].label, label)) return &res->vote[i];
    return NULL;
}

static int by_confidence(const void *a, const void *b)
{
    const ms_rag_vote *x = a, *y = b;
    if (x->confidence != y->confidence) return x->confidence > y->confidence ? -1 : 1;
    return strcmp(x->label, y->label);
}

/* Each label's confidence: sum over the hits of similarity x (1 positive,
 * 0.5 uncertain, 0 negative or absent) over the sum of similarities. */
static ms_status vote(ms_rag_result *res)
{
    int cap = 0;
    double total = 0;
    for (int i = 0; i < res->n; i++) cap += res->hit[i].c.n_labels, total += res->hit[i].similarity;
    res->vote = calloc((size_t)(cap ? cap : 1), sizeof *res->vote);
    if (!res->vote) return ms_fail(MS_ERR_NOMEM, "search: out of memory");
    for (int i = 0; i < res->n; i++)
        for (int k = 0; k < res->hit[i].c.n_labels; k++) {
            const ms_rag_label *l = &res->hit[i].c.labels[k];
            ms_rag_vote *v = find_vote(res, l->name);
            if (!v) {
                v = &res->vote[res->n_votes++];
                if (!(v->label = strdup(l->name))) return ms_fail(MS_ERR_NOMEM, "search: out of memory");
            }
            double w = l->value == 1 ? 1 : l->value == -1 ? 0.5 : 0;
            v->confidence += res->hit[i].similarity * w;
            v->supporting += l->value == 1;
        }
    for (int i = 0; i < res->n_votes; i++) res->vote[i].confidence = total > 0 ? res->vote[i].confidence / total : 0;
    qsort(res->vote, (size_t)res->n_votes, sizeof *res->vote, by_confidence);
    return MS_OK;
}

/* Adds the best match of each id over all views to out (ids sorted by
 * similarity, then id). */
typedef struct scored { int64_t id; float sim; int view; } scored;

static int by_sim(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->sim != y->sim) return x->sim > y->sim ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Keeps, per id, its best similarity; n entries become the unique ones. */
static int best_per_id(scored *s, int n)
{
    qsort(s, (size_t)n, sizeof *s, by_sim);
    int m = 0;
    for (int i = 0; i < n; i++) {
        int seen = s[i].id < 0;
        for (int j = 0; !seen && j < m; j++) seen = s[j].id == s[i].id;
        if (!seen) s[m++] = s[i];
    }
    return m;
}

/* The hits from candidates sorted best first. */
static ms_status fill_hits(ms_rag *r, const scored *s, int m, int k, double min_sim, ms_rag_result *out)
{
    ms_status rc = MS_OK;
    for (int i = 0; !rc && i < m && out->n < k; i++) {
        double v = s[i].sim < 0 ? 0 : s[i].sim > 1 ? 1 : s[i].sim;
        if (v < min_sim) break;
        ms_rag_hit *h = &out->hit[out->n];
        h->id = s[i].id, h->similarity = v;
        if (!(rc = store_get(r->db, s[i].id, &h->c))) out->n++;
    }
    return rc ? rc : vote(out);
}

/* FAISS's k best for each of nq query vectors, merged: *m unique ids. */
static ms_status candidates(ms_rag *r, const float *vec, int nq, int k, int probes, scored **out, int *m)
{
    size_t nk = (size_t)nq * (size_t)k;
    float *sim = malloc(nk * sizeof *sim);
    int64_t *ids = malloc(nk * sizeof *ids);
    *out = malloc(nk * sizeof **out);
    ms_status rc = sim && ids && *out ? MS_OK : ms_fail(MS_ERR_NOMEM, "search: out of memory");
    if (!rc) rc = ms_faiss_search(r->ix, nq, vec, k, probes, sim, ids);
    if (!rc) {
        for (size_t i = 0; i < nk; i++) (*out)[i] = (scored){ids[i], sim[i], (int)(i / (size_t)k)};
        *m = best_per_id(*out, (int)nk);
    }
    free(sim), free(ids);
    return rc;
}

static ms_status begin_result(ms_rag *r, int *k, ms_rag_result *out)
{
    memset(out, 0, sizeof *out);
    if (*k < 1) return ms_fail(MS_ERR_USAGE, "--top-k must be at least 1");
    if (*k > r->meta.count) *k = (int)r->meta.count;
    out->hit = calloc((size_t)(*k ? *k : 1), sizeof *out->hit);
    return out->hit ? MS_OK : ms_fail(MS_ERR_NOMEM, "search: out of memory");
}

/* A query's framing relative to the indexed image is unknown within a
 * zoom of 0.9..1.1 and a few pixels of shift: FAISS is asked with a
 * coarse grid of views (5 zooms x 3 x 3 shifts of 2 pixels), and the best
 * RERANK cases are then scored again against finer views (zoom +-0.025,
 * shifts +-1 pixel) around the coarse views that matched them best, each
 * case keeping its best view. */
#define COARSE_K 16
#define RERANK 48
#define MAX_FINE 27 * 16
static const double coarse_zoom[] = {0.9, 0.95, 1.0, 1.05, 1.1}, coarse_shift[] = {-2, 0, 2};

static int grid(const double *zoom, int nz, const double *shift, int ns, ms_view *v)
{
    int n = 0;
    for (int a = 0; a < nz; a++)
        for (int i = 0; i < ns; i++)
            for (int j = 0; j < ns; j++) v[n++] = (ms_view){zoom[a], shift[i], shift[j]};
    return n;
}

static float best_dot(const float *views, int nv, const float *c, int dim)
{
    float best = -2;
    for (int v = 0; v < nv; v++) {
        const float *q = views + (size_t)v * (size_t)dim;
        float d = 0;
        for (int i = 0; i < dim; i++) d += q[i] * c[i];
        best = d > best ? d : best;
    }
    return best;
}

/* The finer views around the coarse views the first m candidates liked. */
static int fine_views(const ms_view *coarse, const scored *s, int m, ms_view *v)
{
    int n = 0, used[5 * 3 * 3] = {0};
    for (int i = 0; i < m && n + 27 <= MAX_FINE; i++) {
        if (used[s[i].view]++) continue;
        const ms_view *c = &coarse[s[i].view];
        for (int a = -1; a <= 1; a++)
            for (int x = -1; x <= 1; x++)
                for (int y = -1; y <= 1; y++) v[n++] = (ms_view){c->zoom + 0.025 * a, c->dx + x, c->dy + y};
    }
    return n;
}

/* Re-scores the first m candidates with finer views. */
static ms_status rerank(ms_rag *r, const ms_image2d *im, const int64_t *region, const ms_view *coarse, scored *s,
                        int m)
{
    ms_view v[MAX_FINE];
    int nv = fine_views(coarse, s, m, v), dim = r->meta.dim;
    float *views = NULL, *c = NULL;
    ms_status rc = ms_alloc_array((void **)&views, (size_t)nv * (size_t)dim, sizeof *views, 0, "query views");
    if (!rc) rc = ms_alloc_array((void **)&c, (size_t)dim, sizeof *c, 0, "case vector");
    if (!rc) rc = ms_embed_views(r->e, im, region, nv, v, views);
    for (int i = 0; !rc && i < m; i++)
        if (!(rc = store_vector(r->db, s[i].id, dim, c))) {
            float f = best_dot(views, nv, c, dim);
            s[i].sim = f > s[i].sim ? f : s[i].sim;
        }
    if (!rc) qsort(s, (size_t)m, sizeof *s, by_sim);
    free(views), free(c);
    return rc;
}

ms_status ms_rag_search(ms_rag *r, const ms_image2d *im, const int64_t *region, int k, double min_sim, int probes,
                        ms_rag_result *out)
{
    double t0 = ms_now();
    ms_view views[5 * 3 * 3];
    int nv = ms_embedder_has_views(r->e) ? grid(coarse_zoom, 5, coarse_shift, 3, views) : 1;
    int kk = k > COARSE_K ? k : COARSE_K, m = 0;
    scored *s = NULL;
    float *vec = NULL;
    ms_status rc = begin_result(r, &k, out);
    if (kk > r->meta.count) kk = (int)r->meta.count;
    if (!rc) rc = ms_alloc_array((void **)&vec, (size_t)nv * (size_t)r->meta.dim, sizeof *vec, 0, "query embedding");
    if (!rc) rc = ms_embed_views(r->e, im, region, nv, nv > 1 ? views : NULL, vec);
    if (!rc && kk) rc = candidates(r, vec, nv, kk, probes, &s, &m);
    if (!rc && nv > 1) rc = rerank(r, im, region, views, s, m < RERANK ? m : RERANK);
    if (!rc) rc = fill_hits(r, s, m, k, min_sim, out);
    free(vec), free(s);
    if (rc) ms_rag_result_free(out);
    else out->search_ms = (ms_now() - t0) * 1e3;
    return rc;
}
