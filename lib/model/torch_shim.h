/* The C face of the LibTorch shim. With LibTorch these forward to the
 * plugin (torch.cc, built as libmedseg_torch.so and opened on first use by
 * torch_loader.c); without it torch_none.c refuses with a clear message.
 * The plugin exports the same functions named ms_torchp_*. */
#ifndef MEDSEG_TORCH_SHIM_H
#define MEDSEG_TORCH_SHIM_H

#include <stdint.h>
#include "medseg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_torch ms_torch;

ms_status ms_torch_load(const char *path, int cuda, ms_torch **out);
void ms_torch_free(ms_torch *m);
/* forward(image[1,c,h,w], box[1,4] (, points[1,n,3])) -> out; the output's
 * shape goes to shape[4] and, when it is [1,1,h,w], its values to out. */
ms_status ms_torch_seg2d(ms_torch *m, const float *img, int c, int h, int w, const float box[4], const float *pts,
                         int npts, int pass_points, float *out, int64_t shape[4]);

/* forward(x) for one float32 tensor x of shape in_shape[0..in_ndim); the
 * answer's shape goes to out_shape (up to 8 dims, *out_ndim) and, when it
 * holds at most out_cap values, the values to out. */
ms_status ms_torch_forward(ms_torch *m, const float *in, const int64_t *in_shape, int in_ndim, float *out,
                           size_t out_cap, int64_t out_shape[8], int *out_ndim);

#ifdef __cplusplus
}
#endif
#endif
