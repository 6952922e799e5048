/* medseg rag-index: build, add to, merge, describe and search an index of
 * reference cases (lib/rag). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "medseg/shard.h"
#include "medseg/log.h"
#include "medseg/threads.h"
#include "rag.h"

static const char *output, *cases_opt, *model_opt, *index_opt, *slice_opt, *shard_opt, *region_opt;
static int jobs_opt, top_k_opt = 5, probes_opt, json_flag;
static double min_sim_opt;

static const opt_spec rag_opts[] = {
    {"output", 'o', OPT_STR, "DIR", "build, merge: the index directory to write (replaced whole)", &output},
    {"cases", 0, OPT_STR, "CASES.csv", "build, add: case_id,image_path,report,labels,diagnosis[,slice]", &cases_opt},
    {"model", 0, OPT_STR, "M.pt", "an embedder model (card M.json beside it); default: the classical descriptor", &model_opt},
    {"index", 0, OPT_STR, "KIND", "build: flat (default), ivf:NLIST or hnsw:M", &index_opt},
    {"slice", 0, OPT_STR, "auto|K", "the axial slice of a NIfTI volume (default auto: the middle one)", &slice_opt},
    {"shard", 0, OPT_STR, "I/N|slurm", "build: embed only the cases whose case_id hashes to shard I of N (merge them later)", &shard_opt},
    {"jobs", 0, OPT_COUNT, "J", "build, add: images embedded at once (default: --threads)", &jobs_opt},
    {"region", 0, OPT_STR, "X1,Y1,X2,Y2", "search: embed only this pixel box of the image (X2, Y2 excluded)", &region_opt},
    {"top-k", 0, OPT_COUNT, "K", "search: cases returned (default 5)", &top_k_opt},
    {"min-similarity", 0, OPT_DOUBLE, "S", "search: drop cases less similar than S (0..1)", &min_sim_opt},
    {"probes", 0, OPT_COUNT, "P", "search: IVF lists visited / HNSW candidates (default in meta.json)", &probes_opt},
    {"json", 0, OPT_FLAG, NULL, "search: print JSON", &json_flag},
    {0},
};

const cmd_spec rag_index_spec = {
    "rag-index", "build -o DIR --cases CASES.csv | add DIR --cases MORE.csv | merge -o OUT IN... | info DIR | "
                 "search DIR IMAGE... [options]",
    "Build, grow, merge and search an image-embedding index of reference cases.", rag_opts, 1, -1};

/* "auto" or a slice index; -2 when malformed. */
static int parse_slice(const char *s)
{
    if (!s || !strcmp(s, "auto")) return -1;
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= 0 && v <= 1000000 ? (int)v : -2;
}

/* "I/N" or "slurm" (medseg(1), RUNNING MANY INPUTS); 0 when malformed. */
static int parse_shard(const char *s, int *i, int *n)
{
    ms_shard sh;
    if (ms_shard_parse(s, &sh)) return 0;
    *i = sh.index, *n = sh.count;
    return 1;
}

static int misplaced(const char *verb, int ok_output, int ok_cases, int ok_model, int ok_build, int ok_search)
{
    const char *bad = !ok_output && output          ? "-o"
                      : !ok_cases && cases_opt       ? "--cases"
                      : !ok_model && model_opt       ? "--model"
                      : !ok_build && (index_opt || shard_opt) ? "--index/--shard"
                      : !ok_cases && jobs_opt        ? "--jobs"
                      : !ok_search && (region_opt || probes_opt || json_flag || min_sim_opt) ? "--region/--probes/--json/--min-similarity"
                                                                                               : NULL;
    if (!bad) return 0;
    opt_usage_error(&rag_index_spec, "%s does not apply to rag-index %s", bad, verb);
    return 1;
}

