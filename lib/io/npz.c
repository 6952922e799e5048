/* NPZ writer. Layout per entry: local header [+ ZIP64 extra], the .npy
 * header (format 1.0, padded to 64 bytes), the array bytes (stored or raw
 * deflate). Sizes and CRC of deflated entries are patched into the local
 * header after the data is written, which needs a seekable file; the
 * output is a temporary file renamed into place on close. Timestamps are
 * fixed so that equal inputs give equal bytes. */
#define _FILE_OFFSET_BITS 64
#include "medseg/npz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "medseg/atomic_file.h"

#define U32_MAX_MARK 0xffffffffULL
#define ZIP_DOS_DATE 0x0021   /* 1980-01-01 */

typedef struct {
    char name[260];
    uint32_t crc;
    uint64_t csize, usize, offset;
    int method, zip64;
} entry;

struct ms_npz {
    FILE *fp;
    ms_atomic at;
    int deflate, force64;
    entry *e;
    size_t n, cap;
};

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static void put64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }

ms_status ms_npz_open(ms_npz **out, const char *path, int deflate)
{
    ms_npz *z = calloc(1, sizeof *z);
    if (!z) return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    ms_status st = ms_atomic_begin(&z->at, path);
    if (st) { free(z); return st; }
    z->fp = fopen(z->at.tmp_path, "wb+");
    if (!z->fp) {
        st = ms_fail(MS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        ms_atomic_abort(&z->at);
        free(z);
        return st;
    }
    z->deflate = deflate;
    *out = z;
    return MS_OK;
}

void ms_npz_force_zip64(ms_npz *z, int on) { z->force64 = on; }

/* numpy's .npy 1.0 header: magic, version, little-endian length, a Python
 * dict literal padded with spaces to a multiple of 64, ending in '\n'. */
static size_t npy_header(unsigned char *buf, size_t cap, const char *descr, int ndim, const int64_t *shape)
{
    char dict[512], dims[400] = "";
    size_t pos = 0;
    for (int d = 0; d < ndim; d++)
        pos += (size_t)snprintf(dims + pos, sizeof dims - pos, "%lld,%s", (long long)shape[d],
                                d + 1 < ndim ? " " : "");
    if (ndim > 1) dims[pos - 1] = '\0';   /* (a, b) but (a,) */
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, dims);
    size_t total = 10 + (size_t)len + 1;
    size_t padded = (total + 63) / 64 * 64;
    if (padded > cap) return 0;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    put16(buf + 8, (unsigned)(padded - 10));
    memcpy(buf + 10, dict, (size_t)len);
    memset(buf + 10 + len, ' ', padded - 10 - (size_t)len - 1);
    buf[padded - 1] = '\n';
    return padded;
}

static size_t local_header(unsigned char *h, const entry *e)
{
    size_t nlen = strlen(e->name);
    put32(h, 0x04034b50);
    put16(h + 4, e->zip64 ? 45 : 20);
    put16(h + 6, 0);
    put16(h + 8, (unsigned)e->method);
    put16(h + 10, 0);
    put16(h + 12, ZIP_DOS_DATE);
    put32(h + 14, e->crc);
    put32(h + 18, e->zip64 ? (uint32_t)U32_MAX_MARK : (uint32_t)e->csize);
    put32(h + 22, e->zip64 ? (uint32_t)U32_MAX_MARK : (uint32_t)e->usize);
    put16(h + 26, (unsigned)nlen);
    put16(h + 28, e->zip64 ? 20 : 0);
    memcpy(h + 30, e->name, nlen);
    if (e->zip64) {
        unsigned char *x = h + 30 + nlen;
        put16(x, 1), put16(x + 2, 16), put64(x + 4, e->usize), put64(x + 12, e->csize);
        return 30 + nlen + 20;
    }
    return 30 + nlen;
}

static int write_all(FILE *fp, const void *p, size_t n) { return fwrite(p, 1, n, fp) == n; }

