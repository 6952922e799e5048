#include "detect_models.h"
#include "medseg/sr.h"
ms_status detect_model_stages(ms_detect_opts *o, const char *lung_model, const char *fp_model){(void)o;(void)lung_model;(void)fp_model;return MS_OK;}
void detect_model_free(ms_detect_opts *o){(void)o;}
