/* cases.sqlite: the reference cases, their reports, diagnoses, labels and
 * embeddings, keyed by the case's FAISS id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rag_internal.h"

static const char *schema =
    "CREATE TABLE cases(id INTEGER PRIMARY KEY, case_id TEXT NOT NULL UNIQUE, image_path TEXT NOT NULL,"
    " slice INTEGER NOT NULL, source_row INTEGER NOT NULL);"
    "CREATE TABLE reports(case_id INTEGER PRIMARY KEY REFERENCES cases(id), report TEXT NOT NULL);"
    "CREATE TABLE diagnoses(case_id INTEGER PRIMARY KEY REFERENCES cases(id), diagnosis TEXT NOT NULL);"
    "CREATE TABLE labels(case_id INTEGER NOT NULL REFERENCES cases(id), label TEXT NOT NULL,"
    " value INTEGER NOT NULL CHECK(value IN (-1, 0, 1)), PRIMARY KEY(case_id, label));"
    "CREATE TABLE embeddings(case_id INTEGER PRIMARY KEY REFERENCES cases(id), dim INTEGER NOT NULL,"
    " vector BLOB NOT NULL);";

static ms_status db_fail(sqlite3 *db, const char *what)
{
    return ms_fail(MS_ERR_INPUT, "cases.sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : "cannot open");
}

static ms_status exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK) return MS_OK;
    ms_status rc = ms_fail(MS_ERR_INPUT, "cases.sqlite: %s", err ? err : "failed");
    sqlite3_free(err);
    return rc;
}

ms_status store_open(const char *path, int writable, sqlite3 **db)
{
    *db = NULL;
    int flags = writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
        ms_status rc = ms_fail(MS_ERR_INPUT, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "cannot open");
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    /* The index directory is replaced whole, so a journal buys nothing. */
    return writable ? exec(*db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;") : MS_OK;
}

ms_status store_create(const char *path, sqlite3 **db)
{
    ms_status rc = store_open(path, 1, db);
    if (!rc) rc = exec(*db, schema);
    return rc;
}

void store_close(sqlite3 *db) { sqlite3_close(db); }
ms_status store_begin(sqlite3 *db) { return exec(db, "BEGIN"); }
ms_status store_commit(sqlite3 *db) { return exec(db, "COMMIT"); }

static ms_status run(sqlite3 *db, const char *sql, const char *fmt, int64_t id, const void *a, const void *b,
                     int64_t n)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return db_fail(db, "prepare");
    sqlite3_bind_int64(st, 1, id);
    for (int k = 0; fmt[k]; k++) {
        const void *v = k == 0 ? a : b;
        if (fmt[k] == 't') sqlite3_bind_text(st, k + 2, (const char *)v, -1, SQLITE_STATIC);
        else if (fmt[k] == 'i') sqlite3_bind_int64(st, k + 2, *(const int64_t *)v);
        else sqlite3_bind_blob64(st, k + 2, v, (sqlite3_uint64)n, SQLITE_STATIC);
    }
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? MS_OK : db_fail(db, "insert");
}

ms_status store_put(sqlite3 *db, int64_t id, const ms_rag_case *c, const float *vec, int dim)
{
    sqlite3_stmt *st = NULL;
    const char *sql = "INSERT INTO cases(id, case_id, image_path, slice, source_row) VALUES(?,?,?,?,?)";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return db_fail(db, "prepare");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, c->case_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->image_path, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, c->slice);
    sqlite3_bind_int64(st, 5, c->row);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r == SQLITE_CONSTRAINT) return ms_fail(MS_ERR_INPUT, "case_id %s is already in the index", c->case_id);
    if (r != SQLITE_DONE) return db_fail(db, "insert");
    int64_t d = dim;
    ms_status rc = run(db, "INSERT INTO reports VALUES(?,?)", "t", id, c->report, NULL, 0);
    if (!rc) rc = run(db, "INSERT INTO diagnoses VALUES(?,?)", "t", id, c->diagnosis, NULL, 0);
    if (!rc) rc = run(db, "INSERT INTO embeddings VALUES(?,?,?)", "ib", id, &d, vec, (int64_t)dim * 4);
    for (int k = 0; !rc && k < c->n_labels; k++) {
        int64_t v = c->labels[k].value;
        rc = run(db, "INSERT INTO labels VALUES(?,?,?)", "ti", id, c->labels[k].name, &v, 0);
    }
    return rc;
}

