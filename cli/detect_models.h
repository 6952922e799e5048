/* Model stages of detect-nodules: --lung-model and --fp-model. */
#ifndef MEDSEG_CLI_DETECT_MODELS_H
#define MEDSEG_CLI_DETECT_MODELS_H
#include "medseg/lung.h"
ms_status detect_model_stages(ms_detect_opts *o, const char *lung_model, const char *fp_model);
void detect_model_free(ms_detect_opts *o);
#endif
