/* Opens the LibTorch plugin (lib/core/plugin.c) on first use. Linking LibTorch
 * into every command would cost each run about half a second of static
 * initialisation, which shell loops over thousands of files would feel. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../core/plugin.h"
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
    char *e = plugin.error;
    size_t n = sizeof plugin.error;
    void *h = ms_plugin_open("medseg_torch", e, n);
    if (!h) return;
    /* a function pointer from dlsym's void *, as POSIX allows */
    *(void **)&plugin.load = ms_plugin_symbol(h, "medseg_torch", "ms_torchp_load", e, n);
    *(void **)&plugin.release = ms_plugin_symbol(h, "medseg_torch", "ms_torchp_free", e, n);
    *(void **)&plugin.seg2d = ms_plugin_symbol(h, "medseg_torch", "ms_torchp_seg2d", e, n);
    *(void **)&plugin.forward = ms_plugin_symbol(h, "medseg_torch", "ms_torchp_forward", e, n);
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
