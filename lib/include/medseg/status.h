/* Status codes and the one error message a failing library call leaves. */
#ifndef MEDSEG_STATUS_H
#define MEDSEG_STATUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ms_status {
    MS_OK = 0,
    MS_ERR_USAGE,     /* caller asked for something that makes no sense */
    MS_ERR_INPUT,     /* input data is bad: corrupt, truncated, absurd */
    MS_ERR_IO,        /* the system refused: open, write, rename */
    MS_ERR_NOMEM,     /* allocation failed or size refused */
    MS_ERR_NODEVICE,  /* --device cuda without a usable GPU */
    MS_ERR_INTERNAL   /* a bug or a library failure we did not expect */
} ms_status;

/* Records the message for the calling thread and returns st, so that
 * `return ms_fail(MS_ERR_INPUT, "%s: ...", path);` reads naturally. */
ms_status ms_fail(ms_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *ms_last_error(void);
void ms_clear_error(void);
const char *ms_status_name(ms_status st);

/* Exit code for the CLI: 0 ok, 1 runtime, 2 usage, 3 bad input. */
int ms_status_exit_code(ms_status st);

/* Overflow-checked size arithmetic: return 0 and leave *out untouched when
 * the result does not fit. */
int ms_mul_size(size_t a, size_t b, size_t *out);
int ms_mul3_size(size_t a, size_t b, size_t c, size_t *out);
int ms_add_size(size_t a, size_t b, size_t *out);

/* malloc/calloc of n items of size sz, failing with MS_ERR_NOMEM and a
 * message naming `what`. */
ms_status ms_alloc_array(void **out, size_t n, size_t sz, int zero, const char *what);

/* Like ms_alloc_array without zeroing, for buffers of hundreds of MB that
 * the caller fills at once: 2 MB aligned and marked for transparent huge
 * pages, which cuts first-touch page faults by 512x. Free with free(). */
ms_status ms_alloc_big(void **out, size_t n, size_t sz, const char *what);

#ifdef __cplusplus
}
#endif
#endif
