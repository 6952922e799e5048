/* medseg prepare-npz: label maps -> VecSetX-style npz training samples. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "medseg/shard.h"
#include "medseg/memory.h"
#include "medseg/atomic_file.h"
#include "medseg/dataset.h"
#include "medseg/log.h"

static const char *out_dir, *class_map_opt, *sigma_opt, *norm_opt = "sphere", *shard_opt, *csv_dir, *partial_opt,
                  *subsets_opt, *category = "heart", *mesh_dir;
static int n_classes = 10, n_surface = 100000, n_vol = 100000, n_near = 100000, seed, jobs = 1, copies, skip_existing,
           json_flag;
static double val_fraction = 0.1;

static const opt_spec prepare_opts[] = {
    {"output", 'o', OPT_STR, "OUTDIR", "write OUTDIR/<case>.npz (created if missing)", &out_dir},
    {"classes", 0, OPT_COUNT, "C", "number of classes; one-hot width (default 10)", &n_classes},
    {"class-map", 0, OPT_STR, "V:C,...", "raw label value V is class C (e.g. 205:1,420:2); other values are background", &class_map_opt},
    {"surface", 0, OPT_COUNT, "N", "surface samples (default 100000)", &n_surface},
    {"vol", 0, OPT_COUNT, "N", "uniform volume samples in [-1,1]^3 (default 100000)", &n_vol},
    {"near", 0, OPT_COUNT, "N", "near-surface samples (default 100000)", &n_near},
    {"near-sigma", 0, OPT_STR, "S1,S2", "Gaussian offsets of near samples, half each (default 0.005,0.05)", &sigma_opt},
    {"normalize", 0, OPT_STR, "sphere|box", "sphere: farthest surface point at radius 1 (default); box: into [-1,1]^3", &norm_opt},
    {"seed", 0, OPT_INT, "S", "random seed (default 0); same seed, same bytes", &seed},
    {"jobs", 0, OPT_COUNT, "J", "cases prepared at once (default 1); threads are shared among them", &jobs},
    {"shard", 0, OPT_STR, "I/N|slurm", "only the cases whose name hashes to shard I of N (slurm: the array task)", &shard_opt},
    {"csv", 0, OPT_STR, "DIR", "write DIR/train.csv and DIR/val.csv (rows: subdir,stem,category)", &csv_dir},
    {"val-fraction", 0, OPT_DOUBLE, "F", "fraction of cases in val.csv (default 0.1)", &val_fraction},
    {"category", 0, OPT_STR, "NAME", "third CSV column (default heart)", &category},
    {"partial", 0, OPT_STR, "drop:A-B", "partial variants: each drops A..B of the present classes", &partial_opt},
    {"copies", 0, OPT_COUNT, "K", "drop variants per case (default 1 with --partial)", &copies},
    {"subsets", 0, OPT_STR, "1,2,3:4,5", "one partial variant per colon-separated subset of kept classes", &subsets_opt},
    {"meshes", 0, OPT_STR, "DIR", "also write each case's class and union meshes as PLY (LPS mm)", &mesh_dir},
    {"skip-existing", 0, OPT_FLAG, NULL, "skip cases whose outputs all exist (resuming a job array)", &skip_existing},
    {"json", 0, OPT_FLAG, NULL, "print a JSON summary of every case on stdout", &json_flag},
    {0},
};

const cmd_spec prepare_npz_spec = {"prepare-npz", "-o OUTDIR [options] INPUT...",
                                   "Label maps to npz point clouds, SDF samples and normals for shape completion.",
                                   prepare_opts, 1, 1 << 20};

static uint8_t subsets[64][MS_SHAPE_MAX_CLASSES];
static ms_class_map class_map;

static int parse_partial(ms_dataset_opts *o)
{
    if (!partial_opt) return copies ? ms_fail(MS_ERR_USAGE, "--copies needs --partial") : MS_OK;
    int a, b, end = 0;
    if (sscanf(partial_opt, "drop:%d-%d%n", &a, &b, &end) != 2 || partial_opt[end] || a < 1 || b < a)
        return ms_fail(MS_ERR_USAGE, "--partial must be drop:A-B with 1 <= A <= B");
    if (b >= n_classes) return ms_fail(MS_ERR_USAGE, "--partial: cannot drop %d of %d classes", b, n_classes);
    if (copies < 0 || copies > 1000) return ms_fail(MS_ERR_USAGE, "--copies must be 1..1000");
    o->drop_lo = a;
    o->drop_hi = b;
    o->copies = copies ? copies : 1;
    return MS_OK;
}

static int parse_shard(ms_dataset_opts *o)
{
    ms_shard s;
    ms_status st = ms_shard_parse(shard_opt, &s);
    o->shard_i = s.index, o->shard_n = s.count;
    return st;
}

static int parse_counts(ms_shape_opts *s)
{
    if (n_classes < 1 || n_classes > MS_SHAPE_MAX_CLASSES) return ms_fail(MS_ERR_USAGE, "--classes must be 1..255");
    if (n_surface < 1 || n_vol < 1 || n_near < 1) return ms_fail(MS_ERR_USAGE, "--surface, --vol and --near must be positive");
    s->n_classes = n_classes;
    s->n_surface = n_surface;
    s->n_vol = n_vol;
    s->n_near = n_near;
    s->near_sigma[0] = 0.005;
    s->near_sigma[1] = 0.05;
    s->seed = (uint64_t)(int64_t)seed;
    if (sigma_opt) {
        int end = 0;
        if (sscanf(sigma_opt, "%lf,%lf%n", &s->near_sigma[0], &s->near_sigma[1], &end) != 2 || sigma_opt[end] ||
            !(s->near_sigma[0] > 0) || !(s->near_sigma[1] > 0) || s->near_sigma[0] > 10 || s->near_sigma[1] > 10)
            return ms_fail(MS_ERR_USAGE, "--near-sigma must be two positive numbers S1,S2");
    }
    if (!strcmp(norm_opt, "sphere")) s->normalize = MS_NORM_SPHERE;
    else if (!strcmp(norm_opt, "box")) s->normalize = MS_NORM_BOX;
    else return ms_fail(MS_ERR_USAGE, "--normalize must be sphere or box");
    if (class_map_opt) {
        ms_status st = ms_class_map_parse(class_map_opt, n_classes, &class_map);
        if (st) return st;
        s->map = &class_map;
    }
    return MS_OK;
}

/* Folders this run created, so a run in which every case fails can take
 * them away again (only while empty) rather than leave an empty tree. */
