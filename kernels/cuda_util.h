// Error plumbing shared by the kernel launchers: every CUDA call is checked
// and the first failure becomes the one-line message the library reports.
#ifndef MEDSEG_CUDA_UTIL_H
#define MEDSEG_CUDA_UTIL_H

#include <cuda_runtime.h>
#include <cstdint>
#include <cstdio>

#define MSK_TRY(call)                                                               \
    do {                                                                            \
        cudaError_t e_ = (call);                                                    \
        if (e_ != cudaSuccess) {                                                    \
            std::snprintf(err, errlen, "%s: %s", #call, cudaGetErrorString(e_));    \
            cudaGetLastError();                                                     \
            goto fail;                                                              \
        }                                                                           \
    } while (0)

// Launch shape for volumes: 32 threads along x, 8 rows per block, rows
// strided over a grid whose y extent stays under the hardware limit.
struct VolGrid {
    dim3 block, grid;
};

static inline VolGrid vol_grid(int64_t nx, int64_t nrows)
{
    VolGrid g;
    g.block = dim3(32, 8, 1);
    int64_t gy = (nrows + 7) / 8;
    g.grid = dim3((unsigned)((nx + 31) / 32), (unsigned)(gy < 65535 ? (gy > 0 ? gy : 1) : 65535), 1);
    return g;
}

#endif
