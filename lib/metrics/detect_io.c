/* LUNA16 CSVs in: candidates, annotations, excluded findings, scan list. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/csv.h"
#include "medseg/metrics.h"

typedef struct scan_index {
    char **id;            /* in order of appearance */
    int *sorted;          /* indices into id, by id */
    int n, cap, fixed;    /* fixed: from a scan list, no additions */
} scan_index;

static int find_scan(const scan_index *s, const char *id, int *pos)
{
    int lo = 0, hi = s->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2, c = strcmp(s->id[s->sorted[mid]], id);
        if (c == 0) { *pos = mid; return s->sorted[mid]; }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *pos = lo;
    return -1;
}

static int add_scan(scan_index *s, const char *id)
{
    int pos, k = find_scan(s, id, &pos);
    if (k >= 0) return k;
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        char **i2 = realloc(s->id, (size_t)cap * sizeof *i2);
        if (i2) s->id = i2;
        int *s2 = realloc(s->sorted, (size_t)cap * sizeof *s2);
        if (s2) s->sorted = s2;
        if (!i2 || !s2) return -2;
        s->cap = cap;
    }
    if (!(s->id[s->n] = strdup(id))) return -2;
    memmove(s->sorted + pos + 1, s->sorted + pos, (size_t)(s->n - pos) * sizeof *s->sorted);
    s->sorted[pos] = s->n;
    return s->n++;
}

static char *trim(char *t)
{
    while (*t == ' ' || *t == '\t') t++;
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r')) t[--n] = '\0';
    return t;
}

/* One seriesuid per line (the first comma-separated field); a first line
 * "seriesuid" is a header. */
static ms_status read_scan_list(const char *path, scan_index *s)
{
    ms_csv c;
    ms_status rc = ms_csv_read(path, &c);
    if (rc) return rc;
    for (int i = 0; i < c.n && !rc; i++) {
        char *id = trim(c.row[i].field[0]);
        if (i == 0 && strcmp(id, "seriesuid") == 0) continue;
        if (!*id) continue;
        int pos;
        if (find_scan(s, id, &pos) >= 0)
            rc = ms_fail(MS_ERR_INPUT, "%s:%d: seriesuid %s is listed twice", path, c.row[i].line, id);
        else if (add_scan(s, id) < 0)
            rc = ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    ms_csv_free(&c);
    if (!rc && s->n == 0) rc = ms_fail(MS_ERR_INPUT, "%s: lists no scans", path);
    s->fixed = 1;
    return rc;
}

static int parse_number(const char *t, double *v)
{
    char *end;
    *v = strtod(t, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r') end++;
    return end != t && *end == '\0' && isfinite(*v);
}

/* Columns: seriesuid, coordX, coordY, coordZ, then `last`. */
static ms_status read_findings(const char *path, const char *last, scan_index *s, int add, ms_finding **out,
                               int64_t *n)
{
    static const char *names[4] = {"seriesuid", "coordX", "coordY", "coordZ"};
    ms_csv c;
    ms_status rc = ms_csv_read(path, &c);
    if (rc) return rc;
    int col[5];
    for (int k = 0; k < 5 && !rc; k++)
        if ((col[k] = ms_csv_column(&c, k < 4 ? names[k] : last)) < 0)
            rc = ms_fail(MS_ERR_INPUT, "%s:1: no column %s (want seriesuid,coordX,coordY,coordZ,%s)", path,
                         k < 4 ? names[k] : last, last);
    *n = 0;
    if (!rc) rc = ms_alloc_array((void **)out, (size_t)(c.n > 0 ? c.n : 1), sizeof **out, 1, path);
    for (int i = 1; i < c.n && !rc; i++) {
        const ms_csv_row *r = &c.row[i];
        if (r->n != c.row[0].n) {
            rc = ms_fail(MS_ERR_INPUT, "%s:%d: %d fields, the header has %d", path, r->line, r->n, c.row[0].n);
            break;
        }
        ms_finding *f = &(*out)[*n];
        double v[4];
        for (int k = 1; k < 5 && !rc; k++)
            if (!parse_number(r->field[col[k]], &v[k - 1]))
                rc = ms_fail(MS_ERR_INPUT, "%s:%d: %s '%s' is not a finite number", path, r->line,
                             k < 4 ? names[k] : last, r->field[col[k]]);
        if (rc) break;
        const char *id = trim(r->field[col[0]]);
        int pos, scan = find_scan(s, id, &pos);
        if (scan < 0 && s->fixed) {
            if (!add) continue;   /* excluded findings on scans not evaluated */
            rc = ms_fail(MS_ERR_INPUT, "%s:%d: seriesuid %s is not in the scan list", path, r->line, id);
            break;
        }
        if (scan < 0 && !add) continue;
        if (scan < 0 && (scan = add_scan(s, id)) < 0) {
            rc = ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        *f = (ms_finding){scan, {v[0], v[1], v[2]}, v[3], r->line};
        (*n)++;
    }
    ms_csv_free(&c);
    return rc;
}

ms_status ms_detect_read(const char *cand_csv, const char *ref_csv, const char *excl_csv, const char *scan_list,
                         ms_detect_input *in)
{
    memset(in, 0, sizeof *in);
    scan_index s = {0};
    ms_status rc = scan_list ? read_scan_list(scan_list, &s) : MS_OK;
    if (!rc) rc = read_findings(ref_csv, "diameter_mm", &s, 1, &in->nod, &in->nnod);
    if (!rc) rc = read_findings(cand_csv, "probability", &s, 1, &in->cand, &in->ncand);
    s.fixed = 1;   /* excluded findings never add scans */
    if (!rc && excl_csv) rc = read_findings(excl_csv, "diameter_mm", &s, 0, &in->excl, &in->nexcl);
    for (int64_t i = 0; !rc && i < in->nnod; i++)
        if (!(in->nod[i].value > 0))
            rc = ms_fail(MS_ERR_INPUT, "%s:%d: diameter_mm must be positive", ref_csv, in->nod[i].line);
    if (!rc && s.n == 0) rc = ms_fail(MS_ERR_INPUT, "%s and %s name no scans", ref_csv, cand_csv);
    in->scans = s.id;
    in->nscans = s.n;
    free(s.sorted);
    if (rc) ms_detect_free(in);
    return rc;
}

void ms_detect_free(ms_detect_input *in)
{
    for (int i = 0; i < in->nscans; i++) free(in->scans[i]);
    free(in->scans);
    free(in->cand);
    free(in->nod);
    free(in->excl);
    memset(in, 0, sizeof *in);
}