#define MAX_MADE 64
static char *made[MAX_MADE];
static int n_made;

static int make_one(const char *path)
{
    if (mkdir(path, 0777) == 0) {
        if (n_made < MAX_MADE) made[n_made++] = strdup(path);
        return 0;
    }
    return errno == EEXIST ? 0 : -1;
}

static void unmake_dirs(int remove)
{
    for (int i = n_made - 1; i >= 0; i--) {
        if (remove && made[i]) rmdir(made[i]);
        free(made[i]);
    }
    n_made = 0;
}

/* mkdir -p: Makefiles and job arrays name output trees that may not exist. */
static int make_dir(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) return ms_fail(MS_ERR_USAGE, "%s: path too long", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (make_one(path) != 0) return ms_fail(MS_ERR_IO, "%s: cannot create (%s)", path, strerror(errno));
        *p = '/';
    }
    if (make_one(dir) != 0) return ms_fail(MS_ERR_IO, "%s: cannot create (%s)", dir, strerror(errno));
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) return ms_fail(MS_ERR_IO, "%s: not a directory", dir);
    return MS_OK;
}

static int build_opts(ms_dataset_opts *o)
{
    memset(o, 0, sizeof *o);
    ms_status st = parse_counts(&o->shape);
    if (!st) st = ms_device_resolve(g_common.device, &o->shape.device);
    if (!st) st = parse_partial(o);
    if (!st) st = parse_shard(o);
    if (!st && subsets_opt) st = ms_subsets_parse(subsets_opt, n_classes, subsets, 64, &o->n_subsets);
    if (!st && (!(val_fraction >= 0) || val_fraction >= 1)) st = ms_fail(MS_ERR_USAGE, "--val-fraction must be in [0, 1)");
    if (!st && jobs < 1) st = ms_fail(MS_ERR_USAGE, "--jobs must be 1 or more");
    if (st) return st;
    o->subsets = (const uint8_t(*)[MS_SHAPE_MAX_CLASSES])subsets;
    o->out_dir = out_dir;
    o->csv_dir = csv_dir;
    o->val_fraction = val_fraction;
    o->category = category;
    o->jobs = jobs;
    o->skip_existing = skip_existing;
    o->shape.mesh_dir = mesh_dir;
    if (!st) st = make_dir(out_dir);
    if (!st && csv_dir) st = make_dir(csv_dir);
    if (!st && mesh_dir) st = make_dir(mesh_dir);
    return st;
}

