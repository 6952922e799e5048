/* A series' pixels: stored values staged narrow, then rescaled to HU.
 *
 * Uncompressed little-endian files (most CT archives) end with the pixel
 * data element, so the header pass (DCMTK, up to Pixel Data) already knows
 * everything but where the values start: the element's tag and length sit
 * right before the last rows*cols*bytes of the file. Those values are read
 * there into the stack itself and unpacked in place; DCMTK's full load
 * (a second parse and a copy of every slice) is kept for compressed
 * syntaxes and for files that end otherwise. */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dicom_pixels.h"
#include "medseg/memory.h"

static int stored_bits(const ms_dcm_header *h)
{
    int width = h->bits_alloc == 8 ? 8 : h->bits_alloc == 32 ? 32 : 16;
    return h->bits_stored > 0 && h->bits_stored <= width ? h->bits_stored : width;
}

ms_dtype ms_dcm_stage_type(const ms_dcm_header *const *h, int n)
{
    int any_signed = 0, wide_unsigned = 0, any_32 = 0;
    for (int s = 0; s < n; s++) {
        any_signed |= h[s]->pixel_rep == 1;
        wide_unsigned |= h[s]->pixel_rep != 1 && stored_bits(h[s]) == 16;
        any_32 |= stored_bits(h[s]) > 16;
    }
    return any_32 ? MS_I32 : wide_unsigned ? (any_signed ? MS_I32 : MS_U16) : MS_I16;
}

/* (r ^ sign) - sign sign-extends a `bits`-wide two's complement value
 * without a branch, so the loops vectorise. */
#define UNPACK(S, T)                                                            \
    do {                                                                        \
        const S *s_ = src;                                                      \
        T *d_ = dst;                                                            \
        if (is_signed)                                                          \
            for (size_t i = 0; i < n; i++)                                      \
                d_[i] = (T)((((int32_t)s_[i] & mask) ^ sign) - sign);           \
        else                                                                    \
            for (size_t i = 0; i < n; i++) d_[i] = (T)((int32_t)s_[i] & mask);  \
    } while (0)

/* src holds n stored samples of `bytes` bytes (4: 32-bit samples, taken
 * as they are); dst may be src when the stage is as wide. */
static void unpack(const void *src, int bytes, const ms_dcm_header *h, size_t n, void *dst, ms_dtype stage)
{
    int bits = bytes == 4 ? 32 : stored_bits(h), is_signed = bytes != 4 && h->pixel_rep == 1;
    int32_t mask = bits == 32 ? -1 : (int32_t)((1u << bits) - 1u), sign = bits == 32 ? 0 : (int32_t)(1u << (bits - 1));
    if (bytes == 1) {
        if (stage == MS_I16) UNPACK(uint8_t, int16_t);
        else if (stage == MS_U16) UNPACK(uint8_t, uint16_t);
        else UNPACK(uint8_t, int32_t);
    } else if (bytes == 2) {
        if (stage == MS_I16) UNPACK(uint16_t, int16_t);
        else if (stage == MS_U16) UNPACK(uint16_t, uint16_t);
        else UNPACK(uint16_t, int32_t);
    } else {
        if (stage == MS_I16) UNPACK(int32_t, int16_t);
        else if (stage == MS_U16) UNPACK(int32_t, uint16_t);
        else UNPACK(int32_t, int32_t);
    }
}
#undef UNPACK

static int read_full(int fd, void *buf, size_t len, off_t at)
{
    for (size_t got = 0; got < len;) {
        ssize_t r = pread(fd, (char *)buf + got, len - got, at + (off_t)got);
        if (r <= 0) return 0;
        got += (size_t)r;
    }
    return 1;
}

/* The offset of the pixel values when the file ends with a native
 * little-endian Pixel Data element of exactly the expected length; -1
 * otherwise (the caller then lets DCMTK find them). */
