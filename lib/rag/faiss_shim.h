/* The C face of the FAISS shim (faiss_shim.cc). Debian's libfaiss ships
 * the C API's headers without its symbols, so medseg wraps the C++ API
 * itself. Every index measures inner product on L2-normalised vectors,
 * which is the cosine similarity. Without FAISS, faiss_none.c refuses. */
#ifndef MEDSEG_FAISS_SHIM_H
#define MEDSEG_FAISS_SHIM_H

#include <stdint.h>
#include "medseg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_faiss ms_faiss;

int ms_faiss_available(void);
/* kind "flat", "ivf" (param = lists) or "hnsw" (param = links per node). */
ms_status ms_faiss_new(const char *kind, int param, int dim, ms_faiss **out);
/* IVF learns its lists from x; the others need nothing. */
ms_status ms_faiss_train(ms_faiss *ix, int64_t n, const float *x);
ms_status ms_faiss_add(ms_faiss *ix, int64_t n, const float *x);
/* k best per query: sim[q*k+j] (inner product), ids[q*k+j] (-1 past the
 * end). probes: IVF lists visited / HNSW candidate list; 0 = default. */
ms_status ms_faiss_search(const ms_faiss *ix, int64_t nq, const float *q, int k, int probes, float *sim,
                          int64_t *ids);
ms_status ms_faiss_write(const ms_faiss *ix, const char *path);
ms_status ms_faiss_read(const char *path, ms_faiss **out);
int64_t ms_faiss_count(const ms_faiss *ix);
int ms_faiss_dim(const ms_faiss *ix);
/* "flat", "ivf:NLIST" or "hnsw:M" of an index read from a file. */
void ms_faiss_describe(const ms_faiss *ix, char *buf, size_t n);
/* The probes used when the caller passes 0. */
int ms_faiss_default_probes(const ms_faiss *ix);
void ms_faiss_free(ms_faiss *ix);

#ifdef __cplusplus
}
#endif
#endif
