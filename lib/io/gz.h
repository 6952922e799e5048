/* Internal to lib/io: whole-buffer gzip through libdeflate (gz.c). */
#ifndef MEDSEG_IO_GZ_H
#define MEDSEG_IO_GZ_H

#include <stddef.h>
#include <stdio.h>

#include "medseg/status.h"

/* Bytes [offset, offset + nbytes) of a file's inflated content (a plain
 * file is taken as it is) into a new buffer *out. *handled is 0, with
 * MS_OK, when libdeflate cannot decide (a damaged or truncated stream, a
 * short plain file): the caller's zlib path then reads or explains it. A
 * stream that inflates to more than offset + nbytes is exit 3. */
ms_status ms_gz_read_span(const char *path, size_t offset, size_t nbytes, unsigned char **out, int *handled);

/* The .nii.gz level when none is given: see the man page for the
 * measurement behind it. */
#define MS_GZ_DEFAULT_LEVEL 1

/* Writes hdr then data as gzip members of 1 MiB blocks compressed in
 * parallel at libdeflate level `level`; returns 0 on a failed write. */
int ms_gz_write(FILE *fp, const void *hdr, size_t hdr_len, const void *data, size_t n, int level);

#endif
