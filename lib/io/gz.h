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

/* Gzip members that state their own length (gz_members.c). The bound and
 * the compression of n bytes into one member of at most cap bytes (0 when
 * it does not fit); inflation of a whole file in[0..len) of such members
 * into out[0..want) in parallel: 1 when every member was found, inflated
 * and its CRC matched, 0 otherwise (out then holds nothing dependable). */
struct libdeflate_compressor;
size_t ms_gzm_bound(struct libdeflate_compressor *c, size_t n);
size_t ms_gzm_compress(struct libdeflate_compressor *c, const unsigned char *in, size_t n, unsigned char *out,
                       size_t cap);
int ms_gzm_inflate(const unsigned char *in, size_t len, unsigned char *out, size_t want);

/* Writes hdr then data as gzip members of 1 MiB blocks compressed in
 * parallel at libdeflate level `level`; returns 0 on a failed write. */
int ms_gz_write(FILE *fp, const void *hdr, size_t hdr_len, const void *data, size_t n, int level);

#endif
