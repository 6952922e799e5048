/* Shared by the libFuzzer harnesses: the input is written to a file (the
 * readers take paths), logging is silenced, errors are expected. */
#ifndef MEDSEG_FUZZ_COMMON_H
#define MEDSEG_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "medseg/log.h"
#include "medseg/threads.h"
#include "medseg/volume.h"

/* A per-process scratch directory, made once. */
static inline const char *fuzz_dir(void)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/medseg-fuzz-%d", (int)getpid());
        mkdir(dir, 0700);
        ms_log_set_level(MS_LOG_ERROR);
        ms_threads_set(1);   /* one input at a time: no thread pool to start */
        /* Inputs may claim huge grids; the fuzzer's own memory limit
         * (-rss_limit_mb) is the one that should never be reached. */
        ms_set_voxel_limit((uint64_t)1 << 24);
    }
    return dir;
}

static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    static char path[160];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return path;
}

#endif
