/* The index directory: index.faiss (FAISS's own format), cases.sqlite and
 * meta.json, written together into a temporary folder that replaces the
 * previous one whole. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "medseg/log.h"
#include "medseg/rng.h"
#include "medseg/textfile.h"
#include "rag_internal.h"

#ifndef MEDSEG_VERSION
#define MEDSEG_VERSION "unknown"
#endif

const char *rag_path(char *buf, size_t n, const char *dir, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

ms_status rag_spec_parse(const char *s, rag_spec *out)
{
    memset(out, 0, sizeof *out);
    char kind[8] = {0}, extra;
    int param = 0;
    if (!strcmp(s, "flat")) {
        snprintf(out->kind, sizeof out->kind, "flat");
        return MS_OK;
    }
    if (sscanf(s, "%4[a-z]:%d%c", kind, &param, &extra) == 2) {
        if (!strcmp(kind, "ivf") && param >= 1 && param <= 65536) goto ok;
        if (!strcmp(kind, "hnsw") && param >= 2 && param <= 256) goto ok;
    }
    return ms_fail(MS_ERR_USAGE, "--index %s: use flat, ivf:NLIST (1..65536) or hnsw:M (2..256)", s);
ok:
    snprintf(out->kind, sizeof out->kind, "%s", kind);
    out->param = param;
    return MS_OK;
}

/* Size and FNV-1a of the first and last 64 KiB of a file: cheap at any
 * size, and enough to catch a truncated or swapped index.faiss. */
static ms_status file_stamp(const char *path, int64_t *bytes, char *hash, size_t n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp || fseeko(fp, 0, SEEK_END) || (*bytes = ftello(fp)) < 0) {
        if (fp) fclose(fp);
        return ms_fail(MS_ERR_INPUT, "%s: cannot read", path);
    }
    uint64_t h = MS_FNV1A_START;
    unsigned char buf[65536];
    int64_t at[2] = {0, *bytes > (int64_t)sizeof buf ? *bytes - (int64_t)sizeof buf : 0};
    for (int k = 0; k < 2; k++) h = ms_fnv1a64(h, buf, fseeko(fp, at[k], SEEK_SET) ? 0 : fread(buf, 1, sizeof buf, fp));
    fclose(fp);
    snprintf(hash, n, "%016llx", (unsigned long long)h);
    return MS_OK;
}

ms_status rag_meta_write(const char *dir, rag_meta *m, int probes)
{
    char ipath[PATH_MAX];
    ms_status rc = file_stamp(rag_path(ipath, sizeof ipath, dir, "index.faiss"), &m->index_bytes, m->index_hash,
                              sizeof m->index_hash);
    if (rc) return rc;
    cJSON *j = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(j, "embedder");
    cJSON_AddStringToObject(j, "format", "medseg-rag-index");
    cJSON_AddNumberToObject(j, "format_version", 1);
    cJSON_AddStringToObject(e, "name", m->embedder);
    cJSON_AddStringToObject(e, "version", m->version);
    cJSON_AddNumberToObject(e, "dim", m->dim);
    cJSON_AddNumberToObject(j, "dim", m->dim);
    cJSON_AddStringToObject(j, "metric", "inner_product");
    cJSON_AddStringToObject(j, "normalization", "l2");
    cJSON_AddStringToObject(j, "similarity", "max(0, cosine)");
    cJSON_AddStringToObject(j, "index", m->index);
    cJSON_AddNumberToObject(j, "default_probes", probes);
    cJSON_AddNumberToObject(j, "count", (double)m->count);
    cJSON_AddNumberToObject(j, "index_bytes", (double)m->index_bytes);
    cJSON_AddStringToObject(j, "index_hash", m->index_hash);
    if (m->shard[0]) cJSON_AddStringToObject(j, "shard", m->shard);
    char when[32];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(j, "written_utc", when);
    cJSON_AddStringToObject(j, "medseg_version", MEDSEG_VERSION);
    char *txt = cJSON_Print(j), path[PATH_MAX];
    cJSON_Delete(j);
    FILE *fp = txt ? fopen(rag_path(path, sizeof path, dir, "meta.json"), "w") : NULL;
    int ok = fp && fputs(txt, fp) >= 0 && fputc('\n', fp) != EOF;
    if (fp && fclose(fp)) ok = 0;
    free(txt);
    return ok ? MS_OK : ms_fail(MS_ERR_IO, "%s: cannot write", path);
}

static int get_str(const cJSON *o, const char *key, char *out, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= n) return 0;
    snprintf(out, n, "%s", v->valuestring);
    return 1;
}

static int get_int(const cJSON *o, const char *key, double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi)) return 0;
    *out = v->valuedouble;
    return 1;
}

