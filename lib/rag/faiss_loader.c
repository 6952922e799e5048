/* The ms_faiss_* functions through the plugin libmedseg_faiss
 * (faiss_shim.cc), opened when the first index is made or read. Every
 * other entry takes an index, so the plugin is open by then. */
#include <pthread.h>
#include <stddef.h>

#include "../core/plugin.h"
#include "faiss_plugin.h"

static const ms_faiss_ops *fp;
static char error[4700];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void open_faiss(void)
{
    void *h = ms_plugin_open("medseg_faiss", error, sizeof error);
    const ms_faiss_ops *(*get)(void) = NULL;
    /* a function pointer from dlsym's void *, as POSIX allows */
    if (h) *(void **)&get = ms_plugin_symbol(h, "medseg_faiss", "ms_faissp_ops", error, sizeof error);
    if (get) fp = get();
}

static ms_status opened(const char *what)
{
    pthread_once(&once, open_faiss);
    return error[0] ? ms_fail(MS_ERR_INTERNAL, "%s: %s", what, error) : MS_OK;
}

int ms_faiss_available(void) { return 1; }

ms_status ms_faiss_new(const char *kind, int param, int dim, ms_faiss **out)
{
    *out = NULL;
    ms_status st = opened("FAISS index");
    return st ? st : fp->make(kind, param, dim, out);
}

ms_status ms_faiss_read(const char *path, ms_faiss **out)
{
    *out = NULL;
    ms_status st = opened(path);
    return st ? st : fp->read(path, out);
}

ms_status ms_faiss_train(ms_faiss *ix, int64_t n, const float *x) { return fp->train(ix, n, x); }
ms_status ms_faiss_add(ms_faiss *ix, int64_t n, const float *x) { return fp->add(ix, n, x); }
ms_status ms_faiss_search(const ms_faiss *ix, int64_t nq, const float *q, int k, int probes, float *sim,
                          int64_t *ids)
{
    return fp->search(ix, nq, q, k, probes, sim, ids);
}
ms_status ms_faiss_write(const ms_faiss *ix, const char *path) { return fp->write(ix, path); }
int64_t ms_faiss_count(const ms_faiss *ix) { return fp->count(ix); }
int ms_faiss_dim(const ms_faiss *ix) { return fp->dim(ix); }
void ms_faiss_describe(const ms_faiss *ix, char *buf, size_t n) { fp->describe(ix, buf, n); }
int ms_faiss_default_probes(const ms_faiss *ix) { return fp->probes(ix); }

void ms_faiss_free(ms_faiss *ix)
{
    if (ix && fp) fp->release(ix);
}
