// Resampling on the GPU: one thread per output voxel, the same sampling
// arithmetic as the CPU path (sample_math.h), coordinates in double.
#include "cuda_util.h"
#include "msk.h"
#include "sample_math.h"

namespace {

struct Map {
    double m[12];
};

struct Dims {
    int64_t n[3];
};

template <typename T>
__device__ double at(const T *in, const Dims &d, int64_t x, int64_t y, int64_t z)
{
    return (double)in[(z * d.n[1] + y) * d.n[0] + x];
}

// Trilinear value, or the label vote over the same eight corners.
template <typename T>
__device__ double sample_linear(const T *in, const Dims &d, const double c[3], bool vote)
{
    int64_t i0[3], i1[3];
    double t[3], v[8], w[8], s = 0;
    for (int a = 0; a < 3; a++) ms_linear_index(c[a], d.n[a], &i0[a], &i1[a], &t[a]);
    for (int n = 0; n < 8; n++) {
        v[n] = at(in, d, n & 1 ? i1[0] : i0[0], n & 2 ? i1[1] : i0[1], n & 4 ? i1[2] : i0[2]);
        w[n] = ms_corner_weight(n, t);
        s += w[n] * v[n];
    }
    return vote ? ms_label_vote(v, w) : s;
}

__device__ double sample_cubic(const float *coef, const Dims &d, const double c[3])
{
    double w[3][4], s = 0;
    int64_t f[3];
    for (int a = 0; a < 3; a++) f[a] = ms_cubic_weights(c[a], w[a]);
    for (int cz = 0; cz < 4; cz++)
        for (int cy = 0; cy < 4; cy++) {
            int64_t y = ms_mirror_index(f[1] + cy, d.n[1]), z = ms_mirror_index(f[2] + cz, d.n[2]);
            double wyz = w[1][cy] * w[2][cz];
            for (int cx = 0; cx < 4; cx++) s += wyz * w[0][cx] * at(coef, d, ms_mirror_index(f[0] + cx, d.n[0]), y, z);
        }
    return s;
}

template <typename T>
__global__ void resample_kernel(const T *in, Dims d, Map m, int interp, double fill, Dims od, void *out)
{
    int64_t x = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    if (x >= od.n[0]) return;
    int64_t rows = od.n[1] * od.n[2];
    for (int64_t r = blockIdx.y * (int64_t)blockDim.y + threadIdx.y; r < rows; r += (int64_t)gridDim.y * blockDim.y) {
        double oj = (double)(r % od.n[1]), ok = (double)(r / od.n[1]);
        double c[3];
        bool inside = true;
        for (int a = 0; a < 3; a++) {
            c[a] = ms_coord(m.m + 4 * a, (double)x, oj, ok);
            inside = inside && ms_inside(c[a], d.n[a]);
        }
        double v = fill;
        if (inside) {
            if (interp == 0)
                v = at(in, d, ms_nearest_index(c[0], d.n[0]), ms_nearest_index(c[1], d.n[1]), ms_nearest_index(c[2], d.n[2]));
            else if (interp == 1 || interp == 2) v = sample_linear(in, d, c, interp == 2);
            else v = sample_cubic((const float *)in, d, c);
        }
        size_t o = (size_t)(r * od.n[0] + x);
        if (interp == 0 || interp == 2) ((double *)out)[o] = v;
        else ((float *)out)[o] = (float)v;
    }
}

template <typename T>
void launch(const void *in, const Dims &d, const Map &m, int interp, double fill, const Dims &od, void *out)
{
    VolGrid g = vol_grid(od.n[0], od.n[1] * od.n[2]);
    resample_kernel<T><<<g.grid, g.block>>>((const T *)in, d, m, interp, fill, od, out);
}

// ms_dtype numbering: U8, I16, U16, I32, F32, F64.
size_t dtype_bytes(int t)
{
    static const size_t b[6] = {1, 2, 2, 4, 4, 8};
    return t >= 0 && t < 6 ? b[t] : 0;
}

}  // namespace

extern "C" int msk_resample_device(const void *d_in, int in_dtype, const int64_t in_dim[3], const double m[12],
                                   int interp, double fill, const int64_t out_dim[3], void *d_out, char *err,
                                   size_t errlen)
{
    Dims d = {{in_dim[0], in_dim[1], in_dim[2]}}, od = {{out_dim[0], out_dim[1], out_dim[2]}};
    Map mm;
    for (int i = 0; i < 12; i++) mm.m[i] = m[i];
    if (od.n[0] * od.n[1] * od.n[2] == 0) return 0;
    if (interp == 3 && in_dtype != 4) {
        std::snprintf(err, errlen, "cubic resampling needs float32 coefficients");
        return 1;
    }
    switch (in_dtype) {
    case 0: launch<uint8_t>(d_in, d, mm, interp, fill, od, d_out); break;
    case 1: launch<int16_t>(d_in, d, mm, interp, fill, od, d_out); break;
    case 2: launch<uint16_t>(d_in, d, mm, interp, fill, od, d_out); break;
    case 3: launch<int32_t>(d_in, d, mm, interp, fill, od, d_out); break;
    case 4: launch<float>(d_in, d, mm, interp, fill, od, d_out); break;
    case 5: launch<double>(d_in, d, mm, interp, fill, od, d_out); break;
    default: std::snprintf(err, errlen, "unknown input dtype %d", in_dtype); return 1;
    }
    MSK_TRY(cudaGetLastError());
    MSK_TRY(cudaDeviceSynchronize());
    return 0;
fail:
    return 1;
}

extern "C" int msk_resample(const void *in, int in_dtype, const int64_t in_dim[3], const double m[12], int interp,
                            double fill, const int64_t out_dim[3], void *out, char *err, size_t errlen)
{
    size_t nin = (size_t)(in_dim[0] * in_dim[1] * in_dim[2]), nout = (size_t)(out_dim[0] * out_dim[1] * out_dim[2]);
    size_t in_bytes = nin * dtype_bytes(in_dtype);
    size_t out_bytes = nout * (interp == 0 || interp == 2 ? sizeof(double) : sizeof(float));
    void *d_in = nullptr, *d_out = nullptr;
    int rc = 1;
    MSK_TRY(cudaMalloc(&d_in, in_bytes + 8));
    MSK_TRY(cudaMalloc(&d_out, out_bytes + 8));
    MSK_TRY(cudaMemcpy(d_in, in, in_bytes, cudaMemcpyHostToDevice));
    if (msk_resample_device(d_in, in_dtype, in_dim, m, interp, fill, out_dim, d_out, err, errlen)) goto fail;
    MSK_TRY(cudaMemcpy(out, d_out, out_bytes, cudaMemcpyDeviceToHost));
    rc = 0;
fail:
    cudaFree(d_in);
    cudaFree(d_out);
    return rc;
}
