/* The entry points of the plugin libmedseg_faiss (faiss_shim.cc): the
 * ms_faiss_* functions of faiss_shim.h under their plugin names, which
 * faiss_loader.c looks up. */
#ifndef MEDSEG_FAISS_PLUGIN_H
#define MEDSEG_FAISS_PLUGIN_H

#include "faiss_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

ms_status ms_faissp_new(const char *kind, int param, int dim, ms_faiss **out);
ms_status ms_faissp_train(ms_faiss *ix, int64_t n, const float *x);
ms_status ms_faissp_add(ms_faiss *ix, int64_t n, const float *x);
ms_status ms_faissp_search(const ms_faiss *ix, int64_t nq, const float *q, int k, int probes, float *sim,
                           int64_t *ids);
ms_status ms_faissp_write(const ms_faiss *ix, const char *path);
ms_status ms_faissp_read(const char *path, ms_faiss **out);
int64_t ms_faissp_count(const ms_faiss *ix);
int ms_faissp_dim(const ms_faiss *ix);
void ms_faissp_describe(const ms_faiss *ix, char *buf, size_t n);
int ms_faissp_default_probes(const ms_faiss *ix);
void ms_faissp_free(ms_faiss *ix);

#ifdef __cplusplus
}
#endif
#endif
