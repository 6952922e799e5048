#include "medseg/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t n, cap;
} strbuf;

static int sb_put(strbuf *s, char c)
{
    if (s->n + 1 >= s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        char *nb = realloc(s->buf, cap);
        if (!nb) return 0;
        s->buf = nb, s->cap = cap;
    }
    s->buf[s->n++] = c;
    s->buf[s->n] = '\0';
    return 1;
}

/* Arrays grow by doubling: a million rows cost a few reallocations, not a
 * million (quadratic under a sanitizer's allocator). */
static int grow(void **p, int *cap, int n, size_t size)
{
    if (n < *cap) return 1;
    if (*cap > (1 << 29)) return 0;
    int nc = *cap ? 2 * *cap : 16;
    void *np = realloc(*p, (size_t)nc * size);
    if (!np) return 0;
    *p = np;
    *cap = nc;
    return 1;
}

static int row_push(ms_csv_row *r, strbuf *f)
{
    if (!grow((void **)&r->field, &r->cap, r->n, sizeof *r->field)) return 0;
    r->field[r->n] = strdup(f->buf ? f->buf : "");
    if (!r->field[r->n]) return 0;
    r->n++;
    f->n = 0;
    if (f->buf) f->buf[0] = '\0';
    return 1;
}

static int csv_push(ms_csv *c, ms_csv_row *r)
{
    if (!grow((void **)&c->row, &c->cap, c->n, sizeof *c->row)) return 0;
    c->row[c->n++] = *r;
    memset(r, 0, sizeof *r);
    return 1;
}

static void row_free(ms_csv_row *r)
{
    for (int i = 0; i < r->n; i++) free(r->field[i]);
    free(r->field);
    memset(r, 0, sizeof *r);
}

/* A small state machine over characters: in or out of quotes. */
/* Spreadsheets often start UTF-8 CSVs with a byte-order mark; skip it so
 * the first header name still matches. */
static void skip_bom(FILE *fp)
{
    int a = fgetc(fp);
    if (a != 0xEF) {
        if (a != EOF) ungetc(a, fp);
        return;
    }
    int b = fgetc(fp), c = fgetc(fp);
    if (b == 0xBB && c == 0xBF) return;
    /* Not a mark after all (0xEF can open another character): start over. */
    fseek(fp, 0, SEEK_SET);
}

static ms_status parse(FILE *fp, const char *path, ms_csv *out)
{
    strbuf f = {0};
    ms_csv_row r = {0};
    int line = 1, quoted = 0, after_quote = 0, row_has_data = 0, ch, ok = 1;
    r.line = 1;
    skip_bom(fp);
    while (ok && (ch = fgetc(fp)) != EOF) {
        if (ch == '\0') {
            free(f.buf); row_free(&r);
            return ms_fail(MS_ERR_INPUT, "%s:%d: a NUL byte in the text (row %d)", path, line, out->n + 1);
        }
        if (quoted) {
            if (ch == '"') {
                int next = fgetc(fp);
                if (next == '"') ok = sb_put(&f, '"');
                else { quoted = 0; after_quote = 1; if (next != EOF) ungetc(next, fp); }
            } else {
                if (ch == '\n') line++;
                ok = sb_put(&f, (char)ch);
            }
            continue;
        }
        if (ch == '\r') continue;
        if (ch == '"' && f.n == 0 && !after_quote) { quoted = 1; row_has_data = 1; continue; }
        if (after_quote && ch != ',' && ch != '\n') {
            free(f.buf); row_free(&r);
            return ms_fail(MS_ERR_INPUT, "%s:%d: text after a closing quote", path, line);
        }
        if (ch == ',') { ok = row_push(&r, &f); after_quote = 0; row_has_data = 1; continue; }
        if (ch == '\n') {
            if (row_has_data || f.n) ok = row_push(&r, &f) && csv_push(out, &r);
            line++;
            r.line = line;
            row_has_data = after_quote = 0;
            continue;
        }
        row_has_data = 1;
        ok = sb_put(&f, (char)ch);
    }
    if (ok && quoted) {
        int start = r.line;
        free(f.buf); row_free(&r);
        return ms_fail(MS_ERR_INPUT, "%s:%d: unterminated quoted field", path, start);
    }
    if (ok && (row_has_data || f.n)) ok = row_push(&r, &f) && csv_push(out, &r);
    free(f.buf);
    row_free(&r);
    return ok ? MS_OK : ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
}

ms_status ms_csv_read(const char *path, ms_csv *out)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) return ms_fail(MS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    ms_status st = parse(fp, path, out);
    fclose(fp);
    if (st) ms_csv_free(out);
    return st;
}

void ms_csv_free(ms_csv *c)
{
    for (int i = 0; i < c->n; i++) row_free(&c->row[i]);
    free(c->row);
    memset(c, 0, sizeof *c);
}

int ms_csv_column(const ms_csv *c, const char *name)
{
    if (c->n == 0) return -1;
    for (int i = 0; i < c->row[0].n; i++)
        if (strcmp(c->row[0].field[i], name) == 0) return i;
    return -1;
}

void ms_csv_put(FILE *fp, const char *s, int last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', fp);
        for (; *s; s++) {
            if (*s == '"') fputc('"', fp);
            fputc(*s, fp);
        }
        fputc('"', fp);
    } else fputs(s, fp);
    fputc(last ? '\n' : ',', fp);
}
