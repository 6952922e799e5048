/* rag-index build, add and merge: every change writes a whole new index
 * directory and swaps it with the old one, so an interrupted run leaves
 * the previous index as it was. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "medseg/atomic_file.h"
#include "medseg/log.h"
#include "rag_internal.h"

static void meta_from(rag_meta *m, const ms_embedder *e, const char *index, const char *shard, int64_t n)
{
    memset(m, 0, sizeof *m);
    snprintf(m->embedder, sizeof m->embedder, "%s", ms_embedder_name(e));
    snprintf(m->version, sizeof m->version, "%s", ms_embedder_version(e));
    snprintf(m->index, sizeof m->index, "%s", index);
    if (shard) snprintf(m->shard, sizeof m->shard, "%s", shard);
    m->dim = ms_embedder_dim(e);
    m->count = n;
}

static ms_status alloc_vectors(float **vec, int64_t n, int dim)
{
    size_t cells;
    if (n < 0 || !ms_mul_size((size_t)n, (size_t)dim, &cells))
        return ms_fail(MS_ERR_NOMEM, "%lld vectors of %d values do not fit in memory", (long long)n, dim);
    return ms_alloc_array((void **)vec, cells ? cells : 1, sizeof **vec, 0, "embeddings");
}

/* A folder that exists must be an index (or empty) before it is replaced. */
static ms_status check_replaceable(const char *dir)
{
    struct stat sb;
    char path[PATH_MAX];
    if (stat(dir, &sb) != 0 || ms_check_output_dir(dir) == MS_OK) return MS_OK;
    if (stat(rag_path(path, sizeof path, dir, "meta.json"), &sb) != 0)
        return ms_fail(MS_ERR_USAGE, "%s: exists and is not a medseg index; refusing to replace it", dir);
    return MS_OK;
}

static ms_status write_and_swap(const char *dir, const rag_meta *m, const rag_spec *spec,
                                const ms_rag_case *const *cases, int64_t n, const float *vec)
{
    ms_atomic at;
    ms_status rc = ms_atomic_begin_replace_dir(&at, dir);
    if (rc) return rc;
    rc = rag_write_dir(at.tmp_path, m, spec, cases, n, vec);
    if (!rc) rc = ms_atomic_commit_replace(&at);
    else ms_atomic_abort(&at);
    return rc;
}

static const ms_rag_case **pointers(const ms_rag_cases *cs)
{
    const ms_rag_case **p = malloc((size_t)(cs->n ? cs->n : 1) * sizeof *p);
    for (int i = 0; p && i < cs->n; i++) p[i] = &cs->c[i];
    return p;
}

ms_status ms_rag_build(const char *dir, const ms_rag_cases *cs, const ms_rag_build_opts *o)
{
    rag_spec spec;
    ms_embedder *e = NULL;
    float *vec = NULL;
    const ms_rag_case **p = NULL;
    ms_status rc = rag_spec_parse(o->index ? o->index : "flat", &spec);
    if (!rc) rc = check_replaceable(dir);
    if (!rc) rc = ms_embedder_open(o->model, o->device, &e);
    if (!rc) rc = alloc_vectors(&vec, cs->n, ms_embedder_dim(e));
    if (!rc) rc = rag_embed_cases(e, cs, o->jobs, vec);
    if (!rc && !(p = pointers(cs))) rc = ms_fail(MS_ERR_NOMEM, "cases: out of memory");
    if (!rc) {
        rag_meta m;
        meta_from(&m, e, o->index ? o->index : "flat", o->shard, cs->n);
        rc = write_and_swap(dir, &m, &spec, p, cs->n, vec);
    }
    free(p), free(vec);
    ms_embedder_close(e);
    return rc;
}

/* The embedder named in meta.json: the given model, or the classical one. */
static ms_status same_embedder(const char *dir, const rag_meta *m, const ms_embedder *e)
{
    if (!strcmp(m->embedder, ms_embedder_name(e)) && !strcmp(m->version, ms_embedder_version(e)) &&
        m->dim == ms_embedder_dim(e))
        return MS_OK;
    return ms_fail(MS_ERR_INPUT, "%s was built with embedder %s (%s, %d values), not %s (%s, %d values)%s", dir,
                   m->embedder, m->version, m->dim, ms_embedder_name(e), ms_embedder_version(e),
                   ms_embedder_dim(e), strcmp(m->embedder, MS_DESCRIPTOR_NAME) ? ": pass its --model" : "");
}

