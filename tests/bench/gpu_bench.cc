// GPU kernels timed on device-resident data, each against the device's own
// device-to-device cudaMemcpy of the same bytes in the same run.
//   gpu_bench LABEL_IN.nii CT_IN.nii
// Labelling: 26-connectivity of a binary volume; resampling: trilinear of an
// int16 volume onto a 512^3 float grid (scale 0.9 about the centre).
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "medseg/io.h"
#include "msk.h"

namespace {

#define OK(call)                                                                       \
    do {                                                                               \
        cudaError_t e_ = (call);                                                       \
        if (e_ != cudaSuccess) {                                                       \
            std::fprintf(stderr, "%s: %s\n", #call, cudaGetErrorString(e_));           \
            std::exit(1);                                                              \
        }                                                                              \
    } while (0)

template <typename F>
double best_ms(F f, int reps)
{
    cudaEvent_t a, b;
    OK(cudaEventCreate(&a));
    OK(cudaEventCreate(&b));
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        OK(cudaEventRecord(a));
        f();
        OK(cudaEventRecord(b));
        OK(cudaEventSynchronize(b));
        float ms = 0;
        OK(cudaEventElapsedTime(&ms, a, b));
        if (ms < best) best = ms;
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return best;
}

double copy_ms(size_t bytes)
{
    void *x, *y;
    OK(cudaMalloc(&x, bytes));
    OK(cudaMalloc(&y, bytes));
    OK(cudaMemset(x, 1, bytes));
    double t = best_ms([&] { OK(cudaMemcpy(y, x, bytes, cudaMemcpyDeviceToDevice)); }, 5);
    cudaFree(x);
    cudaFree(y);
    return t;
}

ms_volume read(const char *p)
{
    ms_volume v;
    if (ms_read_volume(p, nullptr, &v, nullptr)) {
        std::fprintf(stderr, "gpu_bench: %s\n", ms_last_error());
        std::exit(1);
    }
    return v;
}

void bench_label(const char *path)
{
    ms_volume v = read(path);
    size_t n = ms_volume_nvox(&v);
    std::vector<uint8_t> keys(n);
    for (size_t i = 0; i < n; i++) keys[i] = ms_volume_get(&v, i) != 0;
    void *dk, *scratch;
    int32_t *dl;
    OK(cudaMalloc(&dk, n));
    OK(cudaMalloc((void **)&dl, n * 4));
    OK(cudaMalloc(&scratch, msk_label_scratch_bytes(v.dim)));
    OK(cudaMemcpy(dk, keys.data(), n, cudaMemcpyHostToDevice));
    char err[256];
    int64_t count = 0;
    double t = best_ms([&] {
        if (msk_label_device(dk, 1, v.dim, 26, dl, scratch, &count, err, sizeof err)) {
            std::fprintf(stderr, "label: %s\n", err);
            std::exit(1);
        }
    }, 5);
    double c = copy_ms(n * 4);
    std::printf("GPU label %s %lldx%lldx%lld 26-conn: %.2f ms, %lld components, %.0f Mvox/s; "
                "D2D copy of the int32 labels %.2f ms; label/copy = %.2f\n",
                path, (long long)v.dim[0], (long long)v.dim[1], (long long)v.dim[2], t, (long long)count,
                n / t / 1e3, c, t / c);
    cudaFree(dk);
    cudaFree(dl);
    cudaFree(scratch);
    ms_volume_free(&v);
}

void bench_resample(const char *path)
{
    ms_volume v = read(path);
    size_t n = ms_volume_nvox(&v);
    int64_t od[3] = {512, 512, 512};
    size_t no = 512ull * 512 * 512;
    double m[12] = {0};
    for (int a = 0; a < 3; a++) {
        double r = 0.9 * (double)v.dim[a] / 512.0;
        m[a * 4 + a] = r;
        m[a * 4 + 3] = (double)(v.dim[a] - 1) / 2 - 255.5 * r;
    }
    void *din, *dout;
    OK(cudaMalloc(&din, n * ms_dtype_size(v.dtype)));
    OK(cudaMalloc(&dout, no * 4));
    OK(cudaMemcpy(din, v.data, n * ms_dtype_size(v.dtype), cudaMemcpyHostToDevice));
    char err[256];
    double t = best_ms([&] {
        if (msk_resample_device(din, (int)v.dtype, v.dim, m, 1, -1024, od, dout, err, sizeof err)) {
            std::fprintf(stderr, "resample: %s\n", err);
            std::exit(1);
        }
    }, 5);
    size_t bytes = n * ms_dtype_size(v.dtype) + no * 4;
    double c = copy_ms(no * 4);
    double bw = bytes / t / 1e6, copy_bw = 2.0 * no * 4 / c / 1e6;
    std::printf("GPU resample %s -> 512^3 float trilinear: %.2f ms, %.0f GB/s moved; D2D copy %.0f GB/s; "
                "fraction of copy bandwidth = %.2f\n", path, t, bw, copy_bw, bw / copy_bw);
    cudaFree(din);
    cudaFree(dout);
    ms_volume_free(&v);
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: gpu_bench LABEL_IN CT_IN\n");
        return 2;
    }
    if (ms_kernels_device_count() <= 0) {
        std::printf("gpu_bench: no CUDA device, skipped\n");
        return 0;
    }
    cudaDeviceProp p;
    OK(cudaGetDeviceProperties(&p, 0));
    std::printf("device: %s\n", p.name);
    bench_label(argv[1]);
    bench_resample(argv[2]);
    return 0;
}
