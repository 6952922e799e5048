/* Scores and labels for binary classification, joined on their id column. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/csv.h"
#include "medseg/metrics.h"

typedef struct row {
    const char *id;
    double v;
    int line;
} row;

static int by_id(const void *a, const void *b) { return strcmp(((const row *)a)->id, ((const row *)b)->id); }

static ms_status read_pairs(const char *path, const char *value_col, ms_csv *c, row **out, int *n)
{
    ms_status rc = ms_csv_read(path, c);
    if (rc) return rc;
    int ci = ms_csv_column(c, "id"), cv = ms_csv_column(c, value_col);
    if (ci < 0 || cv < 0) return ms_fail(MS_ERR_INPUT, "%s:1: want columns id,%s", path, value_col);
    rc = ms_alloc_array((void **)out, (size_t)(c->n > 0 ? c->n : 1), sizeof **out, 0, path);
    *n = 0;
    for (int i = 1; i < c->n && !rc; i++) {
        const ms_csv_row *r = &c->row[i];
        if (r->n != c->row[0].n)
            return ms_fail(MS_ERR_INPUT, "%s:%d: %d fields, the header has %d", path, r->line, r->n, c->row[0].n);
        char *end;
        double v = strtod(r->field[cv], &end);
        if (end == r->field[cv] || *end || !isfinite(v))
            return ms_fail(MS_ERR_INPUT, "%s:%d: %s '%s' is not a finite number", path, r->line, value_col, r->field[cv]);
        if (strcmp(value_col, "label") == 0 && v != 0 && v != 1)
            return ms_fail(MS_ERR_INPUT, "%s:%d: label must be 0 or 1, not '%s'", path, r->line, r->field[cv]);
        (*out)[(*n)++] = (row){r->field[ci], v, r->line};
    }
    qsort(*out, (size_t)*n, sizeof **out, by_id);
    for (int i = 1; i < *n; i++)
        if (strcmp((*out)[i].id, (*out)[i - 1].id) == 0)
            return ms_fail(MS_ERR_INPUT, "%s:%d: id %s appears again (first at line %d)", path, (*out)[i].line,
                           (*out)[i].id, (*out)[i - 1].line);
    return rc;
}

/* Names up to five ids that one side lacks. */
static ms_status missing(const char *have, const char *lack, const row *a, int na, const row *b, int nb)
{
    char list[600] = "";
    int count = 0;
    for (int i = 0, j = 0; i < na; i++) {
        while (j < nb && strcmp(b[j].id, a[i].id) < 0) j++;
        if (j < nb && strcmp(b[j].id, a[i].id) == 0) continue;
        if (count++ < 5) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%.100s", len ? ", " : "", a[i].id);
        }
    }
    if (!count) return MS_OK;
    return ms_fail(MS_ERR_INPUT, "%d id%s in %s missing from %s: %s%s", count, count > 1 ? "s" : "", have, lack, list,
                   count > 5 ? ", ..." : "");
}

ms_status ms_binary_read(const char *scores_csv, const char *labels_csv, ms_binary_input *in)
{
    memset(in, 0, sizeof *in);
    ms_csv cs = {0}, cl = {0};
    row *s = NULL, *l = NULL;
    int ns = 0, nl = 0;
    ms_status rc = read_pairs(scores_csv, "score", &cs, &s, &ns);
    if (!rc) rc = read_pairs(labels_csv, "label", &cl, &l, &nl);
    if (!rc) rc = missing(labels_csv, scores_csv, l, nl, s, ns);
    if (!rc) rc = missing(scores_csv, labels_csv, s, ns, l, nl);
    if (!rc && ns == 0) rc = ms_fail(MS_ERR_INPUT, "%s: no rows", scores_csv);
    if (!rc) rc = ms_alloc_array((void **)&in->score, (size_t)ns, sizeof *in->score, 0, "scores");
    if (!rc) rc = ms_alloc_array((void **)&in->label, (size_t)ns, 1, 0, "labels");
    if (!rc) rc = ms_alloc_array((void **)&in->id, (size_t)ns, sizeof *in->id, 1, "ids");
    for (int i = 0; !rc && i < ns; i++) {
        in->score[i] = s[i].v;
        in->label[i] = (uint8_t)l[i].v;
        if (!(in->id[i] = strdup(s[i].id))) rc = ms_fail(MS_ERR_NOMEM, "ids: out of memory");
        in->n = i + 1;
    }
    free(s);
    free(l);
    ms_csv_free(&cs);
    ms_csv_free(&cl);
    if (rc) ms_binary_free(in);
    return rc;
}

void ms_binary_free(ms_binary_input *in)
{
    for (int64_t i = 0; in->id && i < in->n; i++) free(in->id[i]);
    free(in->id);
    free(in->score);
    free(in->label);
    memset(in, 0, sizeof *in);
}
