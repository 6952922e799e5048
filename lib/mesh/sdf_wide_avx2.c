/* The wide-tree queries built for AVX2 (see sdf_wide.c); without FMA, so
 * every product rounds as in the default copy. */
#define SDF_WIDE_QUERY ms_sdf_query_wide_avx2
#define SDF_WIDE_NEAREST ms_sdf_nearest_wide_avx2
#include "sdf_wide.c"
