/* CASES.csv: one reference case per row. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/shard.h"
#include "medseg/csv.h"
#include "medseg/rag.h"

static char *dup(const char *s)
{
    return strdup(s ? s : "");
}

void ms_rag_case_free(ms_rag_case *c)
{
    free(c->case_id), free(c->image_path), free(c->report), free(c->diagnosis), free(c->image_file);
    for (int i = 0; i < c->n_labels; i++) free(c->labels[i].name);
    free(c->labels);
    memset(c, 0, sizeof *c);
}

void ms_rag_cases_free(ms_rag_cases *cs)
{
    for (int i = 0; i < cs->n; i++) ms_rag_case_free(&cs->c[i]);
    free(cs->c);
    free(cs->source);
    memset(cs, 0, sizeof *cs);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

/* One "name" or "name=V" item into l; 0 when malformed. */
static int parse_item(char *item, ms_rag_label *l)
{
    char *eq = strchr(item, '='), *name = trim(item);
    int v = 1;
    if (eq) {
        *eq = 0;
        name = trim(item);
        char *val = trim(eq + 1);
        if (!strcmp(val, "1")) v = 1;
        else if (!strcmp(val, "0")) v = 0;
        else if (!strcmp(val, "-1")) v = -1;
        else return 0;
    }
    if (!*name || strlen(name) > 200) return 0;
    l->name = strdup(name);
    l->value = v;
    return l->name != NULL;
}

static void free_labels(ms_rag_label *l, int n)
{
    for (int i = 0; i < n; i++) free(l[i].name);
    free(l);
}

/* Index of a label of l[0..k) named like l[k], or -1. */
static int repeated(const ms_rag_label *l, int k)
{
    for (int i = 0; i < k; i++)
        if (!strcmp(l[i].name, l[k].name)) return i;
    return -1;
}

ms_status ms_rag_label_parse(const char *s, ms_rag_label **out, int *n)
{
    *out = NULL;
    *n = 0;
    char *copy = dup(s), *save = NULL;
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ';';
    ms_rag_label *l = calloc(cap, sizeof *l);
    ms_status rc = copy && l ? MS_OK : ms_fail(MS_ERR_NOMEM, "labels: out of memory");
    int k = 0;
    for (char *item = rc ? NULL : strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        if (!*trim(item)) continue;
        if (!parse_item(item, &l[k])) {
            rc = ms_fail(MS_ERR_INPUT, "labels \"%s\": each item is NAME, NAME=1, NAME=0 or NAME=-1", s);
            break;
        }
        k++;
        if (repeated(l, k - 1) >= 0) {
            rc = ms_fail(MS_ERR_INPUT, "labels \"%s\": label %s given twice", s, l[k - 1].name);
            break;
        }
    }
    free(copy);
    if (rc) {
        free_labels(l, k);
        return rc;
    }
    *out = l;
    *n = k;
    return MS_OK;
}

/* image_path against the CSV's folder unless absolute. */
static char *resolve(const char *csv, const char *image)
{
    const char *slash = strrchr(csv, '/');
    if (image[0] == '/' || !slash) return strdup(image);
    size_t n = (size_t)(slash - csv) + 1 + strlen(image) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%.*s/%s", (int)(slash - csv), csv, image);
    return p;
}

static ms_status parse_slice(const char *path, int line, const char *s, int fallback, int *out)
{
    if (!s || !*s) {
        *out = fallback;
        return MS_OK;
    }
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > 1000000)
        return ms_fail(MS_ERR_INPUT, "%s line %d: slice \"%s\" is not a slice index", path, line, s);
    *out = (int)v;
    return MS_OK;
}