static int build_or_add(const char *verb, const char *dir)
{
    int slice = parse_slice(slice_opt), si = 0, sn = 1;
    if (!cases_opt) return opt_usage_error(&rag_index_spec, "rag-index %s needs --cases CASES.csv", verb);
    if (slice == -2) return opt_usage_error(&rag_index_spec, "--slice takes auto or a slice index, not '%s'", slice_opt);
    if (shard_opt && !parse_shard(shard_opt, &si, &sn))
        return opt_usage_error(&rag_index_spec, "%s", ms_last_error());
    ms_rag_build_opts o = {model_opt, MS_DEVICE_CPU, index_opt, jobs_opt ? jobs_opt : ms_threads_get(), shard_opt};
    ms_status st = ms_device_resolve(g_common.device, &o.device);
    ms_rag_cases cs = {0};
    if (!st) st = ms_rag_cases_read(cases_opt, slice, &cs);
    if (!st && shard_opt) ms_rag_cases_shard(&cs, si, sn);
    double t0 = ms_now();
    if (!st) st = !strcmp(verb, "build") ? ms_rag_build(dir, &cs, &o) : ms_rag_add(dir, &cs, &o);
    double secs = ms_now() - t0;
    if (!st)
        ms_info("rag-index %s: %d cases embedded into %s in %.1f s (%.0f images/s)", verb, cs.n, dir, secs,
                cs.n / (secs > 1e-9 ? secs : 1e-9));
    ms_rag_cases_free(&cs);
    return report_status(st);
}

static int dispatch(char **args, int n)
{
    const char *verb = args[0];
    if (!strcmp(verb, "build")) {
        if (n != 1 || !output) return opt_usage_error(&rag_index_spec, "rag-index build takes -o DIR and no other argument");
        if (misplaced(verb, 1, 1, 1, 1, 0)) return 2;
        return build_or_add(verb, output);
    }
    if (!strcmp(verb, "add")) {
        if (n != 2) return opt_usage_error(&rag_index_spec, "rag-index add takes one index directory");
        if (misplaced(verb, 0, 1, 1, 0, 0)) return 2;
        return build_or_add(verb, args[1]);
    }
    if (!strcmp(verb, "merge")) {
        if (n < 2 || !output) return opt_usage_error(&rag_index_spec, "rag-index merge takes -o OUT and one or more inputs");
        if (misplaced(verb, 1, 0, 0, 0, 0) || slice_opt) return 2;
        return report_status(ms_rag_merge(output, (const char *const *)(args + 1), n - 1));
    }
    if (!strcmp(verb, "info")) {
        if (n != 2) return opt_usage_error(&rag_index_spec, "rag-index info takes one index directory");
        if (misplaced(verb, 0, 0, 0, 0, 0) || slice_opt) return 2;
        return report_status(rag_info(args[1]));
    }
    if (!strcmp(verb, "search")) {
        if (n < 3) return opt_usage_error(&rag_index_spec, "rag-index search takes an index directory and an image");
        if (misplaced(verb, 0, 0, 1, 0, 1)) return 2;
        int slice = parse_slice(slice_opt);
        if (slice == -2) return opt_usage_error(&rag_index_spec, "--slice takes auto or a slice index, not '%s'", slice_opt);
        if (top_k_opt < 1) return opt_usage_error(&rag_index_spec, "--top-k must be at least 1");
        if (!(min_sim_opt >= 0 && min_sim_opt <= 1)) return opt_usage_error(&rag_index_spec, "--min-similarity must be 0..1");
        rag_search_opts o = {model_opt, region_opt, slice, top_k_opt, probes_opt, json_flag, min_sim_opt};
        ms_device dev;
        ms_status st = ms_device_resolve(g_common.device, &dev);
        if (!st) st = rag_search_images(args[1], args + 2, n - 2, &o, dev);
        return report_status(st);
    }
    return opt_usage_error(&rag_index_spec, "rag-index takes build, add, merge, info or search, not '%s'", verb);
}

int cmd_rag_index(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&rag_index_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    if (!ms_rag_available())
        rc = report_status(ms_fail(MS_ERR_USAGE, "this medseg was built without FAISS; install libfaiss-dev and rebuild "
                                                 "(cmake -DMEDSEG_FAISS=ON) to use rag-index"));
    else
        rc = dispatch(args, n);
    free(args);
    return rc;
}
