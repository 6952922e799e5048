/* NPZ output: a zip archive of .npy arrays that numpy.load reads. Entries
 * are stored or deflated; ZIP64 records are used where sizes or offsets
 * pass 4 GiB. */
#ifndef MEDSEG_NPZ_H
#define MEDSEG_NPZ_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_npz ms_npz;

/* descr is the numpy dtype string: "<f4", "<f8", "<i4", "|u1", "<i2", ... */
ms_status ms_npz_open(ms_npz **z, const char *path, int deflate);
ms_status ms_npz_add(ms_npz *z, const char *name, const char *descr, const void *data,
                     int ndim, const int64_t *shape);
/* Writes the central directory and renames into place; frees z. */
ms_status ms_npz_close(ms_npz *z);
/* Drops the temporary file; frees z. */
void ms_npz_abort(ms_npz *z);
/* Tests only: write ZIP64 records even for small entries. */
void ms_npz_force_zip64(ms_npz *z, int on);

#ifdef __cplusplus
}
#endif
#endif
