// Device discovery for --device auto|cuda. A machine with the toolkit but no
// GPU (or no driver) reports zero devices instead of failing.
#include <cuda_runtime.h>

extern "C" int ms_kernels_device_count(void)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();   // clear the sticky "no driver" error
        return 0;
    }
    return n;
}
