/* Internal to lib/rag: the SQLite case store and the index directory. */
#ifndef MEDSEG_RAG_INTERNAL_H
#define MEDSEG_RAG_INTERNAL_H

#include <sqlite3.h>
#include "faiss_shim.h"
#include "medseg/rag.h"

/* cases.sqlite */
ms_status store_create(const char *path, sqlite3 **db);
ms_status store_open(const char *path, int writable, sqlite3 **db);
void store_close(sqlite3 *db);
ms_status store_begin(sqlite3 *db);
ms_status store_commit(sqlite3 *db);
/* Case `id` (= its FAISS id) with its embedding. */
ms_status store_put(sqlite3 *db, int64_t id, const ms_rag_case *c, const float *vec, int dim);
ms_status store_count(sqlite3 *db, int64_t *n);
ms_status store_get(sqlite3 *db, int64_t id, ms_rag_case *c);
/* Case id's embedding. */
ms_status store_vector(sqlite3 *db, int64_t id, int dim, float *vec);
/* Every embedding in id order, n x dim floats. */
ms_status store_vectors(sqlite3 *db, int dim, int64_t n, float *vec);
/* 1 when case_id is stored. */
int store_has(sqlite3 *db, const char *case_id);

/* The embedding of every case, in order (parallel over jobs threads). */
ms_status rag_embed_cases(ms_embedder *e, const ms_rag_cases *cs, int jobs, float *vec);
#endif

/* The index directory (indexdir.c). */
typedef struct rag_spec {
    char kind[8];            /* flat, ivf, hnsw */
    int param;
} rag_spec;
ms_status rag_spec_parse(const char *s, rag_spec *out);

typedef struct rag_meta {
    char embedder[160], version[40], index[32], shard[32];
    int dim;
    int64_t count;
    int64_t index_bytes;     /* index.faiss: size and the hash of its ends */
    char index_hash[24];
} rag_meta;

/* Writes index.faiss, cases.sqlite and meta.json into the folder dir for
 * n cases in order (ids 0..n-1) and their vectors. */
ms_status rag_write_dir(const char *dir, const rag_meta *m, const rag_spec *spec, const ms_rag_case *const *cases,
                        int64_t n, const float *vec);
ms_status rag_meta_read(const char *dir, rag_meta *m, char **text);
ms_status rag_meta_write(const char *dir, rag_meta *m, int probes);
/* Opens the three files and checks they agree with each other. */
ms_status rag_open_files(const char *dir, rag_meta *m, char **meta_text, ms_faiss **ix, sqlite3 **db);
/* dir/name into buf. */
const char *rag_path(char *buf, size_t n, const char *dir, const char *name);
