// SDF sampling on the GPU: one thread per query point walks the CPU-built
// bounding volume hierarchy (sdf_math.h) with its own small stack. Built
// with -fmad=false so every product and sum rounds as on the host: the
// kernel then finds the same nearest triangle and the same sign as the CPU.
#include "cuda_util.h"
#include "msk.h"
#include "sdf_math.h"

namespace {

__global__ void sdf_kernel(const ms_bvh_node *__restrict__ nodes, const ms_sdf_tri *__restrict__ tris,
                           const float *__restrict__ pts, int64_t n, float *__restrict__ sdf,
                           int32_t *__restrict__ nearest)
{
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        double p[3] = {pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]};
        int64_t t;
        sdf[i] = (float)ms_sdf_query(nodes, tris, p, -1, &t);
        if (nearest) nearest[i] = (int32_t)t;
    }
}

unsigned blocks_for(int64_t n)
{
    int64_t b = (n + 127) / 128;
    return (unsigned)(b < 65535 * 16 ? (b > 0 ? b : 1) : 65535 * 16);
}

}  // namespace

extern "C" int msk_sdf_device(const ms_bvh_node *d_nodes, const ms_sdf_tri *d_tris, const float *d_pts, int64_t n,
                              float *d_sdf, int32_t *d_nearest, char *err, size_t errlen)
{
    sdf_kernel<<<blocks_for(n), 128>>>(d_nodes, d_tris, d_pts, n, d_sdf, d_nearest);
    MSK_TRY(cudaGetLastError());
    MSK_TRY(cudaDeviceSynchronize());
    return 0;
fail:
    return 1;
}

extern "C" int msk_sdf(const ms_bvh_node *nodes, int64_t n_nodes, const ms_sdf_tri *tris, int64_t n_tris,
                       const float *pts, int64_t n, float *sdf, int32_t *nearest, char *err, size_t errlen)
{
    ms_bvh_node *d_nodes = nullptr;
    ms_sdf_tri *d_tris = nullptr;
    float *d_pts = nullptr, *d_sdf = nullptr;
    int32_t *d_near = nullptr;
    int rc = 1;
    MSK_TRY(cudaMalloc(&d_nodes, (size_t)n_nodes * sizeof *d_nodes));
    MSK_TRY(cudaMalloc(&d_tris, (size_t)n_tris * sizeof *d_tris));
    MSK_TRY(cudaMalloc(&d_pts, (size_t)n * 3 * sizeof *d_pts));
    MSK_TRY(cudaMalloc(&d_sdf, (size_t)n * sizeof *d_sdf));
    if (nearest) MSK_TRY(cudaMalloc(&d_near, (size_t)n * sizeof *d_near));
    MSK_TRY(cudaMemcpy(d_nodes, nodes, (size_t)n_nodes * sizeof *d_nodes, cudaMemcpyHostToDevice));
    MSK_TRY(cudaMemcpy(d_tris, tris, (size_t)n_tris * sizeof *d_tris, cudaMemcpyHostToDevice));
    MSK_TRY(cudaMemcpy(d_pts, pts, (size_t)n * 3 * sizeof *d_pts, cudaMemcpyHostToDevice));
    if (msk_sdf_device(d_nodes, d_tris, d_pts, n, d_sdf, d_near, err, errlen)) goto fail;
    MSK_TRY(cudaMemcpy(sdf, d_sdf, (size_t)n * sizeof *sdf, cudaMemcpyDeviceToHost));
    if (nearest) MSK_TRY(cudaMemcpy(nearest, d_near, (size_t)n * sizeof *nearest, cudaMemcpyDeviceToHost));
    rc = 0;
fail:
    cudaFree(d_nodes);
    cudaFree(d_tris);
    cudaFree(d_pts);
    cudaFree(d_sdf);
    cudaFree(d_near);
    return rc;
}