/* Streams header+data through deflate (or stores them), updating crc/csize. */
static int write_body(ms_npz *z, entry *e, const unsigned char *hdr, size_t hlen, const void *data, size_t dlen)
{
    e->crc = (uint32_t)crc32(0L, hdr, (uInt)hlen);
    const unsigned char *p = data;
    for (size_t off = 0; off < dlen;) {
        uInt chunk = dlen - off > (1u << 30) ? (1u << 30) : (uInt)(dlen - off);
        e->crc = (uint32_t)crc32(e->crc, p + off, chunk);
        off += chunk;
    }
    if (!z->deflate) {
        e->csize = e->usize;
        return write_all(z->fp, hdr, hlen) && write_all(z->fp, data, dlen);
    }
    z_stream s = {0};
    if (deflateInit2(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    unsigned char out[1 << 16];
    const unsigned char *parts[2] = {hdr, data};
    size_t lens[2] = {hlen, dlen};
    int ok = 1;
    for (int part = 0; part < 2 && ok; part++)
        for (size_t off = 0; ok;) {
            size_t left = lens[part] - off;
            uInt chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
            s.next_in = (Bytef *)(parts[part] + off);
            s.avail_in = chunk;
            off += chunk;
            int flush = (part == 1 && off == lens[part]) ? Z_FINISH : Z_NO_FLUSH;
            int r;
            do {
                s.next_out = out, s.avail_out = sizeof out;
                r = deflate(&s, flush);
                ok = ok && write_all(z->fp, out, sizeof out - s.avail_out);
            } while (ok && (s.avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END)));
            if (off == lens[part]) break;
        }
    e->csize = s.total_out;
    deflateEnd(&s);
    return ok;
}

static ms_status grow(ms_npz *z)
{
    if (z->n < z->cap) return MS_OK;
    size_t cap = z->cap ? 2 * z->cap : 16;
    entry *ne = realloc(z->e, cap * sizeof *ne);
    if (!ne) return ms_fail(MS_ERR_NOMEM, "%s: out of memory", z->at.final_path);
    z->e = ne, z->cap = cap;
    return MS_OK;
}

static size_t descr_size(const char *descr) { return (size_t)atoi(descr + 2); }

ms_status ms_npz_add(ms_npz *z, const char *name, const char *descr, const void *data, int ndim, const int64_t *shape)
{
    const char *path = z->at.final_path;
    if (strlen(name) > 250) return ms_fail(MS_ERR_USAGE, "%s: array name too long", path);
    size_t count = 1, dlen;
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0 || !ms_mul_size(count, (size_t)shape[d], &count))
            return ms_fail(MS_ERR_USAGE, "%s: array %s has an impossible shape", path, name);
    if (!ms_mul_size(count, descr_size(descr), &dlen)) return ms_fail(MS_ERR_USAGE, "%s: array %s too large", path, name);
    ms_status st = grow(z);
    if (st) return st;
    unsigned char hdr[512], lh[400];
    size_t hlen = npy_header(hdr, sizeof hdr, descr, ndim, shape);
    if (!hlen) return ms_fail(MS_ERR_USAGE, "%s: array %s has too many dimensions", path, name);
    entry *e = &z->e[z->n];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s.npy", name);
    e->method = z->deflate ? 8 : 0;
    e->usize = hlen + dlen;
    e->offset = (uint64_t)ftello(z->fp);
    /* Deflate never grows data by more than ~0.03%, so a margin decides. */
    e->zip64 = z->force64 || e->usize >= U32_MAX_MARK - (1u << 24) || e->offset >= U32_MAX_MARK;
    size_t lhlen = local_header(lh, e);
    int ok = write_all(z->fp, lh, lhlen) && write_body(z, e, hdr, hlen, data, dlen);
    if (ok) {
        off_t end = ftello(z->fp);
        local_header(lh, e);
        ok = fseeko(z->fp, (off_t)e->offset, SEEK_SET) == 0 && write_all(z->fp, lh, lhlen) &&
             fseeko(z->fp, end, SEEK_SET) == 0;
    }
    if (!ok) return ms_fail(MS_ERR_IO, "%s: write failed (disk full?)", path);
    z->n++;
    return MS_OK;
}

