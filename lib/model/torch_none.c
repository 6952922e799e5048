/* Built without LibTorch: every model request is refused, naming the cure. */
#include "medseg/model.h"
#include "torch_shim.h"

int ms_torch_available(void) { return 0; }

ms_status ms_torch_load(const char *path, int cuda, ms_torch **out)
{
    (void)cuda;
    *out = NULL;
    return ms_fail(MS_ERR_USAGE, "%s: this medseg was built without LibTorch; install libtorch-dev and rebuild "
                                 "(cmake -DMEDSEG_TORCH=ON) to run models",
                   path);
}

void ms_torch_free(ms_torch *m) { (void)m; }

ms_status ms_torch_seg2d(ms_torch *m, const float *img, int c, int h, int w, const float box[4], const float *pts,
                         int npts, int pass_points, float *out, int64_t shape[4])
{
    (void)m; (void)img; (void)c; (void)h; (void)w; (void)box; (void)pts; (void)npts; (void)pass_points; (void)out;
    (void)shape;
    return ms_fail(MS_ERR_USAGE, "this medseg was built without LibTorch");
}

ms_status ms_torch_forward(ms_torch *m, const float *in, const int64_t *in_shape, int in_ndim, float *out,
                           size_t out_cap, int64_t out_shape[8], int *out_ndim)
{
    (void)m; (void)in; (void)in_shape; (void)in_ndim; (void)out; (void)out_cap; (void)out_shape; (void)out_ndim;
    return ms_fail(MS_ERR_USAGE, "this medseg was built without LibTorch");
}
