/* Running many inputs as shards of one list (medseg(1), "Running many
 * inputs"): which inputs a shard owns. */
#ifndef MEDSEG_SHARD_H
#define MEDSEG_SHARD_H

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_shard {
    int index, count;   /* count 1: everything */
} ms_shard;

/* "I/N" with 0 <= I < N, or "slurm": the array task's index from
 * SLURM_ARRAY_TASK_ID (counted from SLURM_ARRAY_TASK_MIN) and N from
 * SLURM_ARRAY_TASK_COUNT (else MAX - MIN + 1). NULL: one shard, all. */
ms_status ms_shard_parse(const char *spec, ms_shard *s);

/* Whether shard s owns the input named `name`: FNV-1a of the name modulo
 * N, so the partition depends only on the names, never on their order or
 * on which other inputs the list holds. */
int ms_shard_owns(const ms_shard *s, const char *name);

#ifdef __cplusplus
}
#endif
#endif