/* Every stored case and vector of an open index, in id order. */
static ms_status load_all(sqlite3 *db, const rag_meta *m, ms_rag_case *c, float *vec)
{
    ms_status rc = store_vectors(db, m->dim, m->count, vec);
    for (int64_t i = 0; !rc && i < m->count; i++) rc = store_get(db, i, &c[i]);
    return rc;
}

static int by_row(const void *a, const void *b)
{
    const ms_rag_case *x = *(const ms_rag_case *const *)a, *y = *(const ms_rag_case *const *)b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    return x < y ? -1 : x > y;   /* equal rows: input order (all in one array) */
}

/* The old cases followed by the new ones, numbered after the old rows. */
static ms_status grow(const char *dir, const rag_meta *m0, sqlite3 *db, ms_embedder *e, const ms_rag_cases *cs,
                      int jobs)
{
    int64_t n0 = m0->count, n = n0 + cs->n;
    ms_rag_case *old = calloc((size_t)(n0 ? n0 : 1), sizeof *old);
    const ms_rag_case **p = malloc((size_t)n * sizeof *p);
    float *vec = NULL;
    ms_status rc = old && p ? alloc_vectors(&vec, n, m0->dim) : ms_fail(MS_ERR_NOMEM, "cases: out of memory");
    for (int i = 0; !rc && i < cs->n; i++)
        if (store_has(db, cs->c[i].case_id))
            rc = ms_fail(MS_ERR_INPUT, "%s line %d: case_id %s is already in %s", cs->source, cs->c[i].line,
                         cs->c[i].case_id, dir);
    if (!rc) rc = load_all(db, m0, old, vec);
    if (!rc) rc = rag_embed_cases(e, cs, jobs, vec + (size_t)n0 * (size_t)m0->dim);
    int64_t next = 0;
    for (int64_t i = 0; !rc && i < n0; i++) {
        p[i] = &old[i];
        next = old[i].row + 1 > next ? old[i].row + 1 : next;
    }
    for (int i = 0; !rc && i < cs->n; i++) {
        cs->c[i].row += next;   /* rows stay unique so a merge keeps this order */
        p[n0 + i] = &cs->c[i];
    }
    if (!rc) {
        rag_meta m = *m0;
        rag_spec spec;
        m.count = n;
        m.shard[0] = 0;
        rc = rag_spec_parse(m.index, &spec);
        if (!rc) rc = write_and_swap(dir, &m, &spec, p, n, vec);
    }
    for (int64_t i = 0; old && i < n0; i++) ms_rag_case_free(&old[i]);
    free(old), free(p), free(vec);
    return rc;
}

ms_status ms_rag_add(const char *dir, const ms_rag_cases *cs, const ms_rag_build_opts *o)
{
    rag_meta m;
    ms_faiss *ix = NULL;
    sqlite3 *db = NULL;
    ms_embedder *e = NULL;
    ms_status rc = rag_open_files(dir, &m, NULL, &ix, &db);
    if (!rc) rc = ms_embedder_open(o->model, o->device, &e);
    if (!rc) rc = same_embedder(dir, &m, e);
    if (!rc) rc = grow(dir, &m, db, e, cs, o->jobs);
    ms_faiss_free(ix);
    store_close(db);
    ms_embedder_close(e);
    return rc;
}

typedef struct merged {
    ms_rag_case *c;
    const ms_rag_case **p;
    float *vec, *sorted;
    int64_t n;
} merged;

static void merged_free(merged *g)
{
    for (int64_t i = 0; g->c && i < g->n; i++) ms_rag_case_free(&g->c[i]);
    free(g->c), free(g->p), free(g->vec), free(g->sorted);
}

