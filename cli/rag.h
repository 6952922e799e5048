/* rag-index: the search verb's printing, shared with cmd_rag_index.c. */
#ifndef MEDSEG_CLI_RAG_H
#define MEDSEG_CLI_RAG_H

#include "medseg/rag.h"

typedef struct rag_search_opts {
    const char *model, *region;
    int slice, top_k, probes, json;
    double min_similarity;
} rag_search_opts;

/* Searches dir for each image; JSON on stdout (one object, or a list for
 * several images) or a table. */
ms_status rag_search_images(const char *dir, char **images, int n, const rag_search_opts *o, ms_device dev);
ms_status rag_info(const char *dir);

#endif
