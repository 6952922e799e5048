/* --device auto|cpu|cuda: which implementation of a kernel runs. */
#ifndef MEDSEG_DEVICE_H
#define MEDSEG_DEVICE_H

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MS_DEVICE_CPU = 0, MS_DEVICE_CUDA } ms_device;

/* "auto" takes CUDA when this build has it and a GPU is present; "cuda"
 * fails with MS_ERR_NODEVICE when it cannot be had. */
ms_status ms_device_resolve(const char *want, ms_device *out);
const char *ms_device_name(ms_device d);
/* Number of CUDA devices usable by this build (0 without CUDA). */
int ms_cuda_devices(void);
int ms_built_with_cuda(void);

#ifdef __cplusplus
}
#endif
#endif
