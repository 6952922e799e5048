#include "medseg/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static ms_log_level level = MS_LOG_INFO;
static ms_progress_fn progress_fn;

void ms_log_set_level(ms_log_level lvl) { level = lvl; }
ms_log_level ms_log_get_level(void) { return level; }

void ms_log(ms_log_level lvl, const char *fmt, ...)
{
    static const char *prefix[] = {"error: ", "warning: ", "", ""};
    if (lvl > level) return;
    va_list ap;
    va_start(ap, fmt);
    /* One fprintf per line so that lines from parallel jobs do not mix. */
    char line[2048];
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "medseg: %s%s\n", prefix[lvl], line);
}

void ms_progress_set(ms_progress_fn fn) { progress_fn = fn; }

void ms_progress(const char *stage, double fraction)
{
    if (progress_fn) progress_fn(stage, fraction);
}

double ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