static int write_central(ms_npz *z, uint64_t *cd_size)
{
    unsigned char h[400];
    uint64_t size = 0;
    for (size_t i = 0; i < z->n; i++) {
        const entry *e = &z->e[i];
        size_t nlen = strlen(e->name);
        int big = e->zip64 || e->offset >= U32_MAX_MARK;
        put32(h, 0x02014b50);
        put16(h + 4, big ? 45 : 20), put16(h + 6, big ? 45 : 20);
        put16(h + 8, 0), put16(h + 10, (unsigned)e->method), put16(h + 12, 0), put16(h + 14, ZIP_DOS_DATE);
        put32(h + 16, e->crc);
        put32(h + 20, big ? (uint32_t)U32_MAX_MARK : (uint32_t)e->csize);
        put32(h + 24, big ? (uint32_t)U32_MAX_MARK : (uint32_t)e->usize);
        put16(h + 28, (unsigned)nlen), put16(h + 30, big ? 28 : 0), put16(h + 32, 0);
        put16(h + 34, 0), put16(h + 36, 0), put32(h + 38, 0);
        put32(h + 42, big ? (uint32_t)U32_MAX_MARK : (uint32_t)e->offset);
        memcpy(h + 46, e->name, nlen);
        size_t len = 46 + nlen;
        if (big) {
            unsigned char *x = h + len;
            put16(x, 1), put16(x + 2, 24), put64(x + 4, e->usize), put64(x + 12, e->csize), put64(x + 20, e->offset);
            len += 28;
        }
        if (!write_all(z->fp, h, len)) return 0;
        size += len;
    }
    *cd_size = size;
    return 1;
}

static int write_end(ms_npz *z, uint64_t cd_off, uint64_t cd_size)
{
    unsigned char h[98];
    int big = z->force64 || cd_off >= U32_MAX_MARK || z->n >= 0xffff;
    size_t len = 0;
    if (big) {
        uint64_t z64_off = cd_off + cd_size;
        put32(h, 0x06064b50), put64(h + 4, 44), put16(h + 12, 45), put16(h + 14, 45);
        put32(h + 16, 0), put32(h + 20, 0), put64(h + 24, z->n), put64(h + 32, z->n);
        put64(h + 40, cd_size), put64(h + 48, cd_off);
        put32(h + 56, 0x07064b50), put32(h + 60, 0), put64(h + 64, z64_off), put32(h + 72, 1);
        len = 76;
    }
    unsigned char *e = h + len;
    put32(e, 0x06054b50), put16(e + 4, 0), put16(e + 6, 0);
    put16(e + 8, big ? 0xffff : (unsigned)z->n), put16(e + 10, big ? 0xffff : (unsigned)z->n);
    put32(e + 12, big ? (uint32_t)U32_MAX_MARK : (uint32_t)cd_size);
    put32(e + 16, big ? (uint32_t)U32_MAX_MARK : (uint32_t)cd_off);
    put16(e + 20, 0);
    return write_all(z->fp, h, len + 22);
}

ms_status ms_npz_close(ms_npz *z)
{
    uint64_t cd_off = (uint64_t)ftello(z->fp), cd_size = 0;
    int ok = write_central(z, &cd_size) && write_end(z, cd_off, cd_size);
    ok = (fclose(z->fp) == 0) && ok;
    z->fp = NULL;
    ms_status st;
    if (!ok) {
        st = ms_fail(MS_ERR_IO, "%s: write failed (disk full?)", z->at.final_path);
        ms_atomic_abort(&z->at);
    } else st = ms_atomic_commit(&z->at);
    free(z->e);
    free(z);
    return st;
}

void ms_npz_abort(ms_npz *z)
{
    if (!z) return;
    if (z->fp) fclose(z->fp);
    ms_atomic_abort(&z->at);
    free(z->e);
    free(z);
}
