/* medseg phantom chest|heart|lesion: deterministic synthetic data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "medseg/atomic_file.h"
#include "medseg/csv.h"
#include "medseg/dicom.h"
#include "medseg/io.h"
#include "medseg/log.h"
#include "medseg/phantom.h"

static const char *out_opt, *truth_opt, *mask_opt, *dicom_opt, *size_opt, *spacing_opt;
static int seed_opt = 1, nodules_opt = 6, classes_opt = 10;

static const opt_spec phantom_opts[] = {
    {"output", 'o', OPT_STR, "FILE", "the image (chest, lesion) or label map (heart), .nii or .nii.gz", &out_opt},
    {"seed", 0, OPT_INT, "S", "random seed (default 1); the same seed gives the same bytes", &seed_opt},
    {"size", 0, OPT_STR, "NX,NY,NZ", "grid size (chest 256,256,128; heart 128,128,128; lesion 128,128,48)", &size_opt},
    {"spacing", 0, OPT_STR, "SX,SY,SZ", "voxel size in mm (chest 1.4,1.4,2.5; heart 1,1,1; lesion 0.8,0.8,2)", &spacing_opt},
    {"nodules", 0, OPT_COUNT, "N", "chest: number of nodules (default 6)", &nodules_opt},
    {"truth", 0, OPT_STR, "FILE.csv", "chest: nodule ground truth, LUNA16 columns plus type (LPS mm)", &truth_opt},
    {"mask", 0, OPT_STR, "FILE", "chest: nodule label map (nodule i = label i); lesion: the lesion mask", &mask_opt},
    {"dicom", 0, OPT_STR, "DIR", "chest: also write the CT as a DICOM series into DIR", &dicom_opt},
    {"classes", 0, OPT_COUNT, "C", "heart: keep classes 1..C (default 10)", &classes_opt},
    {0},
};

const cmd_spec phantom_spec = {"phantom", "chest|heart|lesion -o FILE [options]",
                               "Make a deterministic synthetic chest CT with nodules, heart label map or lesion CT.",
                               phantom_opts, 1, 1};

typedef struct {
    const char *kind;
    int64_t size[3];
    double spacing[3];
} defaults;

static const defaults kinds[] = {
    {"chest", {256, 256, 128}, {1.4, 1.4, 2.5}},
    {"heart", {128, 128, 128}, {1.0, 1.0, 1.0}},
    {"lesion", {128, 128, 48}, {0.8, 0.8, 2.0}},
};

static ms_status grid_from_options(const defaults *d, ms_phantom_grid *g)
{
    memcpy(g->size, d->size, sizeof g->size);
    memcpy(g->spacing, d->spacing, sizeof g->spacing);
    g->seed = (uint64_t)(int64_t)seed_opt;
    if (size_opt && !parse_triple_int(size_opt, g->size))
        return ms_fail(MS_ERR_USAGE, "--size expects three positive integers NX,NY,NZ, not '%s'", size_opt);
    if (spacing_opt && (!parse_triple_double(spacing_opt, g->spacing) || !(g->spacing[0] > 0 && g->spacing[1] > 0 && g->spacing[2] > 0)))
        return ms_fail(MS_ERR_USAGE, "--spacing expects three positive numbers SX,SY,SZ, not '%s'", spacing_opt);
    return MS_OK;
}

static void series_uid(const ms_phantom_grid *g, const char *what, char uid[68])
{
    char text[256];
    snprintf(text, sizeof text, "medseg-phantom-chest/%llu/%lldx%lldx%lld/%g,%g,%g/%s", (unsigned long long)g->seed,
             (long long)g->size[0], (long long)g->size[1], (long long)g->size[2], g->spacing[0], g->spacing[1],
             g->spacing[2], what);
    ms_dicom_uid_from_text(text, uid);
}

static ms_status write_truth(const char *path, const char *uid, const ms_nodule_truth *t, int n)
{
    ms_text_out o;
    ms_status st = ms_text_open(&o, path);
    if (st) return st;
    fprintf(o.fp, "seriesuid,coordX,coordY,coordZ,diameter_mm,type,juxtapleural\n");
    for (int i = 0; i < n; i++)
        fprintf(o.fp, "%s,%.4f,%.4f,%.4f,%.4f,%s,%d\n", uid, t[i].center_lps[0], t[i].center_lps[1], t[i].center_lps[2],
                t[i].diameter_mm, ms_nodule_type_name(t[i].type), t[i].juxtapleural);
    return ms_text_close(&o, 1);
}

static ms_status write_dicom(const char *dir, const ms_volume *ct, const ms_phantom_grid *g, const char *uid)
{
    char study[68], root[160];
    series_uid(g, "study", study);
    snprintf(root, sizeof root, "%s/instances", uid);
    ms_dicom_write_opts o = {study, uid, root, "PHANTOM^CHEST", "MEDSEG-PHANTOM", "medseg synthetic chest CT", 1};
    return ms_dicom_write_ct(dir, ct, &o);
}

static ms_status chest(const ms_phantom_grid *g)
{
    if (nodules_opt < 0 || nodules_opt > 200) return ms_fail(MS_ERR_USAGE, "--nodules must be 0..200");
    ms_nodule_truth *t = calloc((size_t)nodules_opt + 1, sizeof *t);
    if (!t) return ms_fail(MS_ERR_NOMEM, "out of memory");
    ms_volume ct, labels;
    int placed = 0;
    char uid[68];
    series_uid(g, "series", uid);
    ms_status st = ms_phantom_chest(g, nodules_opt, &ct, &labels, t, &placed);
    if (st) { free(t); return st; }
    if (placed < nodules_opt) ms_warn("only %d of %d nodules fit in the lungs of this grid", placed, nodules_opt);
    st = ms_nifti_write(out_opt, &ct, NULL);
    if (!st && mask_opt) st = ms_nifti_write(mask_opt, &labels, NULL);
    if (!st && truth_opt) st = write_truth(truth_opt, uid, t, placed);
    if (!st && dicom_opt) st = write_dicom(dicom_opt, &ct, g, uid);
    if (!st) ms_info("chest phantom %s: %lldx%lldx%lld, %d nodules, series %s", out_opt, (long long)ct.dim[0],
                     (long long)ct.dim[1], (long long)ct.dim[2], placed, uid);
    ms_volume_free(&ct);
    ms_volume_free(&labels);
    free(t);
    return st;
}

static ms_status heart(const ms_phantom_grid *g)
{
    ms_volume lab;
    ms_status st = ms_phantom_heart(g, classes_opt, &lab);
    if (st) return st;
    st = ms_nifti_write(out_opt, &lab, NULL);
    if (!st) ms_info("heart phantom %s: %d classes", out_opt, classes_opt);
    ms_volume_free(&lab);
    return st;
}

static ms_status lesion(const ms_phantom_grid *g)
{
    if (!mask_opt) return ms_fail(MS_ERR_USAGE, "phantom lesion needs --mask FILE");
    ms_volume ct, mask;
    ms_status st = ms_phantom_lesion(g, &ct, &mask);
    if (st) return st;
    st = ms_nifti_write(out_opt, &ct, NULL);
    if (!st) st = ms_nifti_write(mask_opt, &mask, NULL);
    ms_volume_free(&ct);
    ms_volume_free(&mask);
    return st;
}

/* Options that belong to one kind only are refused for the others. */
static ms_status check_kind_options(const char *kind)
{
    int is_chest = !strcmp(kind, "chest"), is_heart = !strcmp(kind, "heart");
    if (!is_chest && (truth_opt || dicom_opt)) return ms_fail(MS_ERR_USAGE, "--truth and --dicom are for 'phantom chest'");
    if (is_heart && mask_opt) return ms_fail(MS_ERR_USAGE, "--mask is for 'phantom chest' and 'phantom lesion'");
    if (!is_heart && classes_opt != 10) return ms_fail(MS_ERR_USAGE, "--classes is for 'phantom heart'");
    if (!is_chest && nodules_opt != 6) return ms_fail(MS_ERR_USAGE, "--nodules is for 'phantom chest'");
    return MS_OK;
}

static ms_status run(const char *kind)
{
    const defaults *d = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (!strcmp(kinds[i].kind, kind)) d = &kinds[i];
    if (!d) return ms_fail(MS_ERR_USAGE, "unknown phantom '%s' (chest, heart or lesion)", kind);
    if (!out_opt) return ms_fail(MS_ERR_USAGE, "-o FILE is required");
    ms_status st = check_kind_options(kind);
    ms_phantom_grid g;
    if (!st && dicom_opt) st = ms_check_output_dir(dicom_opt);
    if (!st) st = grid_from_options(d, &g);
    if (st) return st;
    if (!strcmp(kind, "chest")) return chest(&g);
    if (!strcmp(kind, "heart")) return heart(&g);
    return lesion(&g);
}

int cmd_phantom(int argc, char **argv)
{
    char **args;
    int n;
    int rc = opt_parse(&phantom_spec, argc, argv, &args, &n);
    if (rc >= 0) return rc;
    int st = run(args[0]);
    free(args);
    return report_status(st);
}
