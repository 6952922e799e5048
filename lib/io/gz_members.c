/* Gzip members that state their own length, so a reader can find every
 * member without inflating and inflate them in parallel.
 *
 * Each member's header carries the optional FEXTRA field (RFC 1952 2.3.1.1)
 * with one subfield, 'M' 'S', of 4 bytes: the member's whole length (header,
 * deflate data and trailer), little-endian. gzip, zlib, nibabel, niftilib
 * and ITK skip extra fields they do not know. Its trailer's ISIZE tells
 * where its bytes go in the output, so the output offsets are known before
 * anything is inflated; each member's CRC-32 is checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "gz.h"
#include "medseg/threads.h"

#define HEAD 20     /* 10 fixed + XLEN (2) + subfield header (4) + length (4) */
#define TAIL 8      /* CRC-32, ISIZE */

/* A member's first 16 bytes: magic, deflate, FLG = FEXTRA, no time, XFL 0,
 * OS Unix, XLEN 8, subfield 'M' 'S' of 4 bytes. */
static const unsigned char head[16] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, 8, 0, 'M', 'S', 4, 0};

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

size_t ms_gzm_bound(struct libdeflate_compressor *c, size_t n)
{
    return libdeflate_deflate_compress_bound(c, n) + HEAD + TAIL;
}

size_t ms_gzm_compress(struct libdeflate_compressor *c, const unsigned char *in, size_t n, unsigned char *out,
                       size_t cap)
{
    if (cap < HEAD + TAIL || n > UINT32_MAX) return 0;
    size_t raw = libdeflate_deflate_compress(c, in, n, out + HEAD, cap - HEAD - TAIL);
    size_t total = HEAD + raw + TAIL;
    if (!raw || total > UINT32_MAX) return 0;
    memcpy(out, head, sizeof head);
    put_le32(out + 16, (uint32_t)total);
    put_le32(out + HEAD + raw, libdeflate_crc32(0, in, n));
    put_le32(out + HEAD + raw + 4, (uint32_t)n);
    return total;
}

typedef struct {
    size_t at, len, to, size;   /* member at in[at..at+len) inflates to out[to..to+size) */
} member;

/* The length a member's header states, or 0 when it is not such a header. */
static size_t stated_length(const unsigned char *p, size_t left)
{
    if (left < HEAD + TAIL || memcmp(p, head, 4) != 0 || memcmp(p + 10, head + 10, 6) != 0) return 0;
    size_t len = le32(p + 16);
    return len >= HEAD + TAIL && len <= left ? len : 0;
}

/* Every member of in[0..len), all of them stating their length, whose
 * ISIZEs add up to exactly want; 0 otherwise. */
static size_t index_members(const unsigned char *in, size_t len, size_t want, member **out)
{
    size_t n = 0, cap = 0, pos = 0, to = 0;
    member *m = NULL;
    while (pos < len) {
        size_t l = stated_length(in + pos, len - pos);
        size_t size = l ? le32(in + pos + l - 4) : 0;
        if (!l || size > want - to) break;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            member *g = realloc(m, cap * sizeof *m);
            if (!g) break;
            m = g;
        }
        m[n++] = (member){pos, l, to, size};
        pos += l, to += size;
    }
    if (pos != len || to != want || n == 0) {
        free(m);
        return 0;
    }
    *out = m;
    return n;
}

typedef struct {
    const unsigned char *in;
    unsigned char *out;
    const member *m;
    int failed;
} inflate_job;

static void inflate_range(void *ctx, size_t b, size_t e)
{
    inflate_job *j = ctx;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    for (size_t i = b; i < e; i++) {
        const member *m = &j->m[i];
        const unsigned char *tail = j->in + m->at + m->len - TAIL;
        size_t got = 0;
        int ok = d && libdeflate_deflate_decompress(d, j->in + m->at + HEAD, m->len - HEAD - TAIL, j->out + m->to,
                                                     m->size, &got) == LIBDEFLATE_SUCCESS;
        ok = ok && got == m->size && libdeflate_crc32(0, j->out + m->to, m->size) == le32(tail);
        if (!ok) __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
    }
    if (d) libdeflate_free_decompressor(d);
}

int ms_gzm_inflate(const unsigned char *in, size_t len, unsigned char *out, size_t want)
{
    member *m = NULL;
    size_t n = index_members(in, len, want, &m);
    if (!n) return 0;
    inflate_job j = {in, out, m, 0};
    ms_parallel_for(n, 4, inflate_range, &j);
    free(m);
    return !j.failed;
}
