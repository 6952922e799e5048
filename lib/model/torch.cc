// The LibTorch plugin (libmedseg_torch.so): loads TorchScript and runs it,
// turning every C++ exception into a status and one message. It is opened
// with dlopen only when a model is asked for (torch_loader.c), so commands
// that never touch a model do not pay LibTorch's start-up.
#include <torch/cuda.h>
#include <torch/script.h>

#include <cstring>
#include <string>

#include "torch_shim.h"

struct ms_torch {
    torch::jit::script::Module module;
    torch::Device device{torch::kCPU};
};

// LibTorch messages run to many lines with a C++ backtrace: keep the first.
static std::string first_line(const char *what)
{
    std::string s(what);
    size_t nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
}

extern "C" ms_status ms_torchp_load(const char *path, int cuda, ms_torch **out)
{
    *out = nullptr;
    ms_torch *m = new (std::nothrow) ms_torch;
    if (!m) return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    if (cuda && !torch::cuda::is_available()) {
        delete m;
        return ms_fail(MS_ERR_NODEVICE, "%s: this LibTorch has no usable CUDA device (Debian's libtorch is CPU-only)",
                       path);
    }
    try {
        if (cuda) m->device = torch::Device(torch::kCUDA);
        m->module = torch::jit::load(path, m->device);
        m->module.eval();
    } catch (const c10::Error &e) {
        delete m;
        return ms_fail(MS_ERR_INPUT, "%s: not a TorchScript model LibTorch can load: %s", path,
                       first_line(e.what_without_backtrace()).c_str());
    } catch (const std::exception &e) {
        delete m;
        return ms_fail(MS_ERR_INPUT, "%s: cannot load: %s", path, first_line(e.what()).c_str());
    }
    *out = m;
    return MS_OK;
}

extern "C" void ms_torchp_free(ms_torch *m) { delete m; }

extern "C" ms_status ms_torchp_seg2d(ms_torch *m, const float *img, int c, int h, int w, const float box[4],
                                    const float *pts, int npts, int pass_points, float *out, int64_t shape[4])
{
    try {
        torch::NoGradGuard no_grad;
        auto opts = torch::TensorOptions().dtype(torch::kFloat32);
        std::vector<torch::jit::IValue> in;
        in.push_back(torch::from_blob(const_cast<float *>(img), {1, c, h, w}, opts).clone().to(m->device));
        in.push_back(torch::from_blob(const_cast<float *>(box), {1, 4}, opts).clone().to(m->device));
        if (pass_points) {
            auto p = npts ? torch::from_blob(const_cast<float *>(pts), {1, npts, 3}, opts).clone()
                          : torch::zeros({1, 0, 3}, opts);
            in.push_back(p.to(m->device));
        }
        torch::jit::IValue r = m->module.forward(in);
        if (!r.isTensor()) return ms_fail(MS_ERR_INPUT, "the model returned something other than a tensor");
        torch::Tensor t = r.toTensor().to(torch::kCPU).to(torch::kFloat32).contiguous();
        for (int i = 0; i < 4; i++) shape[i] = i < t.dim() ? t.size(i) : 0;
        if (t.dim() != 4 || t.size(0) != 1 || t.size(1) != 1 || t.size(2) != h || t.size(3) != w) return MS_OK;
        std::memcpy(out, t.data_ptr<float>(), sizeof(float) * (size_t)h * (size_t)w);
    } catch (const c10::Error &e) {
        return ms_fail(MS_ERR_INPUT, "the model failed on input [1,%d,%d,%d]: %s", c, h, w,
                       first_line(e.what_without_backtrace()).c_str());
    } catch (const std::exception &e) {
        return ms_fail(MS_ERR_INPUT, "the model failed: %s", first_line(e.what()).c_str());
    }
    return MS_OK;
}

extern "C" ms_status ms_torchp_forward(ms_torch *m, const float *in, const int64_t *in_shape, int in_ndim, float *out,
                                      size_t out_cap, int64_t out_shape[8], int *out_ndim)
{
    try {
        torch::NoGradGuard no_grad;
        std::vector<int64_t> shape(in_shape, in_shape + in_ndim);
        auto x = torch::from_blob(const_cast<float *>(in), shape, torch::TensorOptions().dtype(torch::kFloat32));
        std::vector<torch::jit::IValue> args{x.clone().to(m->device)};
        torch::jit::IValue r = m->module.forward(args);
        if (!r.isTensor()) return ms_fail(MS_ERR_INPUT, "the model returned something other than a tensor");
        torch::Tensor t = r.toTensor().to(torch::kCPU).to(torch::kFloat32).contiguous();
        *out_ndim = (int)(t.dim() < 8 ? t.dim() : 8);
        for (int i = 0; i < *out_ndim; i++) out_shape[i] = t.size(i);
        if ((size_t)t.numel() <= out_cap) std::memcpy(out, t.data_ptr<float>(), sizeof(float) * (size_t)t.numel());
    } catch (const c10::Error &e) {
        return ms_fail(MS_ERR_INPUT, "the model failed: %s", first_line(e.what_without_backtrace()).c_str());
    } catch (const std::exception &e) {
        return ms_fail(MS_ERR_INPUT, "the model failed: %s", first_line(e.what()).c_str());
    }
    return MS_OK;
}
