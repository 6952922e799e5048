/* Internal to lib/io: one JPEG 2000 frame to int32 samples (j2k.c). */
#ifndef MEDSEG_IO_J2K_H
#define MEDSEG_IO_J2K_H

#include <stddef.h>
#include <stdint.h>

#include "medseg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes the codestream p[0..n) (J2K or JP2, lossless or lossy, HTJ2K)
 * of a rows x cols frame of `comps` components (1, or 3 for colour, whose
 * component transform the decoder undoes: R, G, B) into out, the samples
 * of a pixel side by side; exit 3 when it does not decode or its size or
 * components disagree with the header. */
ms_status ms_j2k_decode(const char *path, const unsigned char *p, size_t n, int rows, int cols, int comps,
                        int32_t *out);

#ifdef __cplusplus
}
#endif
#endif
