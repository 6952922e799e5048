/* Opens the LibTorch plugin beside libmedseg on first use. Linking LibTorch
 * into every command would cost each run about half a second of static
 * initialisation, which shell loops over thousands of files would feel. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "medseg/model.h"
#include "torch_shim.h"

typedef ms_status (*load_fn)(const char *, int, ms_torch **);
typedef void (*free_fn)(ms_torch *);
typedef ms_status (*seg2d_fn)(ms_torch *, const float *, int, int, int, const float *, const float *, int, int,
                              float *, int64_t *);

typedef ms_status (*forward_fn)(ms_torch *, const float *, const int64_t *, int, float *, size_t, int64_t *, int *);

static struct {
    forward_fn forward;
    load_fn load;
    free_fn release;
    seg2d_fn seg2d;
    char error[4700];
} plugin;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void open_plugin(void)
{
    Dl_info self;
    char path[4096];
    if (!dladdr((void *)ms_model_load, &self) || !self.dli_fname) {
        snprintf(plugin.error, sizeof plugin.error, "cannot locate libmedseg to find its LibTorch plugin");
        return;
    }
    const char *slash = strrchr(self.dli_fname, '/');
    int dir = slash ? (int)(slash - self.dli_fname) : 1;
    snprintf(path, sizeof path, "%.*s/libmedseg_torch.so", dir, slash ? self.dli_fname : ".");
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(plugin.error, sizeof plugin.error, "cannot open the LibTorch plugin: %s", dlerror());
        return;
    }
    plugin.load = (load_fn)dlsym(h, "ms_torchp_load");
    plugin.release = (free_fn)dlsym(h, "ms_torchp_free");
    plugin.seg2d = (seg2d_fn)dlsym(h, "ms_torchp_seg2d");
    plugin.forward = (forward_fn)dlsym(h, "ms_torchp_forward");
    if (!plugin.load || !plugin.release || !plugin.seg2d || !plugin.forward)
        snprintf(plugin.error, sizeof plugin.error, "%s lacks the ms_torchp_* entry points", path);
}

int ms_torch_available(void) { return 1; }

ms_status ms_torch_load(const char *path, int cuda, ms_torch **out)
{
    *out = NULL;
    pthread_once(&once, open_plugin);
    if (plugin.error[0]) return ms_fail(MS_ERR_INTERNAL, "%s: %s", path, plugin.error);
    return plugin.load(path, cuda, out);
}

void ms_torch_free(ms_torch *m)
{
    if (m && plugin.release) plugin.release(m);
}

ms_status ms_torch_seg2d(ms_torch *m, const float *img, int c, int h, int w, const float box[4], const float *pts,
                         int npts, int pass_points, float *out, int64_t shape[4])
{
    return plugin.seg2d(m, img, c, h, w, box, pts, npts, pass_points, out, shape);
}

ms_status ms_torch_forward(ms_torch *m, const float *in, const int64_t *in_shape, int in_ndim, float *out,
                           size_t out_cap, int64_t out_shape[8], int *out_ndim)
{
    return plugin.forward(m, in, in_shape, in_ndim, out, out_cap, out_shape, out_ndim);
}
