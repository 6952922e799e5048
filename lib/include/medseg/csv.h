/* CSV (RFC 4180: commas, double-quoted fields, "" inside quotes). */
#ifndef MEDSEG_CSV_H
#define MEDSEG_CSV_H

#include <stdio.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_csv_row {
    char **field;
    int n, cap;
    int line;            /* 1-based line number where the row starts */
} ms_csv_row;

typedef struct ms_csv {
    ms_csv_row *row;
    int n, cap;
} ms_csv;

/* Reads the whole file; blank lines are skipped. Errors name file and line;
 * a NUL byte (which would cut a field short) is an error. */
ms_status ms_csv_read(const char *path, ms_csv *out);
void ms_csv_free(ms_csv *c);
/* Column index of `name` in row 0, or -1. */
int ms_csv_column(const ms_csv *c, const char *name);

/* Writes one field, quoting it when it holds a comma, quote or newline. */
void ms_csv_put(FILE *fp, const char *s, int last);

#ifdef __cplusplus
}
#endif
#endif
