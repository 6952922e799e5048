/* Peak-memory estimates against a limit derived from the machine. */
#ifndef MEDSEG_MEMORY_H
#define MEDSEG_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The limit: this fraction of the physical memory. */
#define MS_MEMORY_FRACTION 0.8

uint64_t ms_memory_limit(void);
/* An explicit --max-voxels turns the memory check off (the user knows). */
void ms_memory_override(int on);
/* MS_ERR_NOMEM (exit 1) naming `what`, the estimate and the limit when
 * `bytes` exceeds the limit. */
ms_status ms_memory_check(double bytes, const char *what);
/* What the running command will need beyond an input volume it reads, per
 * input voxel and per mm^3 of it (work on a fixed mm grid); the readers
 * check it from the header, before reading the voxels. */
void ms_memory_set_input_cost(double per_voxel, double per_mm3);
ms_status ms_memory_check_input(uint64_t nvox, size_t voxel_bytes, double voxel_mm3, const char *what);

#ifdef __cplusplus
}
#endif
#endif
