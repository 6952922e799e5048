#include "medseg/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>

static _Thread_local char last_msg[1024];

ms_status ms_fail(ms_status st, const char *fmt, ...)
{
    /* Formatted aside first: callers often wrap ms_last_error() itself. */
    char msg[sizeof last_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_msg, msg, sizeof msg);
    return st;
}

const char *ms_last_error(void) { return last_msg[0] ? last_msg : "unknown error"; }
void ms_clear_error(void) { last_msg[0] = '\0'; }

const char *ms_status_name(ms_status st)
{
    switch (st) {
    case MS_OK: return "ok";
    case MS_ERR_USAGE: return "usage error";
    case MS_ERR_INPUT: return "bad input";
    case MS_ERR_IO: return "I/O error";
    case MS_ERR_NOMEM: return "out of memory";
    case MS_ERR_NODEVICE: return "no device";
    case MS_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

int ms_status_exit_code(ms_status st)
{
    switch (st) {
    case MS_OK: return 0;
    case MS_ERR_USAGE: return 2;
    case MS_ERR_INPUT: return 3;
    default: return 1;
    }
}

int ms_mul_size(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r)) return 0;
    *out = r;
    return 1;
}

int ms_mul3_size(size_t a, size_t b, size_t c, size_t *out)
{
    size_t ab;
    return ms_mul_size(a, b, &ab) && ms_mul_size(ab, c, out);
}

int ms_add_size(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r)) return 0;
    *out = r;
    return 1;
}

ms_status ms_alloc_array(void **out, size_t n, size_t sz, int zero, const char *what)
{
    size_t bytes;
    if (!ms_mul_size(n, sz, &bytes))
        return ms_fail(MS_ERR_NOMEM, "%s: size %zu x %zu bytes overflows", what, n, sz);
    void *p = zero ? calloc(n ? n : 1, sz ? sz : 1) : malloc(bytes ? bytes : 1);
    if (!p)
        return ms_fail(MS_ERR_NOMEM, "%s: cannot allocate %zu bytes", what, bytes);
    *out = p;
    return MS_OK;
}

ms_status ms_alloc_big(void **out, size_t n, size_t sz, const char *what)
{
    size_t bytes, align = (size_t)2 << 20;
    if (!ms_mul_size(n, sz, &bytes))
        return ms_fail(MS_ERR_NOMEM, "%s: size %zu x %zu bytes overflows", what, n, sz);
    if (bytes < align) return ms_alloc_array(out, n, sz, 0, what);
    if (posix_memalign(out, align, bytes)) {
        *out = NULL;
        return ms_fail(MS_ERR_NOMEM, "%s: cannot allocate %zu bytes", what, bytes);
    }
    madvise(*out, bytes, MADV_HUGEPAGE);
    return MS_OK;
}
