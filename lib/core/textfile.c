#include "medseg/textfile.h"

#include <stdio.h>
#include <stdlib.h>

char *ms_read_text(const char *path, size_t max, ms_text_why *why)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *why = MS_TEXT_MISSING;
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    int too_big = buf && n == max && fgetc(f) != EOF;
    int bad = ferror(f);
    fclose(f);
    *why = !buf ? MS_TEXT_NOMEM : too_big ? MS_TEXT_TOO_BIG : bad ? MS_TEXT_MISSING : MS_TEXT_OK;
    if (*why) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}
