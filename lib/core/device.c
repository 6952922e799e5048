#include "medseg/device.h"

#include <string.h>

#ifdef MEDSEG_HAVE_CUDA
#include "msk.h"
#endif

int ms_built_with_cuda(void)
{
#ifdef MEDSEG_HAVE_CUDA
    return 1;
#else
    return 0;
#endif
}

int ms_cuda_devices(void)
{
#ifdef MEDSEG_HAVE_CUDA
    return ms_kernels_device_count();
#else
    return 0;
#endif
}

const char *ms_device_name(ms_device d) { return d == MS_DEVICE_CUDA ? "cuda" : "cpu"; }

ms_status ms_device_resolve(const char *want, ms_device *out)
{
    if (!want || strcmp(want, "auto") == 0) {
        *out = ms_cuda_devices() > 0 ? MS_DEVICE_CUDA : MS_DEVICE_CPU;
        return MS_OK;
    }
    if (strcmp(want, "cpu") == 0) {
        *out = MS_DEVICE_CPU;
        return MS_OK;
    }
    if (strcmp(want, "cuda") == 0) {
        if (!ms_built_with_cuda())
            return ms_fail(MS_ERR_NODEVICE, "--device cuda: this medseg was built without CUDA (MEDSEG_CUDA=OFF or no toolkit)");
        if (ms_cuda_devices() <= 0) return ms_fail(MS_ERR_NODEVICE, "--device cuda: no CUDA device is available");
        *out = MS_DEVICE_CUDA;
        return MS_OK;
    }
    return ms_fail(MS_ERR_USAGE, "--device must be auto, cpu or cuda, not '%s'", want);
}
