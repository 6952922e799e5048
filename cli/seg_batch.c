/* Prompts CSV rows through the batch driver: the row's id is its input
 * name (for shards, outputs and failed.tsv). */
#include "seg_batch.h"

#include <stdlib.h>
#include <string.h>

#include "medseg/log.h"

typedef struct row_ctx {
    const seg_batch *b;
    seg_row_fn fn;
} row_ctx;

static void id_name(const char *id, const char *dir, char *out, size_t n)
{
    batch_volume_name(id, dir, ".nii.gz", out, n);
}

static int run_row(void *ctx, const char *id, const char *output)
{
    const row_ctx *r = ctx;
    const seg_batch *b = r->b;
    for (int i = 1; i < b->csv.n; i++) {
        const ms_csv_row *row = &b->csv.row[i];
        if (strcmp(row->field[b->c_id], id) != 0) continue;
        char *end;
        long k = strtol(row->field[b->c_slice], &end, 10);
        if (*row->field[b->c_slice] == '\0' || *end || k < 0 || k > 1 << 30)
            return ms_fail(MS_ERR_INPUT, "prompts line %d: slice '%s' is not a slice index", row->line,
                           row->field[b->c_slice]);
        return r->fn(row->field[b->c_image], (int)k, row->field[b->c_box], output);
    }
    return ms_fail(MS_ERR_INTERNAL, "prompt %s vanished", id);
}

/* Columns, ids (unique, no '/'), each row complete. */
static ms_status check(const char *path, seg_batch *b)
{
    ms_csv *c = &b->csv;
    b->c_id = ms_csv_column(c, "id"), b->c_image = ms_csv_column(c, "image");
    b->c_slice = ms_csv_column(c, "slice"), b->c_box = ms_csv_column(c, "box");
    if (b->c_id < 0 || b->c_image < 0 || b->c_slice < 0 || b->c_box < 0)
        return ms_fail(MS_ERR_INPUT, "%s: the prompts CSV needs the columns id,image,slice,box", path);
    int need = b->c_id;
    int cols[3] = {b->c_image, b->c_slice, b->c_box};
    for (int k = 0; k < 3; k++) need = cols[k] > need ? cols[k] : need;
    for (int i = 1; i < c->n; i++) {
        const ms_csv_row *r = &c->row[i];
        if (r->n <= need) return ms_fail(MS_ERR_INPUT, "%s line %d: %d fields, the header names %d", path, r->line, r->n, need + 1);
        const char *id = r->field[b->c_id];
        if (!*id || strchr(id, '/') || id[0] == '.')
            return ms_fail(MS_ERR_INPUT, "%s line %d: id '%s' cannot name a file", path, r->line, id);
    }
    if (c->n < 2) return ms_fail(MS_ERR_INPUT, "%s holds no prompts", path);
    return MS_OK;
}

static int run_csv(const cmd_spec *cmd, const batch_opts *opts, const char *csv_path, seg_row_fn fn)
{
    seg_batch b;
    memset(&b, 0, sizeof b);
    ms_status st = opts->out_dir ? ms_csv_read(csv_path, &b.csv)
                                 : ms_fail(MS_ERR_USAGE, "--prompts-csv needs --out-dir DIR");
    if (!st) st = check(csv_path, &b);
    char **ids = NULL;
    if (!st && !(ids = malloc((size_t)b.csv.n * sizeof *ids))) st = ms_fail(MS_ERR_NOMEM, "out of memory");
    int rc;
    if (st) {
        rc = report_status(st);
    } else {
        for (int i = 1; i < b.csv.n; i++) ids[i - 1] = b.csv.row[i].field[b.c_id];
        row_ctx ctx = {&b, fn};
        rc = batch_run(cmd, opts, ids, b.csv.n - 1, id_name, run_row, &ctx);
    }
    free(ids);
    ms_csv_free(&b.csv);
    return rc;
}

int seg_batch_dispatch(const cmd_spec *cmd, const batch_opts *b, const char *csv_path, int nargs, seg_row_fn fn)
{
    if (!csv_path && !batch_requested(b))
        return nargs == 1 ? -1 : opt_usage_error(cmd, "needs one IMAGE (or --prompts-csv with --out-dir)");
    if (nargs || !csv_path) return opt_usage_error(cmd, "many prompts come from --prompts-csv with --out-dir, not IMAGE");
    return run_csv(cmd, b, csv_path, fn);
}