static off_t tail_offset(int fd, const ms_dcm_header *h, size_t len)
{
    int implicit = strcmp(h->transfer_syntax, "1.2.840.10008.1.2") == 0;
    if (!implicit && strcmp(h->transfer_syntax, "1.2.840.10008.1.2.1") != 0) return -1;
    size_t padded = len + (len & 1), tag = implicit ? 8 : 12;
    struct stat sb;
    if (padded > UINT32_MAX || fstat(fd, &sb) != 0 || (size_t)sb.st_size < padded + tag) return -1;
    off_t at = sb.st_size - (off_t)padded - (off_t)tag;
    unsigned char t[12];
    if (!read_full(fd, t, tag, at) || memcmp(t, "\xe0\x7f\x10\x00", 4) != 0) return -1;
    if (!implicit && !(t[4] == 'O' && (t[5] == 'W' || t[5] == 'B') && t[6] == 0 && t[7] == 0)) return -1;
    const unsigned char *l = t + tag - 4;
    uint32_t stated = (uint32_t)l[0] | (uint32_t)l[1] << 8 | (uint32_t)l[2] << 16 | (uint32_t)l[3] << 24;
    return stated == padded ? at + (off_t)tag : -1;
}

/* 1 when the native path took the slice (*st then says how it went):
 * frame h->frame of the values at the file's tail. */
static int read_native(const char *path, const ms_dcm_header *h, void *dst, ms_dtype stage, ms_status *st)
{
    if (h->samples != 1 || (h->bits_alloc != 8 && h->bits_alloc != 16 && h->bits_alloc != 32)) return 0;
    int bytes = h->bits_alloc / 8;
    size_t n = (size_t)h->rows * (size_t)h->cols, len = n * (size_t)bytes, all;
    if (__builtin_mul_overflow(len, (size_t)h->frames, &all)) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    off_t at = tail_offset(fd, h, all);
    int taken = at >= 0;
    if (taken) {
        at += (off_t)((size_t)h->frame * len);
        int in_place = (size_t)bytes == ms_dtype_size(stage);
        void *raw = in_place ? dst : malloc(len);
        if (!raw) *st = ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
        else if (!read_full(fd, raw, len, at)) *st = ms_fail(MS_ERR_INPUT, "%s: pixel data cannot be read", path);
        else {
            unpack(raw, bytes, h, n, dst, stage);
            *st = MS_OK;
        }
        if (!in_place) free(raw);
    }
    close(fd);
    return taken;
}

/* A frame of a compressed multi-frame file: the file is decoded once, into
 * the cache, and each frame unpacked from there (decoding the whole file
 * for every frame would be quadratic). */
static ms_status read_cached_frame(const char *path, const ms_dcm_header *h, void *dst, ms_dtype stage,
                                   ms_dcm_frame_cache *c)
{
    size_t n = (size_t)h->rows * (size_t)h->cols;
    ms_status st = MS_OK;
    pthread_mutex_lock(&c->lock);
    if (!c->path || strcmp(c->path, path) != 0) {
        free(c->path), free(c->values);
        c->path = NULL, c->values = NULL;
        st = ms_alloc_array((void **)&c->values, n, (size_t)h->frames * sizeof *c->values, 0, path);
        if (!st) st = ms_dcm_read_all_frames(path, h, c->values);
        if (!st && !(c->path = strdup(path))) st = ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
        if (st) free(c->values), c->values = NULL;
    }
    if (!st) unpack(c->values + (size_t)h->frame * n, 4, h, n, dst, stage);
    pthread_mutex_unlock(&c->lock);
    return st;
}

void ms_dcm_frame_cache_free(ms_dcm_frame_cache *c)
{
    free(c->path), free(c->values);
    c->path = NULL, c->values = NULL;
}

ms_status ms_dcm_read_slice(const char *path, const ms_dcm_header *h, void *dst, ms_dtype stage,
                            ms_dcm_frame_cache *cache)
{
    ms_status st = MS_OK;
    if (read_native(path, h, dst, stage, &st)) return st;
    if (h->frames > 1 && cache) return read_cached_frame(path, h, dst, stage, cache);
    size_t n = (size_t)h->rows * (size_t)h->cols;
    int32_t *values = NULL;
    st = ms_alloc_array((void **)&values, n, sizeof *values, 0, path);
    if (!st) st = ms_dcm_read_pixels(path, h, values);
    if (!st) unpack(values, 4, h, n, dst, stage);
    free(values);
    return st;
}

/* ---- rescale ---- */

/* The rescaled values' range: each slice's stored range (the core's typed
 * min/max over a view of the slice) through its slope (either sign) and
 * intercept. */
static void u32_minmax(const uint32_t *v, size_t n, double *lo, double *hi)
{
    uint32_t a = n ? v[0] : 0, b = a;
    for (size_t i = 1; i < n; i++) {
        a = v[i] < a ? v[i] : a;
        b = v[i] > b ? v[i] : b;
    }
    *lo = a, *hi = b;
}

