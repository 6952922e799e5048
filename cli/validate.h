/* medseg validate: the three modes share one option table (cmd_validate.c). */
#ifndef MEDSEG_CLI_VALIDATE_H
#define MEDSEG_CLI_VALIDATE_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "medseg/metrics.h"

typedef struct validate_opts {
    const char *pred, *ref, *labels, *exclude, *scans, *plot, *csv, *shard;
    int bootstrap, seed, max_marks, json;
    double threshold;
} validate_opts;

ms_status validate_seg(const validate_opts *o);
/* One prediction against one reference: metrics of each label (of
 * label_list, else every label present), malloc'd; spacing may be NULL. */
ms_status validate_seg_pair(const char *pred, const char *ref, const char *label_list, ms_seg_metrics **m, int *n,
                            double spacing[3]);
/* One metrics row: label, dice ... empty, fields joined by sep (width 0:
 * CSV; else a table column width). */
void validate_seg_row(FILE *fp, const ms_seg_metrics *m, const char *sep, int width);
/* --pred and --ref folders: one row per case and label, then the means
 * (validate_seg_dirs.c). */
ms_status validate_seg_dirs(const validate_opts *o);
int validate_is_dir(const char *path);
ms_status validate_detect(const validate_opts *o);
ms_status validate_classify(const validate_opts *o);

/* Prints the JSON document on stdout. */
void validate_print_json(cJSON *doc);
/* NaN -> "nan", infinities -> "inf"/"-inf", else %.10g, for tables and CSV. */
const char *validate_num(double v, char buf[32]);
/* The same with four decimals, for tables people read. */
const char *validate_short(double v, char buf[32]);

#endif
