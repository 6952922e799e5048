// Connected-component labelling on the GPU: union-find over voxels in the
// style of Playne and Hawick (2018). Each foreground voxel joins its earlier
// neighbours with atomicMin unions, so every tree's root is the smallest
// index in its component, i.e. the component's first voxel in raster order.
// An inclusive scan over root flags then numbers the roots 1..K in that
// order, which is exactly the CPU labeller's canonical numbering.
#include <cub/device/device_scan.cuh>

#include "cuda_util.h"
#include "msk.h"

namespace {

// The 13 neighbours that precede a voxel in raster order, as (dx, dy, dz).
__constant__ int c_prev[13][3] = {
    {-1, 0, 0}, {-1, -1, 0}, {0, -1, 0}, {1, -1, 0}, {-1, -1, -1}, {0, -1, -1}, {1, -1, -1},
    {-1, 0, -1}, {0, 0, -1}, {1, 0, -1}, {-1, 1, -1}, {0, 1, -1}, {1, 1, -1},
};

struct Dims {
    int64_t nx, ny, nz;
};

template <typename I>
__device__ I find_root(const I *p, I x)
{
    const volatile I *vp = p;
    I q = vp[x];
    while (q != x) {
        x = q;
        q = vp[x];
    }
    return x;
}

template <typename I>
__device__ void unite(I *p, I a, I b)
{
    for (;;) {
        a = find_root(p, a);
        b = find_root(p, b);
        if (a == b) return;
        if (a < b) {
            I old = atomicMin(&p[b], a);
            if (old == b) return;
            b = old;
        } else {
            I old = atomicMin(&p[a], b);
            if (old == a) return;
            a = old;
        }
    }
}

template <typename I>
__global__ void init_parents(I *p, Dims d)
{
    int64_t x = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    if (x >= d.nx) return;
    for (int64_t r = blockIdx.y * (int64_t)blockDim.y + threadIdx.y; r < d.ny * d.nz; r += (int64_t)gridDim.y * blockDim.y) {
        I i = (I)(r * d.nx + x);
        p[i] = i;
    }
}

// max_steps: 1 for 6-, 2 for 18-, 3 for 26-connectivity (how many axes a
// neighbour may differ on).
template <typename K, typename I, bool PER_LABEL>
__global__ void merge(const K *keys, I *p, Dims d, int max_steps)
{
    int64_t x = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    if (x >= d.nx) return;
    for (int64_t r = blockIdx.y * (int64_t)blockDim.y + threadIdx.y; r < d.ny * d.nz; r += (int64_t)gridDim.y * blockDim.y) {
        I i = (I)(r * d.nx + x);
        K k = keys[i];
        if (!k) continue;
        int64_t y = r % d.ny, z = r / d.ny;
        for (int o = 0; o < 13; o++) {
            int dx = c_prev[o][0], dy = c_prev[o][1], dz = c_prev[o][2];
            if ((dx != 0) + (dy != 0) + (dz != 0) > max_steps) continue;
            int64_t xx = x + dx, yy = y + dy, zz = z + dz;
            if (xx < 0 || xx >= d.nx || yy < 0 || yy >= d.ny || zz < 0) continue;
            I j = (I)((zz * d.ny + yy) * d.nx + xx);
            K kj = keys[j];
            if (PER_LABEL ? kj == k : kj != 0) unite(p, i, j);
        }
    }
}

template <typename K, typename I>
__global__ void compress(const K *keys, I *p, Dims d)
{
    int64_t x = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    if (x >= d.nx) return;
    for (int64_t r = blockIdx.y * (int64_t)blockDim.y + threadIdx.y; r < d.ny * d.nz; r += (int64_t)gridDim.y * blockDim.y) {
        I i = (I)(r * d.nx + x);
        if (keys[i]) p[i] = find_root(p, i);
    }
}

// Writes 1 at roots, 0 elsewhere, and counts roots with one atomic per warp.
// A warp is one row segment, so all its lanes run the same row loop.
template <typename K, typename I>
__global__ void flag_roots(const K *keys, const I *p, int32_t *lab, Dims d, unsigned long long *count)
{
    int64_t x = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    bool valid = x < d.nx;
    for (int64_t r = blockIdx.y * (int64_t)blockDim.y + threadIdx.y; r < d.ny * d.nz; r += (int64_t)gridDim.y * blockDim.y) {
        bool root = false;
        if (valid) {
            I i = (I)(r * d.nx + x);
            root = keys[i] && p[i] == i;
            lab[i] = root;
        }
        unsigned ballot = __ballot_sync(0xffffffffu, root);
        if (threadIdx.x == 0 && ballot) atomicAdd(count, (unsigned long long)__popc(ballot));
    }
}

// After the inclusive scan lab[root] is the root's label; every other
// foreground voxel reads it through its (compressed) parent.
template <typename K, typename I>
__global__ void finish_labels(const K *keys, const I *p, int32_t *lab, Dims d)
{
    int64_t x = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    if (x >= d.nx) return;
    for (int64_t r = blockIdx.y * (int64_t)blockDim.y + threadIdx.y; r < d.ny * d.nz; r += (int64_t)gridDim.y * blockDim.y) {
        I i = (I)(r * d.nx + x);
        lab[i] = keys[i] ? lab[p[i]] : 0;
    }
}

size_t align256(size_t n) { return (n + 255) & ~(size_t)255; }

size_t scan_bytes(int64_t n)
{
    size_t bytes = 0;
    cub::DeviceScan::InclusiveSum(nullptr, bytes, (int32_t *)nullptr, (int32_t *)nullptr, n);
    return bytes;
}

template <typename K, typename I>
int label_typed(const K *keys, const Dims &d, int conn, int32_t *lab, void *scratch, int64_t *count, char *err,
                size_t errlen)
{
    int64_t n = d.nx * d.ny * d.nz;
    VolGrid g = vol_grid(d.nx, d.ny * d.nz);
    I *p = (I *)scratch;
    unsigned long long *d_count = (unsigned long long *)((char *)scratch + align256((size_t)n * sizeof(I)));
    void *temp = (char *)d_count + 256;
    size_t temp_bytes = scan_bytes(n);
    unsigned long long roots = 0;
    int max_steps = conn == 6 ? 1 : conn == 18 ? 2 : 3;
    init_parents<I><<<g.grid, g.block>>>(p, d);
    if (sizeof(K) == 1) merge<K, I, false><<<g.grid, g.block>>>(keys, p, d, max_steps);
    else merge<K, I, true><<<g.grid, g.block>>>(keys, p, d, max_steps);
    compress<K, I><<<g.grid, g.block>>>(keys, p, d);
    MSK_TRY(cudaMemset(d_count, 0, sizeof *d_count));
    flag_roots<K, I><<<g.grid, g.block>>>(keys, p, lab, d, d_count);
    MSK_TRY(cudaGetLastError());
    MSK_TRY(cudaMemcpy(&roots, d_count, sizeof roots, cudaMemcpyDeviceToHost));
    if (roots > 2147483647ull) {
        std::snprintf(err, errlen, "more than 2147483647 components");
        return 1;
    }
    MSK_TRY(cub::DeviceScan::InclusiveSum(temp, temp_bytes, lab, lab, n));
    finish_labels<K, I><<<g.grid, g.block>>>(keys, p, lab, d);
    MSK_TRY(cudaGetLastError());
    MSK_TRY(cudaDeviceSynchronize());
    *count = (int64_t)roots;
    return 0;
fail:
    return 1;
}

bool small_index(const int64_t dim[3]) { return dim[0] * dim[1] * dim[2] < (int64_t)UINT32_MAX; }

}  // namespace

