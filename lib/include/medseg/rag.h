/* Visual retrieval of reference cases: images embedded as unit vectors,
 * searched with FAISS (inner product = cosine), the cases with their
 * reports, diagnoses and labels kept in SQLite. An index is a directory:
 * index.faiss, cases.sqlite, meta.json, replaced whole on every change. */
#ifndef MEDSEG_RAG_H
#define MEDSEG_RAG_H

#include <stdint.h>
#include "device.h"
#include "image2d.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when this build has FAISS (rag-index needs it). */
int ms_rag_available(void);

/* The classical descriptor (lib/rag/descriptor.c says what it holds). */
#define MS_DESCRIPTOR_NAME "medseg-classic"
#define MS_DESCRIPTOR_VERSION "1"
int ms_descriptor_dim(void);
/* A grey image of w x h pixels -> ms_descriptor_dim() values, unit length. */
ms_status ms_descriptor(const float *px, int64_t w, int64_t h, float *out);
/* The same for views of the image: the frame zoomed by `zoom` about the
 * image's centre and moved by dx, dy pixels (a query whose framing is
 * unknown is described under several views and the best match kept). */
typedef struct ms_view {
    double zoom, dx, dy;
} ms_view;
ms_status ms_descriptor_views(const float *px, int64_t w, int64_t h, int nviews, const ms_view *views, float *out);

/* An embedder: the classical descriptor, or a TorchScript model with an
 * `embedder` card. Its identity (name, version = the model file's hash,
 * dim) is written into the index and checked on every search. */
typedef struct ms_embedder ms_embedder;
ms_status ms_embedder_open(const char *model, ms_device dev, ms_embedder **out);
void ms_embedder_close(ms_embedder *e);
int ms_embedder_dim(const ms_embedder *e);
const char *ms_embedder_name(const ms_embedder *e);
const char *ms_embedder_version(const ms_embedder *e);
/* One image (or its region x0,y0,x1,y1 in pixels, x1/y1 excluded; NULL =
 * whole) -> a unit vector of ms_embedder_dim() values. Thread-safe. */
ms_status ms_embed(ms_embedder *e, const ms_image2d *im, const int64_t *region, float *vec);
/* The same under views (the classical descriptor only; a model embeds
 * the image once): nviews vectors. */
int ms_embedder_has_views(const ms_embedder *e);
ms_status ms_embed_views(ms_embedder *e, const ms_image2d *im, const int64_t *region, int nviews, const ms_view *views,
                         float *vec);

/* A case of CASES.csv. Labels "a;b=0;c=-1": 1 positive (a bare name),
 * 0 negative, -1 uncertain. */
typedef struct ms_rag_label {
    char *name;
    int value;
} ms_rag_label;

typedef struct ms_rag_case {
    char *case_id, *image_path, *report, *diagnosis;
    char *image_file;        /* image_path resolved against the CSV's folder */
    int slice;               /* NIfTI slice, -1 the middle one */
    int line;                /* line of the CSV the row starts on */
    int64_t row;             /* data row, 0-based: the order of the index */
    int n_labels;
    ms_rag_label *labels;
} ms_rag_case;

typedef struct ms_rag_cases {
    ms_rag_case *c;
    int n;
    char *source;            /* the CSV's path, for messages */
} ms_rag_cases;

/* Reads CASES.csv (header case_id,image_path,report,labels,diagnosis and
 * an optional slice column; `slice` is used where the row has none). */
ms_status ms_rag_cases_read(const char *path, int slice, ms_rag_cases *out);
/* Keeps shard i of n: the cases whose case_id hashes to i (medseg/shard.h). */
void ms_rag_cases_shard(ms_rag_cases *cs, int i, int n);
void ms_rag_cases_free(ms_rag_cases *cs);
ms_status ms_rag_label_parse(const char *s, ms_rag_label **out, int *n);

typedef struct ms_rag_build_opts {
    const char *model;       /* NULL: the classical descriptor */
    ms_device device;
    const char *index;       /* "flat", "ivf:NLIST", "hnsw:M" */
    int jobs;                /* images embedded at once */
    const char *shard;       /* "I/N" recorded in meta.json, or NULL */
} ms_rag_build_opts;

ms_status ms_rag_build(const char *dir, const ms_rag_cases *cs, const ms_rag_build_opts *o);
ms_status ms_rag_add(const char *dir, const ms_rag_cases *cs, const ms_rag_build_opts *o);
ms_status ms_rag_merge(const char *out, const char *const *in, int n);

typedef struct ms_rag ms_rag;
/* Opens an index for searching, checking that its three files agree;
 * `model` must name the model it was built with (NULL for classic). */
ms_status ms_rag_open(const char *dir, const char *model, ms_device dev, ms_rag **out);
void ms_rag_close(ms_rag *r);
/* Checks an index's three files agree and returns meta.json's text
 * (free it), without opening an embedder. */
ms_status ms_rag_describe(const char *dir, char **meta);
/* meta.json as text. */
const char *ms_rag_meta(const ms_rag *r);
int64_t ms_rag_size(const ms_rag *r);

typedef struct ms_rag_hit {
    int64_t id;
    double similarity;       /* cosine clipped to 0..1 */
    ms_rag_case c;           /* case_id, image_path, report, diagnosis, labels, slice, row */
} ms_rag_hit;

typedef struct ms_rag_vote {
    char *label;
    double confidence;       /* sum of sim * (1, 0.5, 0) over the hits / sum of sim */
    int supporting;          /* hits holding the label positive */
} ms_rag_vote;

typedef struct ms_rag_result {
    ms_rag_hit *hit;
    int n;
    ms_rag_vote *vote;
    int n_votes;
    double search_ms;        /* embedding + FAISS + case look-up */
} ms_rag_result;

/* The k nearest cases with similarity >= min_sim; probes 0 = default. */
ms_status ms_rag_search(ms_rag *r, const ms_image2d *im, const int64_t *region, int k, double min_sim, int probes,
                        ms_rag_result *out);
void ms_rag_result_free(ms_rag_result *res);
void ms_rag_case_free(ms_rag_case *c);

#ifdef __cplusplus
}
#endif
#endif
