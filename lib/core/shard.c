/* Shards of an input list. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/rng.h"
#include "medseg/shard.h"

static int env_int(const char *name, long *v)
{
    const char *s = getenv(name);
    if (!s || !*s) return 0;
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return !errno && !*end && *v >= 0 && *v <= INT_MAX;
}

static ms_status from_slurm(ms_shard *s)
{
    long id, min = 0, max = -1, count = 0;
    if (!env_int("SLURM_ARRAY_TASK_ID", &id))
        return ms_fail(MS_ERR_USAGE, "--shard slurm: SLURM_ARRAY_TASK_ID is not set (not a job array task?)");
    env_int("SLURM_ARRAY_TASK_MIN", &min);
    if (!env_int("SLURM_ARRAY_TASK_COUNT", &count) || count < 1) {
        if (!env_int("SLURM_ARRAY_TASK_MAX", &max) || max < min)
            return ms_fail(MS_ERR_USAGE, "--shard slurm: neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is set");
        count = max - min + 1;
    }
    if (id < min || id - min >= count)
        return ms_fail(MS_ERR_USAGE, "--shard slurm: task %ld is outside the array's %ld tasks from %ld", id, count, min);
    s->index = (int)(id - min), s->count = (int)count;
    return MS_OK;
}

ms_status ms_shard_parse(const char *spec, ms_shard *s)
{
    s->index = 0, s->count = 1;
    if (!spec) return MS_OK;
    if (strcmp(spec, "slurm") == 0) return from_slurm(s);
    int n = 0;
    if (sscanf(spec, "%d/%d%n", &s->index, &s->count, &n) != 2 || spec[n] || s->count < 1 || s->index < 0 ||
        s->index >= s->count)
        return ms_fail(MS_ERR_USAGE, "--shard must be I/N with 0 <= I < N, or slurm (not '%s')", spec);
    return MS_OK;
}

int ms_shard_owns(const ms_shard *s, const char *name)
{
    if (s->count <= 1) return 1;
    return ms_fnv1a64(0, name, strlen(name)) % (uint64_t)s->count == (uint64_t)s->index;
}
