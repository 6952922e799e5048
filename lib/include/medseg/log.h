/* Logging to stderr with levels; the library logs, never prints results. */
#ifndef MEDSEG_LOG_H
#define MEDSEG_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MS_LOG_ERROR = 0, MS_LOG_WARN, MS_LOG_INFO, MS_LOG_DEBUG } ms_log_level;

void ms_log_set_level(ms_log_level lvl);
ms_log_level ms_log_get_level(void);
void ms_log(ms_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ms_warn(...) ms_log(MS_LOG_WARN, __VA_ARGS__)
#define ms_info(...) ms_log(MS_LOG_INFO, __VA_ARGS__)
#define ms_debug(...) ms_log(MS_LOG_DEBUG, __VA_ARGS__)

/* Progress reporting: the library calls ms_progress(done, total) from long
 * loops; the CLI installs a renderer only when stderr is a terminal. */
typedef void (*ms_progress_fn)(const char *stage, double fraction);
void ms_progress_set(ms_progress_fn fn);
void ms_progress(const char *stage, double fraction);

/* Monotonic seconds, for -v stage timings. */
double ms_now(void);

#ifdef __cplusplus
}
#endif
#endif
