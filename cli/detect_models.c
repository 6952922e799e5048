/* --lung-model and --fp-model of detect-nodules: load each model with its
 * card (contracts segment-3d and patch-classifier) and hand it to the
 * pipeline as a stage. */
#include <stdlib.h>

#include "detect_models.h"
#include "medseg/model.h"

ms_status detect_model_stages(ms_detect_opts *o, const char *lung_model, const char *fp_model)
{
    ms_model *m = NULL;
    ms_status st = MS_OK;
    if (lung_model) {
        if ((st = ms_model_load(lung_model, "segment-3d", o->device, &m))) return st;
        o->lung_fn = ms_model_lung_mask, o->lung_ctx = m;
    }
    if (fp_model) {
        if ((st = ms_model_load(fp_model, "patch-classifier", o->device, &m))) {
            detect_model_free(o);
            return st;
        }
        o->fp_fn = ms_model_patch_probability, o->fp_ctx = m;
    }
    return MS_OK;
}

void detect_model_free(ms_detect_opts *o)
{
    ms_model_free(o->lung_ctx);
    ms_model_free(o->fp_ctx);
    o->lung_ctx = o->fp_ctx = NULL;
    o->lung_fn = NULL, o->fp_fn = NULL;
}
