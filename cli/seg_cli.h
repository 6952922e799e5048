/* What segment and propagate share on the command line: prompt options,
 * choosing the segmenter, JSON reports and --on-error blank. */
#ifndef MEDSEG_CLI_SEG_H
#define MEDSEG_CLI_SEG_H

#include <cjson/cJSON.h>

#include "opt.h"
#include "medseg/model.h"
#include "medseg/seg.h"

typedef struct seg_method {
    ms_model *model;        /* NULL: the classical graph cut */
    ms_seg2d_fn fn;
    void *ctx;
    int has_window;
    double window[2];       /* center, width */
} seg_method;

/* --box and repeated --point into *p (usage errors as MS_ERR_USAGE). */
ms_status seg_parse_prompt(const char *box, const opt_list *points, ms_prompt *p);
/* --model and --window into a method; the model is loaded and checked.
 * explicit_cuda: the user said --device cuda (no CPU fallback). */
ms_status seg_method_open(seg_method *m, const char *model, const char *window, ms_device dev, int explicit_cuda);
void seg_method_close(seg_method *m);
/* Reads slice k and applies the classical method's window. */
ms_status seg_slice(const seg_method *m, const ms_volume *img, ms_axis a, int64_t k, ms_slice *s);
/* Writes the JSON report to path ("-": stdout), atomically. */
ms_status seg_write_json(const char *path, cJSON *o);
/* --on-error blank: an empty mask with the image's geometry and a report
 * with the error, so callers that always need a file get one. */
ms_status seg_write_blank(const ms_volume *img, const char *out, const char *json, const char *command);
/* What segment and propagate do once the image is read and the method
 * open; MS_ERR_INPUT from it becomes a blank output under --on-error blank. */
typedef ms_status (*seg_image_fn)(void *ctx, const char *in, const ms_volume *img, const seg_method *m,
                                  ms_device dev);

typedef struct seg_run_opts {
    const char *command, *model, *window, *output, *json;
    int blank;
} seg_run_opts;

/* Resolves --device, opens the method, reads IMAGE, runs fn, cleans up. */
ms_status seg_run(const char *in, const seg_run_opts *o, seg_image_fn fn, void *ctx);
/* Parses --on-error; returns 1 for blank, 0 for fail, -1 if unknown. */
int seg_on_error_mode(const char *s);

#endif
