/* Internal to lib/model: the model object and helpers model.c (2-D) and
 * model3d.c (volumes) share. */
#ifndef MEDSEG_MODEL_INTERNAL_H
#define MEDSEG_MODEL_INTERNAL_H

#include "medseg/model.h"
#include "torch_shim.h"

struct ms_model {
    ms_model_card card;
    ms_torch *torch;
    char path[1024];
    int batch;            /* image-classifier: answers [N, L] for N images */
};

/* Applies the card's intensity normalisation to n values in place. */
void model_normalise(const ms_model_card *c, float *v, int64_t n);
/* A 3-D model's run on zeros of its input size: refused (MS_ERR_INPUT)
 * when it throws or answers with a shape its contract does not allow. */
ms_status model3d_dry_run(ms_model *m);
/* An image-classifier's run on zeros: it must answer [1, n_labels]. */
ms_status classifier_dry_run(ms_model *m);
/* Bilinear, pixel centres at (i + 0.5) * ratio, edges clamped: torch's
 * interpolate(align_corners=False). */
void model_resize(const float *in, int64_t iw, int64_t ih, float *out, int64_t ow, int64_t oh);

#endif