ms_status store_count(sqlite3 *db, int64_t *n)
{
    sqlite3_stmt *st = NULL;
    *n = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(max(id), -1) FROM cases", -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "not a medseg case store");
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 1) == sqlite3_column_int64(st, 0) - 1)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return *n >= 0 ? MS_OK : ms_fail(MS_ERR_INPUT, "cases.sqlite: case ids are not 0..n-1");
}

int store_has(sqlite3 *db, const char *case_id)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM cases WHERE case_id = ?", -1, &st, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_text(st, 1, case_id, -1, SQLITE_STATIC);
    int has = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return has;
}

static char *col_text(sqlite3_stmt *st, int k)
{
    const unsigned char *t = sqlite3_column_text(st, k);
    return strdup(t ? (const char *)t : "");
}

static ms_status get_labels(sqlite3 *db, int64_t id, ms_rag_case *c)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT label, value FROM labels WHERE case_id = ? ORDER BY label", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(db, "labels");
    sqlite3_bind_int64(st, 1, id);
    ms_status rc = MS_OK;
    int cap = 0;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        if (c->n_labels == cap) {
            cap = cap ? 2 * cap : 8;
            ms_rag_label *l = realloc(c->labels, (size_t)cap * sizeof *l);
            if (!l) rc = ms_fail(MS_ERR_NOMEM, "labels: out of memory");
            else c->labels = l;
        }
        if (!rc) {
            c->labels[c->n_labels].name = col_text(st, 0);
            c->labels[c->n_labels++].value = sqlite3_column_int(st, 1);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

ms_status store_get(sqlite3 *db, int64_t id, ms_rag_case *c)
{
    memset(c, 0, sizeof *c);
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT c.case_id, c.image_path, c.slice, c.source_row, r.report, d.diagnosis FROM cases c "
                      "LEFT JOIN reports r ON r.case_id = c.id LEFT JOIN diagnoses d ON d.case_id = c.id WHERE c.id = ?";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return db_fail(db, "not a medseg case store");
    sqlite3_bind_int64(st, 1, id);
    ms_status rc = MS_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        c->case_id = col_text(st, 0), c->image_path = col_text(st, 1);
        c->slice = sqlite3_column_int(st, 2), c->row = sqlite3_column_int64(st, 3);
        c->report = col_text(st, 4), c->diagnosis = col_text(st, 5);
    } else {
        rc = ms_fail(MS_ERR_INPUT, "cases.sqlite: no case %lld, which the index holds", (long long)id);
    }
    sqlite3_finalize(st);
    if (!rc) rc = get_labels(db, id, c);
    return rc;
}

ms_status store_vectors(sqlite3 *db, int dim, int64_t n, float *vec)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT case_id, vector FROM embeddings ORDER BY case_id", -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "embeddings");
    int64_t k = 0;
    ms_status rc = MS_OK;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        if (k >= n || sqlite3_column_int64(st, 0) != k || sqlite3_column_bytes(st, 1) != dim * 4)
            rc = ms_fail(MS_ERR_INPUT, "cases.sqlite: embedding %lld is missing or not %d values", (long long)k, dim);
        else
            memcpy(vec + (size_t)k * (size_t)dim, sqlite3_column_blob(st, 1), (size_t)dim * 4);
        k++;
    }
    sqlite3_finalize(st);
    if (!rc && k != n) rc = ms_fail(MS_ERR_INPUT, "cases.sqlite: %lld embeddings for %lld cases", (long long)k, (long long)n);
    return rc;
}

ms_status store_vector(sqlite3 *db, int64_t id, int dim, float *vec)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT vector FROM embeddings WHERE case_id = ?", -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "embeddings");
    sqlite3_bind_int64(st, 1, id);
    ms_status rc = MS_OK;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == dim * 4)
        memcpy(vec, sqlite3_column_blob(st, 0), (size_t)dim * 4);
    else
        rc = ms_fail(MS_ERR_INPUT, "cases.sqlite: embedding %lld is missing or not %d values", (long long)id, dim);
    sqlite3_finalize(st);
    return rc;
}
