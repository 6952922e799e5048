/* Small text inputs (JSON prompts, model cards, reports) read whole. */
#ifndef MEDSEG_TEXTFILE_H
#define MEDSEG_TEXTFILE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MS_TEXT_OK = 0, MS_TEXT_MISSING, MS_TEXT_TOO_BIG, MS_TEXT_NOMEM } ms_text_why;

/* The file's bytes, NUL-terminated (malloc'd), when it holds at most max
 * bytes; else NULL and *why says why. Callers word the message. */
char *ms_read_text(const char *path, size_t max, ms_text_why *why);

#ifdef __cplusplus
}
#endif
#endif
