/* ms_sr_write through the plugin libmedseg_sr (sr.cc), opened on the first
 * report written (see lib/core/plugin.h for why). */
#include <pthread.h>

#include "../core/plugin.h"
#include "medseg/sr.h"

typedef ms_status (*write_fn)(const char *, const ms_sr_report *);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char error[4700];
static write_fn write_sr;

static void open_sr(void)
{
    void *h = ms_plugin_open("medseg_sr", error, sizeof error);
    if (h) *(void **)&write_sr = ms_plugin_symbol(h, "medseg_sr", "ms_srp_write", error, sizeof error);
}

ms_status ms_sr_write(const char *path, const ms_sr_report *r)
{
    pthread_once(&once, open_sr);
    if (error[0]) return ms_fail(MS_ERR_INTERNAL, "%s: %s", path, error);
    return write_sr(path, r);
}
