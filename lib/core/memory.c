/* The memory budget: commands estimate their peak before the big
 * allocations and refuse (exit 1, with the estimate) what this machine
 * cannot hold, instead of being killed part way or swapping for minutes. */
#include "medseg/memory.h"

#include <unistd.h>

#include "medseg/status.h"

static int overridden;
static double input_per_voxel, input_per_mm3;

void ms_memory_set_input_cost(double per_voxel, double per_mm3)
{
    input_per_voxel = per_voxel;
    input_per_mm3 = per_mm3;
}

ms_status ms_memory_check_input(uint64_t nvox, size_t voxel_bytes, double voxel_mm3, const char *what)
{
    double n = (double)nvox;
    return ms_memory_check(n * ((double)voxel_bytes + input_per_voxel) + n * voxel_mm3 * input_per_mm3, what);
}

void ms_memory_override(int on) { overridden = on; }

uint64_t ms_memory_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || size <= 0) return UINT64_MAX;
    return (uint64_t)((double)pages * (double)size * MS_MEMORY_FRACTION);
}

ms_status ms_memory_check(double bytes, const char *what)
{
    if (overridden) return MS_OK;
    double limit = (double)ms_memory_limit();
    if (bytes <= limit) return MS_OK;
    return ms_fail(MS_ERR_NOMEM,
                   "%s: needs about %.1f GB, more than the limit of %.1f GB (%.0f%% of this machine's memory); "
                   "--max-voxels overrides the limit",
                   what, bytes / 1e9, limit / 1e9, MS_MEMORY_FRACTION * 100);
}