extern "C" size_t msk_label_scratch_bytes(const int64_t dim[3])
{
    int64_t n = dim[0] * dim[1] * dim[2];
    size_t index = small_index(dim) ? sizeof(unsigned) : sizeof(unsigned long long);
    return align256((size_t)n * index) + 256 + scan_bytes(n);
}

extern "C" int msk_label_device(const void *d_keys, int key_bytes, const int64_t dim[3], int conn, int32_t *d_labels,
                                void *d_scratch, int64_t *count, char *err, size_t errlen)
{
    Dims d = {dim[0], dim[1], dim[2]};
    if (d.nx * d.ny * d.nz == 0) {
        *count = 0;
        return 0;
    }
    bool small = small_index(dim);
    if (key_bytes == 1) {
        const uint8_t *k = (const uint8_t *)d_keys;
        return small ? label_typed<uint8_t, unsigned>(k, d, conn, d_labels, d_scratch, count, err, errlen)
                     : label_typed<uint8_t, unsigned long long>(k, d, conn, d_labels, d_scratch, count, err, errlen);
    }
    const int32_t *k = (const int32_t *)d_keys;
    return small ? label_typed<int32_t, unsigned>(k, d, conn, d_labels, d_scratch, count, err, errlen)
                 : label_typed<int32_t, unsigned long long>(k, d, conn, d_labels, d_scratch, count, err, errlen);
}

extern "C" int msk_label(const void *keys, int key_bytes, const int64_t dim[3], int conn, int32_t *labels,
                         int64_t *count, char *err, size_t errlen)
{
    size_t n = (size_t)(dim[0] * dim[1] * dim[2]);
    void *d_keys = nullptr, *d_scratch = nullptr;
    int32_t *d_lab = nullptr;
    int rc = 1;
    MSK_TRY(cudaMalloc(&d_keys, n * (size_t)key_bytes + 1));
    MSK_TRY(cudaMalloc((void **)&d_lab, n * sizeof(int32_t) + 4));
    MSK_TRY(cudaMalloc(&d_scratch, msk_label_scratch_bytes(dim)));
    MSK_TRY(cudaMemcpy(d_keys, keys, n * (size_t)key_bytes, cudaMemcpyHostToDevice));
    if (msk_label_device(d_keys, key_bytes, dim, conn, d_lab, d_scratch, count, err, errlen)) goto fail;
    MSK_TRY(cudaMemcpy(labels, d_lab, n * sizeof(int32_t), cudaMemcpyDeviceToHost));
    rc = 0;
fail:
    cudaFree(d_keys);
    cudaFree(d_lab);
    cudaFree(d_scratch);
    return rc;
}