ms_status rag_meta_read(const char *dir, rag_meta *m, char **text)
{
    memset(m, 0, sizeof *m);
    char path[PATH_MAX];
    ms_text_why why;
    char *txt = ms_read_text(rag_path(path, sizeof path, dir, "meta.json"), 1 << 20, &why);
    if (!txt) return ms_fail(MS_ERR_INPUT, "%s: not a medseg index (no readable meta.json)", dir);
    cJSON *j = cJSON_Parse(txt);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "embedder");
    char format[32] = "";
    double dim = 0, count = -1, bytes = -1;
    int ok = get_str(j, "format", format, sizeof format) && !strcmp(format, "medseg-rag-index") &&
             get_str(e, "name", m->embedder, sizeof m->embedder) &&
             get_str(e, "version", m->version, sizeof m->version) && get_int(e, "dim", 1, 8192, &dim) &&
             get_str(j, "index", m->index, sizeof m->index) && get_int(j, "count", 0, 1e12, &count) &&
             get_int(j, "index_bytes", 0, 1e15, &bytes) && get_str(j, "index_hash", m->index_hash, sizeof m->index_hash);
    get_str(j, "shard", m->shard, sizeof m->shard);
    cJSON_Delete(j);
    if (!ok) {
        free(txt);
        return ms_fail(MS_ERR_INPUT, "%s/meta.json: not a medseg index description (format, embedder, index, count)", dir);
    }
    m->dim = (int)dim, m->count = (int64_t)count, m->index_bytes = (int64_t)bytes;
    if (text) *text = txt;
    else free(txt);
    return MS_OK;
}

ms_status rag_open_files(const char *dir, rag_meta *m, char **meta_text, ms_faiss **ix, sqlite3 **db)
{
    *ix = NULL, *db = NULL;
    char path[PATH_MAX], desc[32];
    int64_t stored = -1;
    int64_t bytes = -1;
    char hash[24];
    ms_status rc = rag_meta_read(dir, m, meta_text);
    if (!rc) rc = file_stamp(rag_path(path, sizeof path, dir, "index.faiss"), &bytes, hash, sizeof hash);
    if (!rc && (bytes != m->index_bytes || strcmp(hash, m->index_hash)))
        rc = ms_fail(MS_ERR_INPUT, "%s: corrupt index: index.faiss is %lld bytes (hash %s), meta.json says %lld (hash %s)",
                     dir, (long long)bytes, hash, (long long)m->index_bytes, m->index_hash);
    if (!rc) rc = ms_faiss_read(path, ix);
    if (!rc) rc = store_open(rag_path(path, sizeof path, dir, "cases.sqlite"), 0, db);
    if (!rc) rc = store_count(*db, &stored);
    if (!rc) {
        ms_faiss_describe(*ix, desc, sizeof desc);
        if (ms_faiss_count(*ix) != m->count || stored != m->count || ms_faiss_dim(*ix) != m->dim)
            rc = ms_fail(MS_ERR_INPUT, "%s: corrupt index: meta.json says %lld cases of %d values, index.faiss holds %lld "
                         "of %d, cases.sqlite %lld", dir, (long long)m->count, m->dim, (long long)ms_faiss_count(*ix),
                         ms_faiss_dim(*ix), (long long)stored);
        else if (strcmp(desc, m->index))
            rc = ms_fail(MS_ERR_INPUT, "%s: corrupt index: meta.json says %s, index.faiss is %s", dir, m->index, desc);
    }
    if (rc) {
        ms_faiss_free(*ix), store_close(*db);
        *ix = NULL, *db = NULL;
        if (meta_text) free(*meta_text), *meta_text = NULL;
        if (rc != MS_ERR_NOMEM) rc = MS_ERR_INPUT;
    }
    return rc;
}

static ms_status write_index(const char *dir, const rag_spec *spec, int dim, int64_t n, const float *vec, int *probes)
{
    char path[PATH_MAX];
    ms_faiss *ix = NULL;
    if (!strcmp(spec->kind, "ivf") && n < spec->param)
        return ms_fail(MS_ERR_INPUT, "ivf:%d needs at least %d cases to learn its lists, there are %lld; use fewer "
                       "lists or flat", spec->param, spec->param, (long long)n);
    if (!strcmp(spec->kind, "ivf") && n < 39LL * spec->param)
        ms_warn("ivf:%d learns its lists from %lld cases; FAISS advises 39 per list (%lld)", spec->param, (long long)n,
                39LL * spec->param);
    ms_status rc = ms_faiss_new(spec->kind, spec->param, dim, &ix);
    if (!rc) rc = ms_faiss_train(ix, n, vec);
    if (!rc) rc = ms_faiss_add(ix, n, vec);
    if (!rc) rc = ms_faiss_write(ix, rag_path(path, sizeof path, dir, "index.faiss"));
    if (!rc) *probes = ms_faiss_default_probes(ix);
    ms_faiss_free(ix);
    return rc;
}

static ms_status write_store(const char *dir, const ms_rag_case *const *cases, int64_t n, const float *vec, int dim)
{
    char path[PATH_MAX];
    sqlite3 *db = NULL;
    ms_status rc = store_create(rag_path(path, sizeof path, dir, "cases.sqlite"), &db);
    if (!rc) rc = store_begin(db);
    for (int64_t i = 0; !rc && i < n; i++) rc = store_put(db, i, cases[i], vec + (size_t)i * (size_t)dim, dim);
    if (!rc) rc = store_commit(db);
    store_close(db);
    return rc;
}

ms_status rag_write_dir(const char *dir, const rag_meta *m, const rag_spec *spec, const ms_rag_case *const *cases,
                        int64_t n, const float *vec)
{
    int probes = 0;
    ms_status rc = write_index(dir, spec, m->dim, n, vec, &probes);
    if (!rc) rc = write_store(dir, cases, n, vec, m->dim);
    rag_meta stamped = *m;
    if (!rc) rc = rag_meta_write(dir, &stamped, probes);
    return rc;
}