static void rescaled_range(const ms_volume *v, const double *m, const double *c, int u32, double *lo, double *hi)
{
    size_t per = (size_t)v->dim[0] * (size_t)v->dim[1], size = ms_dtype_size(v->dtype);
    ms_volume slice = {.dim = {v->dim[0], v->dim[1], 1}, .dtype = v->dtype};
    *lo = INFINITY, *hi = -INFINITY;
    for (int64_t s = 0; s < v->dim[2]; s++) {
        double a, b;
        slice.data = (char *)v->data + (size_t)s * per * size;
        if (u32) u32_minmax(slice.data, per, &a, &b);
        else ms_volume_minmax(&slice, &a, &b);
        double x = a * m[s] + c[s], y = b * m[s] + c[s];
        *lo = fmin(*lo, fmin(x, y)), *hi = fmax(*hi, fmax(x, y));
    }
}

/* Integer rescales in 64-bit integers (exact); others in double. */
#define CONVERT(S, T, INTEGER)                                                       \
    for (int64_t s = 0; s < in->dim[2]; s++) {                                       \
        const S *r_ = (const S *)in->data + (size_t)s * per;                         \
        T *d_ = (T *)out->data + (size_t)s * per;                                    \
        if (INTEGER) {                                                               \
            int64_t mi = (int64_t)m[s], ci = (int64_t)c[s];                          \
            for (size_t i = 0; i < per; i++) d_[i] = (T)((int64_t)r_[i] * mi + ci);  \
        } else {                                                                     \
            double md = m[s], cd = c[s];                                             \
            for (size_t i = 0; i < per; i++) d_[i] = (T)(r_[i] * md + cd);           \
        }                                                                            \
    }

#define CONVERT_TO(T, INTEGER)                                               \
    do {                                                                     \
        if (in->dtype == MS_I16) { CONVERT(int16_t, T, INTEGER) }            \
        else if (in->dtype == MS_U16) { CONVERT(uint16_t, T, INTEGER) }      \
        else if (u32) { CONVERT(uint32_t, T, INTEGER) }                      \
        else { CONVERT(int32_t, T, INTEGER) }                                \
    } while (0)

/* out may share in's buffer when the types are as wide (slice s of out
 * then overwrites exactly slice s of in, element by element). */
static void convert(const ms_volume *in, const double *m, const double *c, int u32, ms_volume *out)
{
    size_t per = (size_t)in->dim[0] * (size_t)in->dim[1];
    switch (out->dtype) {
    case MS_I16: CONVERT_TO(int16_t, 1); break;
    case MS_U16: CONVERT_TO(uint16_t, 1); break;
    case MS_I32: CONVERT_TO(int32_t, 1); break;
    case MS_F32: CONVERT_TO(float, 0); break;
    default: CONVERT_TO(double, 0); break;
    }
}
#undef CONVERT_TO
#undef CONVERT

ms_status ms_dcm_rescale(const char *path, const double *m, const double *c, int u32, ms_volume *stack)
{
    u32 = u32 && stack->dtype == MS_I32;
    int integer = 1, identity = 1;
    for (int64_t s = 0; s < stack->dim[2]; s++) {
        integer &= m[s] == floor(m[s]) && c[s] == floor(c[s]) && fabs(m[s]) < 1e9 && fabs(c[s]) < 1e15;
        identity &= m[s] == 1 && c[s] == 0;
    }
    double lo, hi;
    rescaled_range(stack, m, c, u32, &lo, &hi);
    ms_dtype t = !integer ? MS_F32
               : (lo >= -32768 && hi <= 32767) ? MS_I16
               : (identity && stack->dtype == MS_U16) ? MS_U16
               : (lo >= INT32_MIN && hi <= INT32_MAX) ? MS_I32 : MS_F64;
    if (identity && t == stack->dtype && !u32) return MS_OK;
    if (ms_dtype_size(t) == ms_dtype_size(stack->dtype)) {
        ms_volume out = *stack;
        out.dtype = t;
        convert(stack, m, c, u32, &out);
        stack->dtype = t;
        return MS_OK;
    }
    ms_volume out = {0};
    ms_status st = ms_volume_alloc(&out, stack->dim, t, path);
    if (st) return st;
    convert(stack, m, c, u32, &out);
    ms_volume_free(stack);
    *stack = out;
    return MS_OK;
}
