/* Whole-volume gzip through libdeflate: several times faster than zlib's
 * streaming inflate and deflate at the same ratio.
 *
 * Reading inflates the file straight into a buffer of the size the NIfTI
 * header fixes, so a stream that inflates to more or less than that is
 * refused without allocating past it: in parallel when its members state
 * their lengths (medseg's own files, gz_members.c), else member by member.
 * Writing compresses fixed-size blocks in parallel, each a gzip member of
 * its own (as bgzip does) that states its length; gzip, zlib, nibabel,
 * niftilib and ITK read the concatenation as one stream, and the bytes do
 * not depend on the thread count. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libdeflate.h>

#include "gz.h"
#include "medseg/memory.h"
#include "medseg/threads.h"

/* 1 MiB blocks: the ratio is within 0.1% of one stream (deflate's window
 * is 32 KiB) and 150 MB of CT gives 150 blocks to share among threads. */
#define BLOCK ((size_t)1 << 20)

static ms_status slurp(const char *path, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ms_fail(MS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    ms_status st = fstat(fileno(f), &sb) == 0 ? MS_OK : ms_fail(MS_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    unsigned char *buf = NULL;
    if (!st) st = ms_alloc_array((void **)&buf, sb.st_size > 0 ? (size_t)sb.st_size : 1, 1, 0, path);
    if (!st && fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size)
        st = ms_fail(MS_ERR_IO, "%s: read failed: %s", path, strerror(errno));
    fclose(f);
    if (st) {
        free(buf);
        return st;
    }
    *out = buf, *len = (size_t)sb.st_size;
    return MS_OK;
}

/* Inflates gzip members of in[0..len) into out[0..want). Returns 1 when
 * done (*got bytes, *extra set when another member follows with data),
 * 0 when libdeflate cannot take the stream (zlib then reports why). */
static int inflate_members(struct libdeflate_decompressor *d, const unsigned char *in, size_t len, unsigned char *out,
                           size_t want, size_t *got, int *over)
{
    size_t pos = 0;
    *got = 0, *over = 0;
    while (pos + 18 <= len && in[pos] == 0x1f && in[pos + 1] == 0x8b) {
        size_t used = 0, n = 0;
        enum libdeflate_result r =
            libdeflate_gzip_decompress_ex(d, in + pos, len - pos, out + *got, want - *got, &used, &n);
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
            *over = 1;
            return 1;
        }
        if (r != LIBDEFLATE_SUCCESS) return 0;
        pos += used, *got += n;
        if (*got == want) {
            /* A further member that holds data is more than the header says. */
            *over = pos + 18 <= len && in[pos] == 0x1f && in[pos + 1] == 0x8b && in[pos + 9] != 0 ? 1 : 0;
            if (*over) {
                unsigned char probe;
                size_t pn = 0;
                r = libdeflate_gzip_decompress_ex(d, in + pos, len - pos, &probe, 1, NULL, &pn);
                *over = r == LIBDEFLATE_INSUFFICIENT_SPACE || (r == LIBDEFLATE_SUCCESS && pn > 0);
            }
            return 1;
        }
    }
    return 1;
}

/* A plain (not gzip) file: the span read in place; short: not handled. */
static ms_status read_plain(FILE *f, const char *path, size_t offset, size_t nbytes, unsigned char **out, int *handled)
{
    unsigned char *buf = NULL;
    ms_status st = ms_alloc_array((void **)&buf, nbytes ? nbytes : 1, 1, 0, path);
    if (st) return st;
    if (fseeko(f, (off_t)offset, SEEK_SET) == 0 && fread(buf, 1, nbytes, f) == nbytes) {
        *out = buf, *handled = 1;
        return MS_OK;
    }
    free(buf);
    return MS_OK;
}

/* Member by member into buf (streams whose members do not state their
 * lengths); *handled as ms_gz_read_span says. */
static ms_status inflate_serial(const char *path, const unsigned char *in, size_t len, unsigned char *buf,
                                size_t want, int *handled)
{
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (!d) return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    size_t got = 0;
    int over = 0;
    ms_status st = MS_OK;
    if (inflate_members(d, in, len, buf, want, &got, &over)) {
        if (over)
            st = ms_fail(MS_ERR_INPUT, "%s: the data inflates to more than the %zu bytes its header implies", path, want);
        *handled = st || got == want;
    }
    libdeflate_free_decompressor(d);
    return st;
}

static ms_status read_gzip(const char *path, size_t offset, size_t nbytes, unsigned char **out, int *handled)
{
    unsigned char *in = NULL, *buf = NULL;
    size_t len = 0, want = offset + nbytes;
    ms_status st = slurp(path, &in, &len);
    if (st) return st;
    st = ms_alloc_array((void **)&buf, want ? want : 1, 1, 0, path);
    if (!st && ms_gzm_inflate(in, len, buf, want)) *handled = 1;
    else if (!st) st = inflate_serial(path, in, len, buf, want, handled);
    free(in);
    if (!st && *handled) {
        memmove(buf, buf + offset, nbytes);
        *out = buf;
        return MS_OK;
    }
    free(buf);
    return st;
}

/* Deflate codes at best 258 bytes in 2 bits (1032:1), so a header that
 * implies more than that from the file's size lies, as does a plain file
 * shorter than its header implies: refused before the buffer it claims is
 * allocated (a 60-byte file could claim 2 GB). */
static ms_status check_size(FILE *f, const char *path, size_t want, int gz)
{
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) return ms_fail(MS_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    if (!gz && (double)want > (double)sb.st_size)
        return ms_fail(MS_ERR_INPUT, "%s: image data is truncated (the header implies %zu bytes, the file has %lld)",
                       path, want, (long long)sb.st_size);
    double most = 1032.0 * (double)sb.st_size + 65536.0;
    if (gz && (double)want > most)
        return ms_fail(MS_ERR_INPUT,
                       "%s: the header implies %zu bytes, more than a gzip file of %lld bytes can inflate to "
                       "(truncated file or corrupt header)",
                       path, want, (long long)sb.st_size);
    return MS_OK;
}

ms_status ms_gz_read_span(const char *path, size_t offset, size_t nbytes, unsigned char **out, int *handled)
{
    *handled = 0;
    *out = NULL;
    size_t want;
    if (__builtin_add_overflow(offset, nbytes, &want)) return ms_fail(MS_ERR_INPUT, "%s: image size overflows", path);
    FILE *f = fopen(path, "rb");
    if (!f) return ms_fail(MS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    unsigned char magic[2] = {0};
    int gz = fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    ms_status st = check_size(f, path, want, gz);
    if (!st && !gz) st = read_plain(f, path, offset, nbytes, out, handled);
    fclose(f);
    return gz && !st ? read_gzip(path, offset, nbytes, out, handled) : st;
}

typedef struct {
    const unsigned char *data;
    size_t n, nblocks, bound;
    int level;
    unsigned char *out;   /* nblocks slots of `bound` bytes */
    size_t *len;          /* compressed size of each block; 0: failed */
} deflate_job;

static void deflate_blocks(void *ctx, size_t b, size_t e)
{
    deflate_job *j = ctx;
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(j->level);
    for (size_t i = b; i < e; i++) {
        size_t off = i * BLOCK, n = j->n - off < BLOCK ? j->n - off : BLOCK;
        j->len[i] = c ? ms_gzm_compress(c, j->data + off, n, j->out + i * j->bound, j->bound) : 0;
    }
    if (c) libdeflate_free_compressor(c);
}

/* Compresses data in waves of blocks (bounded memory) and writes them. */
static int write_blocks(FILE *fp, const unsigned char *data, size_t n, int level)
{
    size_t total = (n + BLOCK - 1) / BLOCK, wave = 4 * (size_t)(ms_threads_get() > 0 ? ms_threads_get() : 1);
    struct libdeflate_compressor *probe = libdeflate_alloc_compressor(level);
    if (!probe) return 0;
    size_t bound = ms_gzm_bound(probe, BLOCK);
    libdeflate_free_compressor(probe);
    unsigned char *out = malloc(wave * bound);
    size_t *len = malloc(wave * sizeof *len);
    int ok = out && len;
    for (size_t w0 = 0; ok && w0 < total; w0 += wave) {
        size_t nb = total - w0 < wave ? total - w0 : wave;
        size_t bytes = n - w0 * BLOCK < nb * BLOCK ? n - w0 * BLOCK : nb * BLOCK;
        deflate_job j = {data + w0 * BLOCK, bytes, nb, bound, level, out, len};
        ms_parallel_for(nb, 1, deflate_blocks, &j);
        for (size_t i = 0; ok && i < nb; i++) ok = len[i] && fwrite(out + i * bound, 1, len[i], fp) == len[i];
    }
    free(out);
    free(len);
    return ok;
}

int ms_gz_write(FILE *fp, const void *hdr, size_t hdr_len, const void *data, size_t n, int level)
{
    return write_blocks(fp, hdr, hdr_len, level) && (n == 0 || write_blocks(fp, data, n, level));
}
