/* The plugin libmedseg_faiss (faiss_shim.cc) hands faiss_loader.c one
 * table: the ms_faiss_* functions of faiss_shim.h, in this order. */
#ifndef MEDSEG_FAISS_PLUGIN_H
#define MEDSEG_FAISS_PLUGIN_H

#include <stddef.h>

#include "faiss_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_faiss_ops {
    ms_status (*make)(const char *kind, int param, int dim, ms_faiss **out);
    ms_status (*train)(ms_faiss *ix, int64_t n, const float *x);
    ms_status (*add)(ms_faiss *ix, int64_t n, const float *x);
    ms_status (*search)(const ms_faiss *ix, int64_t nq, const float *q, int k, int probes, float *sim, int64_t *ids);
    ms_status (*write)(const ms_faiss *ix, const char *path);
    ms_status (*read)(const char *path, ms_faiss **out);
    int64_t (*count)(const ms_faiss *ix);
    int (*dim)(const ms_faiss *ix);
    void (*describe)(const ms_faiss *ix, char *buf, size_t n);
    int (*probes)(const ms_faiss *ix);
    void (*release)(ms_faiss *ix);
} ms_faiss_ops;

const ms_faiss_ops *ms_faissp_ops(void);

#ifdef __cplusplus
}
#endif
#endif
