/* DCMTK's JPEG and JPEG-LS decoders through the plugin libmedseg_codecs
 * (dcm_codecs.cc), registered on the first frame that needs them. In C on
 * purpose: clang's UBSan checks the type of indirect calls in C++ code,
 * which would pull its C++ runtime into every C program linking libmedseg. */
#include <pthread.h>
#include <stdlib.h>

#include "../core/plugin.h"
#include "dcm_shim.h"

typedef void (*hook_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char error[4700];
static hook_fn cleanup_fn;

static void cleanup(void) { cleanup_fn(); }

static void open_codecs(void)
{
    void *h = ms_plugin_open("medseg_codecs", error, sizeof error);
    if (!h) return;
    hook_fn reg = NULL;
    *(void **)&reg = ms_plugin_symbol(h, "medseg_codecs", "ms_codecsp_register", error, sizeof error);
    *(void **)&cleanup_fn = ms_plugin_symbol(h, "medseg_codecs", "ms_codecsp_cleanup", error, sizeof error);
    if (!reg || !cleanup_fn) return;
    reg();
    atexit(cleanup);
}

ms_status ms_dcm_open_codecs(const char *path)
{
    pthread_once(&once, open_codecs);
    if (error[0]) return ms_fail(MS_ERR_INTERNAL, "%s: %s", path, error);
    return MS_OK;
}
