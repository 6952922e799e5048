/* validate seg over two folders: every reference label map (.nii, .nii.gz)
 * against the prediction of the same file name, one row per case and
 * label, then each label's mean over the cases. With --shard only the cases
 * whose name hashes to the shard are scored, and the shards' CSVs
 * concatenate (every row names its case). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "medseg/atomic_file.h"
#include "medseg/io.h"
#include "medseg/shard.h"
#include "validate.h"

int validate_is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

typedef struct seg_case {
    char *file;               /* the file name in both folders */
    ms_seg_metrics *m;
    int n;
} seg_case;

static int by_file(const void *a, const void *b)
{
    return strcmp(((const seg_case *)a)->file, ((const seg_case *)b)->file);
}

/* The name a case is sharded by: its file name without .nii[.gz]. */
static void stem_of(const char *file, char *out, size_t n)
{
    size_t len = strlen(file);
    if (ms_path_has_suffix(file, ".nii.gz")) len -= 7;
    else if (ms_path_has_suffix(file, ".nii")) len -= 4;
    snprintf(out, n, "%.*s", (int)len, file);
}

static ms_status list_cases(const char *dir, const ms_shard *s, seg_case **out, int *n)
{
    DIR *d = opendir(dir);
    if (!d) return ms_fail(MS_ERR_INPUT, "%s: cannot open the folder", dir);
    int cap = 0;
    *out = NULL, *n = 0;
    ms_status st = MS_OK;
    struct dirent *e;
    while (!st && (e = readdir(d))) {
        char stem[1024];
        if (e->d_name[0] == '.' || !(ms_path_has_suffix(e->d_name, ".nii") || ms_path_has_suffix(e->d_name, ".nii.gz")))
            continue;
        stem_of(e->d_name, stem, sizeof stem);
        if (!ms_shard_owns(s, stem)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            seg_case *v = realloc(*out, (size_t)cap * sizeof *v);
            if (!v) { st = ms_fail(MS_ERR_NOMEM, "out of memory listing %s", dir); break; }
            *out = v;
        }
        (*out)[*n] = (seg_case){strdup(e->d_name), NULL, 0};
        if (!(*out)[(*n)++].file) st = ms_fail(MS_ERR_NOMEM, "out of memory listing %s", dir);
    }
    closedir(d);
    if (!st && *n == 0) st = ms_fail(MS_ERR_INPUT, "%s holds no .nii or .nii.gz label maps%s", dir, s->count > 1 ? " in this shard" : "");
    if (!st) qsort(*out, (size_t)*n, sizeof **out, by_file);
    return st;
}

static ms_status score(const validate_opts *o, seg_case *c)
{
    char pred[4096], ref[4096];
    snprintf(pred, sizeof pred, "%s/%s", o->pred, c->file);
    snprintf(ref, sizeof ref, "%s/%s", o->ref, c->file);
    struct stat sb;
    if (stat(pred, &sb) != 0) return ms_fail(MS_ERR_INPUT, "%s: no prediction for reference %s", pred, ref);
    return validate_seg_pair(pred, ref, o->labels, &c->m, &c->n, NULL);
}

/* Each label's mean over the cases where a value is finite (an empty map
 * has no surface distance), as one metrics row. */
static void label_means(const seg_case *c, int nc, int64_t label, ms_seg_metrics *mean)
{
    double sum[8] = {0};
    int cnt[8] = {0};
    memset(mean, 0, sizeof *mean);
    mean->label = label;
    for (int i = 0; i < nc; i++)
        for (int k = 0; k < c[i].n; k++) {
            const ms_seg_metrics *m = &c[i].m[k];
            if (m->label != label) continue;
            double v[8] = {m->dice, m->jaccard, m->hd, m->hd95, m->assd, m->vol_ref_ml, m->vol_pred_ml, 0};
            for (int j = 0; j < 7; j++)
                if (isfinite(v[j])) sum[j] += v[j], cnt[j]++;
            mean->n_pred += m->n_pred, mean->n_ref += m->n_ref;
        }
    double *dst[7] = {&mean->dice, &mean->jaccard, &mean->hd, &mean->hd95, &mean->assd, &mean->vol_ref_ml, &mean->vol_pred_ml};
    for (int j = 0; j < 7; j++) *dst[j] = cnt[j] ? sum[j] / cnt[j] : NAN;
}

/* The labels of every case, in order of first appearance. */
static int all_labels(const seg_case *c, int nc, int64_t *out, int cap)
{
    int n = 0;
    for (int i = 0; i < nc; i++)
        for (int k = 0; k < c[i].n; k++) {
            int seen = 0;
            for (int j = 0; j < n; j++) seen |= out[j] == c[i].m[k].label;
            if (!seen && n < cap) out[n++] = c[i].m[k].label;
        }
    return n;
}

static ms_status write_rows(const validate_opts *o, const seg_case *c, int nc)
{
    ms_text_out t;
    int table = !o->csv;
    ms_status rc = ms_text_open(&t, o->csv ? o->csv : "-");
    if (rc) return rc;
    const char *sep = table ? " " : ",";
    if (table) fprintf(t.fp, "%-24s %5s %10s %10s %10s %10s %10s %10s %10s %10s %6s\n", "case", "label", "dice", "jaccard",
                       "hd_mm", "hd95_mm", "assd_mm", "ref_ml", "pred_ml", "diff_ml", "empty");
    else fprintf(t.fp, "case,label,dice,jaccard,hd_mm,hd95_mm,assd_mm,volume_ref_ml,volume_pred_ml,volume_diff_ml,empty\n");
    for (int i = 0; i < nc; i++)
        for (int k = 0; k < c[i].n; k++) {
            fprintf(t.fp, table ? "%-24s " : "%s,", c[i].file);
            validate_seg_row(t.fp, &c[i].m[k], sep, table ? 10 : 0);
        }
    int64_t labels[256];
    int nl = all_labels(c, nc, labels, 256);
    for (int j = 0; j < nl; j++) {
        ms_seg_metrics mean;
        label_means(c, nc, labels[j], &mean);
        fprintf(t.fp, table ? "%-24s " : "%s,", "mean");
        validate_seg_row(t.fp, &mean, sep, table ? 10 : 0);
    }
    return ms_text_close(&t, !ferror(t.fp));
}

ms_status validate_seg_dirs(const validate_opts *o)
{
    if (!validate_is_dir(o->pred) || !validate_is_dir(o->ref))
        return ms_fail(MS_ERR_USAGE, "validate seg: --pred and --ref must both be label maps or both folders");
    if (o->json) return ms_fail(MS_ERR_USAGE, "validate seg over folders writes a table or --csv, not --json");
    ms_shard s;
    seg_case *c = NULL;
    int nc = 0;
    ms_status rc = ms_shard_parse(o->shard, &s);
    if (!rc) rc = list_cases(o->ref, &s, &c, &nc);
    for (int i = 0; !rc && i < nc; i++) rc = score(o, &c[i]);
    if (!rc) rc = write_rows(o, c, nc);
    for (int i = 0; i < nc; i++) free(c[i].file), free(c[i].m);
    free(c);
    return rc;
}
