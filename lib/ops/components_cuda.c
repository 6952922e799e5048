/* GPU labelling glue: converts the input to the kernel's key type, runs
 * kernels/label.cu and measures the components on the host. */
#include <stdlib.h>

#include "medseg/components.h"
#include "ops_internal.h"
#ifdef MEDSEG_HAVE_CUDA
#include "msk.h"

/* uint8 foreground flags (binary) or int32 values (per-label). */
static ms_status make_keys(const ms_volume *in, int per_label, void **keys)
{
    size_t n = ms_volume_nvox(in);
    ms_status st = ms_alloc_array(keys, n, per_label ? 4 : 1, 0, "device keys");
    if (st) return st;
    double buf[4096];
    for (size_t at = 0; at < n; at += 4096) {
        size_t m = n - at < 4096 ? n - at : 4096;
        ms_volume_read_f64(in, at, 1, m, buf);
        if (per_label)
            for (size_t i = 0; i < m; i++) ((int32_t *)*keys)[at + i] = (int32_t)buf[i];
        else
            for (size_t i = 0; i < m; i++) ((uint8_t *)*keys)[at + i] = buf[i] != 0;
    }
    return MS_OK;
}

ms_status ms_cc_label_cuda(const ms_volume *in, const ms_cc_opts *o, ms_volume *labels, ms_components *stats)
{
    void *keys;
    ms_status st = make_keys(in, o->per_label, &keys);
    if (st) return st;
    st = ms_volume_like(labels, in, MS_I32);
    int64_t count = 0;
    char err[256];
    if (!st && msk_label(keys, o->per_label ? 4 : 1, in->dim, o->connectivity, labels->data, &count, err, sizeof err))
        st = ms_fail(MS_ERR_INTERNAL, "CUDA labelling: %s", err);
    free(keys);
    if (!st && stats) st = ms_components_measure(labels, o->per_label ? in : NULL, count, stats);
    if (st && labels->data) ms_volume_free(labels);
    return st;
}
#else
ms_status ms_cc_label_cuda(const ms_volume *in, const ms_cc_opts *o, ms_volume *labels, ms_components *stats)
{
    (void)in, (void)o, (void)labels, (void)stats;
    return ms_fail(MS_ERR_NODEVICE, "this medseg was built without CUDA");
}
#endif
