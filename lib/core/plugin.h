/* Internal: plugins of libmedseg, shared objects installed beside it and
 * opened on first use, so that a run which does not need a heavy
 * dependency (LibTorch, DCMTK's JPEG codecs and SR classes) does not pay
 * for loading it. */
#ifndef MEDSEG_CORE_PLUGIN_H
#define MEDSEG_CORE_PLUGIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* dlopen()s lib<name>.so from libmedseg's own directory. NULL on failure,
 * with the reason in err. */
void *ms_plugin_open(const char *name, char *err, size_t errlen);

/* Symbol `sym` of plugin h, or NULL with the reason in err. */
void *ms_plugin_symbol(void *h, const char *name, const char *sym, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
