/* Plugins are looked for beside libmedseg (found through dladdr on one of
 * its own functions), never on the library path, so an installed medseg
 * and a build tree each open their own. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "plugin.h"

void *ms_plugin_open(const char *name, char *err, size_t errlen)
{
    Dl_info self;
    char path[4096];
    if (!dladdr((void *)ms_plugin_open, &self) || !self.dli_fname) {
        snprintf(err, errlen, "cannot locate libmedseg to find its plugin %s", name);
        return NULL;
    }
    const char *slash = strrchr(self.dli_fname, '/');
    int dir = slash ? (int)(slash - self.dli_fname) : 1;
    snprintf(path, sizeof path, "%.*s/lib%s.so", dir, slash ? self.dli_fname : ".", name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) snprintf(err, errlen, "cannot open the plugin %s: %s", name, dlerror());
    return h;
}

void *ms_plugin_symbol(void *h, const char *name, const char *sym, char *err, size_t errlen)
{
    void *p = dlsym(h, sym);
    if (!p) snprintf(err, errlen, "the plugin %s lacks %s", name, sym);
    return p;
}