static int by_case_id(const void *a, const void *b)
{
    return strcmp((*(const ms_rag_case *const *)a)->case_id, (*(const ms_rag_case *const *)b)->case_id);
}

static ms_status check_ids(const merged *g)
{
    const ms_rag_case **s = malloc((size_t)(g->n ? g->n : 1) * sizeof *s);
    if (!s) return ms_fail(MS_ERR_NOMEM, "merge: out of memory");
    memcpy(s, g->p, (size_t)g->n * sizeof *s);
    qsort(s, (size_t)g->n, sizeof *s, by_case_id);
    ms_status rc = MS_OK;
    for (int64_t i = 1; !rc && i < g->n; i++)
        if (!strcmp(s[i]->case_id, s[i - 1]->case_id))
            rc = ms_fail(MS_ERR_INPUT, "case_id %s is in more than one input", s[i]->case_id);
    free(s);
    return rc;
}

/* Reads input k into g at offset *at, checking it matches the first. */
static ms_status merge_one(const char *dir, rag_meta *first, int k, merged *g, int64_t *at)
{
    rag_meta m;
    ms_faiss *ix = NULL;
    sqlite3 *db = NULL;
    ms_status rc = rag_open_files(dir, &m, NULL, &ix, &db);
    if (!rc && k == 0) *first = m;
    if (!rc && (strcmp(m.embedder, first->embedder) || strcmp(m.version, first->version) || m.dim != first->dim))
        rc = ms_fail(MS_ERR_INPUT, "%s: embedder %s (%s) differs from the first input's %s (%s)", dir, m.embedder,
                     m.version, first->embedder, first->version);
    if (!rc && strcmp(m.index, first->index))
        rc = ms_fail(MS_ERR_INPUT, "%s: index %s differs from the first input's %s", dir, m.index, first->index);
    if (!rc) {
        ms_rag_case *c = realloc(g->c, (size_t)(*at + m.count + 1) * sizeof *c);
        float *v = c ? realloc(g->vec, (size_t)(*at + m.count + 1) * (size_t)m.dim * sizeof *v) : NULL;
        if (c) g->c = c;
        if (v) g->vec = v;
        if (!c || !v) rc = ms_fail(MS_ERR_NOMEM, "merge: out of memory");
        else memset(c + *at, 0, (size_t)m.count * sizeof *c);
    }
    if (!rc) rc = load_all(db, &m, g->c + *at, g->vec + (size_t)*at * (size_t)m.dim);
    if (!rc) *at += m.count;
    g->n = *at;
    ms_faiss_free(ix);
    store_close(db);
    return rc;
}

ms_status ms_rag_merge(const char *out, const char *const *in, int n)
{
    merged g = {0};
    rag_meta first = {0};
    int64_t at = 0;
    ms_status rc = check_replaceable(out);
    for (int k = 0; !rc && k < n; k++) rc = merge_one(in[k], &first, k, &g, &at);
    if (!rc && !(g.p = malloc((size_t)(g.n ? g.n : 1) * sizeof *g.p))) rc = ms_fail(MS_ERR_NOMEM, "merge: out of memory");
    if (!rc) rc = alloc_vectors(&g.sorted, g.n, first.dim);
    if (!rc) {
        for (int64_t i = 0; i < g.n; i++) g.p[i] = &g.c[i];
        /* Shards of one CASES.csv carry its row numbers: sorting by them
         * puts every case where a single build would have put it. */
        qsort(g.p, (size_t)g.n, sizeof *g.p, by_row);
        for (int64_t i = 0; i < g.n; i++)
            memcpy(g.sorted + (size_t)i * (size_t)first.dim, g.vec + (size_t)(g.p[i] - g.c) * (size_t)first.dim,
                   (size_t)first.dim * sizeof *g.sorted);
        rc = check_ids(&g);
    }
    if (!rc) {
        rag_spec spec;
        first.count = g.n;
        first.shard[0] = 0;
        rc = rag_spec_parse(first.index, &spec);
        if (!rc) rc = write_and_swap(out, &first, &spec, g.p, g.n, g.sorted);
    }
    merged_free(&g);
    return rc;
}
