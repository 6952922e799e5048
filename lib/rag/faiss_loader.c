/* The ms_faiss_* functions through the plugin libmedseg_faiss
 * (faiss_shim.cc), opened when the first index is made or read. Every
 * other entry takes an index, so the plugin is open by then. */
#include <pthread.h>
#include <stddef.h>

#include "../core/plugin.h"
#include "faiss_plugin.h"

static struct {
    ms_status (*make)(const char *, int, int, ms_faiss **);
    ms_status (*train)(ms_faiss *, int64_t, const float *);
    ms_status (*add)(ms_faiss *, int64_t, const float *);
    ms_status (*search)(const ms_faiss *, int64_t, const float *, int, int, float *, int64_t *);
    ms_status (*write)(const ms_faiss *, const char *);
    ms_status (*read)(const char *, ms_faiss **);
    int64_t (*count)(const ms_faiss *);
    int (*dim)(const ms_faiss *);
    void (*describe)(const ms_faiss *, char *, size_t);
    int (*probes)(const ms_faiss *);
    void (*release)(ms_faiss *);
    char error[4700];
} fp;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *entry(void *h, const char *sym) { return ms_plugin_symbol(h, "medseg_faiss", sym, fp.error, sizeof fp.error); }

static void open_faiss(void)
{
    void *h = ms_plugin_open("medseg_faiss", fp.error, sizeof fp.error);
    if (!h) return;
    /* function pointers from dlsym's void *, as POSIX allows */
    *(void **)&fp.make = entry(h, "ms_faissp_new");
    *(void **)&fp.train = entry(h, "ms_faissp_train");
    *(void **)&fp.add = entry(h, "ms_faissp_add");
    *(void **)&fp.search = entry(h, "ms_faissp_search");
    *(void **)&fp.write = entry(h, "ms_faissp_write");
    *(void **)&fp.read = entry(h, "ms_faissp_read");
    *(void **)&fp.count = entry(h, "ms_faissp_count");
    *(void **)&fp.dim = entry(h, "ms_faissp_dim");
    *(void **)&fp.describe = entry(h, "ms_faissp_describe");
    *(void **)&fp.probes = entry(h, "ms_faissp_default_probes");
    *(void **)&fp.release = entry(h, "ms_faissp_free");
}

static ms_status opened(const char *what)
{
    pthread_once(&once, open_faiss);
    return fp.error[0] ? ms_fail(MS_ERR_INTERNAL, "%s: %s", what, fp.error) : MS_OK;
}

int ms_faiss_available(void) { return 1; }

ms_status ms_faiss_new(const char *kind, int param, int dim, ms_faiss **out)
{
    *out = NULL;
    ms_status st = opened("FAISS index");
    return st ? st : fp.make(kind, param, dim, out);
}

ms_status ms_faiss_read(const char *path, ms_faiss **out)
{
    *out = NULL;
    ms_status st = opened(path);
    return st ? st : fp.read(path, out);
}

ms_status ms_faiss_train(ms_faiss *ix, int64_t n, const float *x) { return fp.train(ix, n, x); }
ms_status ms_faiss_add(ms_faiss *ix, int64_t n, const float *x) { return fp.add(ix, n, x); }
ms_status ms_faiss_search(const ms_faiss *ix, int64_t nq, const float *q, int k, int probes, float *sim,
                          int64_t *ids)
{
    return fp.search(ix, nq, q, k, probes, sim, ids);
}
ms_status ms_faiss_write(const ms_faiss *ix, const char *path) { return fp.write(ix, path); }
int64_t ms_faiss_count(const ms_faiss *ix) { return fp.count(ix); }
int ms_faiss_dim(const ms_faiss *ix) { return fp.dim(ix); }
void ms_faiss_describe(const ms_faiss *ix, char *buf, size_t n) { fp.describe(ix, buf, n); }
int ms_faiss_default_probes(const ms_faiss *ix) { return fp.probes(ix); }

void ms_faiss_free(ms_faiss *ix)
{
    if (ix && fp.release) fp.release(ix);
}
