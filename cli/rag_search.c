/* rag-index search and info: printing the answers. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/log.h"
#include "rag.h"

static cJSON *case_json(const ms_rag_hit *h, int rank)
{
    cJSON *c = cJSON_CreateObject(), *l = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "rank", rank);
    cJSON_AddStringToObject(c, "case_id", h->c.case_id);
    cJSON_AddNumberToObject(c, "similarity", h->similarity);
    cJSON_AddStringToObject(c, "report", h->c.report);
    cJSON_AddStringToObject(c, "diagnosis", h->c.diagnosis);
    for (int k = 0; k < h->c.n_labels; k++) cJSON_AddNumberToObject(l, h->c.labels[k].name, h->c.labels[k].value);
    cJSON_AddItemToObject(c, "labels", l);
    cJSON_AddStringToObject(c, "image_path", h->c.image_path);
    cJSON_AddNumberToObject(c, "slice", h->c.slice);
    return c;
}

static cJSON *answer_json(const char *image, const int64_t *region, const ms_rag_result *r, int64_t size)
{
    cJSON *a = cJSON_CreateObject(), *cases = cJSON_CreateArray(), *votes = cJSON_CreateArray();
    cJSON_AddStringToObject(a, "query", image);
    if (region) {
        double reg[4] = {(double)region[0], (double)region[1], (double)region[2], (double)region[3]};
        cJSON_AddItemToObject(a, "region", cJSON_CreateDoubleArray(reg, 4));
    }
    for (int i = 0; i < r->n; i++) cJSON_AddItemToArray(cases, case_json(&r->hit[i], i + 1));
    cJSON_AddItemToObject(a, "cases", cases);
    for (int i = 0; i < r->n_votes; i++) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "label", r->vote[i].label);
        cJSON_AddNumberToObject(v, "confidence", r->vote[i].confidence);
        cJSON_AddNumberToObject(v, "supporting_cases", r->vote[i].supporting);
        cJSON_AddItemToArray(votes, v);
    }
    cJSON_AddItemToObject(a, "aggregated_labels", votes);
    cJSON_AddNumberToObject(a, "search_ms", r->search_ms);
    cJSON_AddNumberToObject(a, "index_size", (double)size);
    return a;
}

static void print_table(const char *image, const ms_rag_result *r)
{
    printf("%s\n", image);
    for (int i = 0; i < r->n; i++)
        printf("  %2d  %.4f  %-24s %s\n", i + 1, r->hit[i].similarity, r->hit[i].c.case_id, r->hit[i].c.diagnosis);
    for (int i = 0; i < r->n_votes; i++)
        printf("  label %-20s %.3f (%d cases)\n", r->vote[i].label, r->vote[i].confidence, r->vote[i].supporting);
}

/* "X1,Y1,X2,Y2" in pixels; 0 when malformed. */
static int parse_region(const char *s, int64_t r[4])
{
    long long v[4];
    char extra;
    if (sscanf(s, "%lld,%lld,%lld,%lld%c", &v[0], &v[1], &v[2], &v[3], &extra) != 4) return 0;
    for (int i = 0; i < 4; i++) r[i] = v[i];
    return 1;
}

static ms_status search_one(ms_rag *idx, const char *image, const int64_t *region, const rag_search_opts *o,
                            cJSON *list)
{
    ms_image2d im = {0};
    ms_rag_result r;
    ms_status st = ms_image2d_read(image, o->slice, &im);
    if (!st) st = ms_rag_search(idx, &im, region, o->top_k, o->min_similarity, o->probes, &r);
    if (st == MS_ERR_INPUT) st = ms_fail(st, "%s: %s", image, ms_last_error());
    ms_image2d_free(&im);
    if (st) return st;
    if (o->json) cJSON_AddItemToArray(list, answer_json(image, region, &r, ms_rag_size(idx)));
    else print_table(image, &r);
    ms_rag_result_free(&r);
    return MS_OK;
}

ms_status rag_search_images(const char *dir, char **images, int n, const rag_search_opts *o, ms_device dev)
{
    int64_t region[4];
    if (o->region && !parse_region(o->region, region))
        return ms_fail(MS_ERR_USAGE, "--region takes X1,Y1,X2,Y2 in pixels, not '%s'", o->region);
    ms_rag *idx = NULL;
    ms_status st = ms_rag_open(dir, o->model, dev, &idx);
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; !st && i < n; i++) st = search_one(idx, images[i], o->region ? region : NULL, o, list);
    if (!st && o->json) {
        char *txt = cJSON_Print(n == 1 ? cJSON_GetArrayItem(list, 0) : list);
        if (txt) puts(txt);
        free(txt);
    }
    cJSON_Delete(list);
    ms_rag_close(idx);
    return st;
}

ms_status rag_info(const char *dir)
{
    char *meta = NULL;
    ms_status st = ms_rag_describe(dir, &meta);
    if (!st) fputs(meta, stdout);
    free(meta);
    return st;
}