static ms_status parse_row(const char *path, const ms_csv_row *r, const int col[6], int slice, ms_rag_case *c)
{
    for (int k = 0; k < 5; k++)
        if (col[k] >= r->n)
            return ms_fail(MS_ERR_INPUT, "%s line %d: %d fields, the header names %d", path, r->line, r->n,
                           col[k] + 1);
    const char *id = r->field[col[0]], *img = r->field[col[1]];
    if (!*id) return ms_fail(MS_ERR_INPUT, "%s line %d: empty case_id", path, r->line);
    if (!*img) return ms_fail(MS_ERR_INPUT, "%s line %d: case %s has no image_path", path, r->line, id);
    c->line = r->line;
    c->case_id = dup(id), c->image_path = dup(img), c->report = dup(r->field[col[2]]);
    c->diagnosis = dup(r->field[col[4]]), c->image_file = resolve(path, img);
    if (!c->case_id || !c->image_path || !c->report || !c->diagnosis || !c->image_file)
        return ms_fail(MS_ERR_NOMEM, "cases: out of memory");
    ms_status rc = parse_slice(path, r->line, col[5] >= 0 && col[5] < r->n ? r->field[col[5]] : NULL, slice, &c->slice);
    if (!rc) rc = ms_rag_label_parse(r->field[col[3]], &c->labels, &c->n_labels);
    if (rc == MS_ERR_INPUT) return ms_fail(rc, "%s line %d: %s", path, r->line, ms_last_error());
    return rc;
}

static int by_id(const void *a, const void *b)
{
    return strcmp((*(const ms_rag_case *const *)a)->case_id, (*(const ms_rag_case *const *)b)->case_id);
}

static ms_status check_unique(const ms_rag_cases *cs)
{
    const ms_rag_case **s = malloc((size_t)(cs->n ? cs->n : 1) * sizeof *s);
    if (!s) return ms_fail(MS_ERR_NOMEM, "cases: out of memory");
    for (int i = 0; i < cs->n; i++) s[i] = &cs->c[i];
    qsort(s, (size_t)cs->n, sizeof *s, by_id);
    ms_status rc = MS_OK;
    for (int i = 1; i < cs->n && !rc; i++)
        if (!strcmp(s[i]->case_id, s[i - 1]->case_id))
            rc = ms_fail(MS_ERR_INPUT, "%s: case_id %s on lines %d and %d", cs->source, s[i]->case_id,
                         s[i - 1]->line < s[i]->line ? s[i - 1]->line : s[i]->line,
                         s[i - 1]->line < s[i]->line ? s[i]->line : s[i - 1]->line);
    free(s);
    return rc;
}

ms_status ms_rag_cases_read(const char *path, int slice, ms_rag_cases *out)
{
    memset(out, 0, sizeof *out);
    ms_csv csv;
    ms_status rc = ms_csv_read(path, &csv);
    if (rc) return rc;
    static const char *names[6] = {"case_id", "image_path", "report", "labels", "diagnosis", "slice"};
    int col[6];
    for (int k = 0; k < 6; k++) {
        col[k] = ms_csv_column(&csv, names[k]);
        if (col[k] < 0 && k < 5)
            rc = rc ? rc : ms_fail(MS_ERR_INPUT, "%s: no %s column (header: case_id,image_path,report,labels,diagnosis"
                                   "[,slice])", path, names[k]);
    }
    if (!rc && csv.n < 2) rc = ms_fail(MS_ERR_INPUT, "%s: no cases after the header", path);
    if (!rc && !(out->source = strdup(path))) rc = ms_fail(MS_ERR_NOMEM, "cases: out of memory");
    if (!rc && !(out->c = calloc((size_t)csv.n, sizeof *out->c))) rc = ms_fail(MS_ERR_NOMEM, "cases: out of memory");
    for (int i = 1; !rc && i < csv.n; i++) {
        out->c[out->n].row = out->n;
        rc = parse_row(path, &csv.row[i], col, slice, &out->c[out->n]);
        out->n++;
    }
    ms_csv_free(&csv);
    if (!rc) rc = check_unique(out);
    if (rc) ms_rag_cases_free(out);
    return rc;
}

void ms_rag_cases_shard(ms_rag_cases *cs, int i, int n)
{
    ms_shard s = {i, n};
    int kept = 0;
    for (int k = 0; k < cs->n; k++) {
        if (ms_shard_owns(&s, cs->c[k].case_id)) cs->c[kept++] = cs->c[k];
        else ms_rag_case_free(&cs->c[k]);
    }
    cs->n = kept;
}
