/* Built without FAISS: every index request is refused, naming the cure. */
#include "faiss_shim.h"

static ms_status refuse(void)
{
    return ms_fail(MS_ERR_USAGE, "this medseg was built without FAISS; install libfaiss-dev and rebuild "
                                 "(cmake -DMEDSEG_FAISS=ON) to use rag-index");
}

int ms_faiss_available(void) { return 0; }
ms_status ms_faiss_new(const char *kind, int param, int dim, ms_faiss **out)
{
    (void)kind; (void)param; (void)dim;
    *out = NULL;
    return refuse();
}
ms_status ms_faiss_train(ms_faiss *ix, int64_t n, const float *x) { (void)ix; (void)n; (void)x; return refuse(); }
ms_status ms_faiss_add(ms_faiss *ix, int64_t n, const float *x) { (void)ix; (void)n; (void)x; return refuse(); }
ms_status ms_faiss_search(const ms_faiss *ix, int64_t nq, const float *q, int k, int probes, float *sim,
                          int64_t *ids)
{
    (void)ix; (void)nq; (void)q; (void)k; (void)probes; (void)sim; (void)ids;
    return refuse();
}
ms_status ms_faiss_write(const ms_faiss *ix, const char *path) { (void)ix; (void)path; return refuse(); }
ms_status ms_faiss_read(const char *path, ms_faiss **out)
{
    (void)path;
    *out = NULL;
    return refuse();
}
int64_t ms_faiss_count(const ms_faiss *ix) { (void)ix; return 0; }
int ms_faiss_dim(const ms_faiss *ix) { (void)ix; return 0; }
void ms_faiss_describe(const ms_faiss *ix, char *buf, size_t n)
{
    (void)ix;
    if (n) buf[0] = 0;
}
int ms_faiss_default_probes(const ms_faiss *ix) { (void)ix; return 0; }
void ms_faiss_free(ms_faiss *ix) { (void)ix; }