static void on_case(const ms_case *c, void *ctx)
{
    (void)ctx;
    if (c->skipped) ms_info("%s: outputs exist, skipped", c->stem);
    else if (c->done)
        ms_info("%s: written (%s; mesh %.2f s, sample %.2f s, sdf %.2f s, write %.2f s)", c->stem, c->val ? "val" : "train",
                c->seconds[0], c->seconds[1], c->seconds[2], c->seconds[3]);
    else ms_log(MS_LOG_ERROR, "%s: failed: %s", c->stem, c->error);
}

static void print_json(const ms_dataset *d)
{
    cJSON *o = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(o, "cases");
    for (int i = 0; i < d->n; i++) {
        const ms_case *c = &d->cases[i];
        if (!c->mine) continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "input", c->path);
        cJSON_AddStringToObject(e, "stem", c->stem);
        cJSON_AddStringToObject(e, "split", c->val ? "val" : "train");
        cJSON_AddStringToObject(e, "status", c->skipped ? "skipped" : c->done ? "ok" : "failed");
        if (c->error) cJSON_AddStringToObject(e, "error", c->error);
        cJSON_AddNumberToObject(e, "variants", c->n_variants_written);
        cJSON *t = cJSON_AddObjectToObject(e, "seconds");
        const char *names[4] = {"mesh", "sample", "sdf", "write"};
        for (int k = 0; k < 4; k++) cJSON_AddNumberToObject(t, names[k], c->seconds[k]);
        cJSON_AddItemToArray(list, e);
    }
    char *txt = cJSON_Print(o);
    puts(txt);
    free(txt);
    cJSON_Delete(o);
}

static int nothing_written(const ms_dataset *d)
{
    for (int i = 0; i < d->n; i++)
        if (d->cases[i].mine && (d->cases[i].done || d->cases[i].skipped)) return 0;
    return 1;
}

/* One summary line; failures listed; exit 3 when only bad inputs failed. */
static int summarise(const ms_dataset *d)
{
    int mine = 0, ok = 0, skipped = 0, failed = 0, worst = MS_OK;
    for (int i = 0; i < d->n; i++) {
        const ms_case *c = &d->cases[i];
        if (!c->mine) continue;
        mine++;
        ok += c->done;
        skipped += c->skipped;
        if (!c->done && !c->skipped) {
            failed++;
            if (c->status != MS_ERR_INPUT) worst = c->status;
        }
    }
    ms_info("prepare-npz: %d cases: %d written, %d skipped, %d failed", mine, ok, skipped, failed);
    if (!failed) return 0;
    if (!worst) worst = MS_ERR_INPUT;
    fprintf(stderr, "medseg prepare-npz: %d of %d cases failed:\n", failed, mine);
    for (int i = 0; i < d->n; i++)
        if (d->cases[i].mine && !d->cases[i].done && !d->cases[i].skipped)
            fprintf(stderr, "  %s: %s\n", d->cases[i].path, d->cases[i].error ? d->cases[i].error : "?");
    return ms_status_exit_code((ms_status)worst);
}

int cmd_prepare_npz(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&prepare_npz_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    if (!out_dir) {
        free(args);
        return opt_usage_error(&prepare_npz_spec, "-o OUTDIR is required");
    }
    /* A batch: cases finished before a later failure stay. */
    ms_outputs_keep_on_error(1);
    ms_memory_set_input_cost(32 * (double)(jobs > 0 ? jobs : 1), 0);   /* classes, meshes, SDF grids */
    ms_dataset_opts o;
    ms_dataset d = {0};
    ms_status st = build_opts(&o);
    if (!st) st = ms_dataset_list((const char *const *)args, n, &d);
    free(args);
    o.on_case = on_case;
    if (!st) st = ms_dataset_prepare(&d, &o);
    if (st) {
        ms_dataset_free(&d);
        unmake_dirs(1);
        return report_status(st);
    }
    if (json_flag) print_json(&d);
    rc = summarise(&d);
    unmake_dirs(rc != 0 && nothing_written(&d));
    ms_dataset_free(&d);
    return rc;
}
