/* medseg validate: the three modes share one option table (cmd_validate.c). */
#ifndef MEDSEG_CLI_VALIDATE_H
#define MEDSEG_CLI_VALIDATE_H

#include <cjson/cJSON.h>

#include "medseg/metrics.h"

typedef struct validate_opts {
    const char *pred, *ref, *labels, *exclude, *scans, *plot, *csv;
    int bootstrap, seed, max_marks, json;
    double threshold;
} validate_opts;

ms_status validate_seg(const validate_opts *o);
ms_status validate_detect(const validate_opts *o);
ms_status validate_classify(const validate_opts *o);

/* Prints the JSON document on stdout. */
void validate_print_json(cJSON *doc);
/* NaN -> "nan", infinities -> "inf"/"-inf", else %.10g, for tables and CSV. */
const char *validate_num(double v, char buf[32]);
/* The same with four decimals, for tables people read. */
const char *validate_short(double v, char buf[32]);

#endif
