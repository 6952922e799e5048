/* Internal: what the per-label and all-labels scorers share. */
#ifndef MEDSEG_SEG_INTERNAL_METRICS_H
#define MEDSEG_SEG_INTERNAL_METRICS_H

#include "medseg/metrics.h"

/* Overlap and surface distances from two 0/1 masks on pred's grid (NULL
 * masks: both empty). */
ms_status seg_metrics_from_masks(const ms_volume *pred, const uint8_t *pm, const uint8_t *rm, ms_seg_metrics *m);
/* Surface distances from the surfel lists of both directions (distance
 * and area of each surfel). */
void seg_summarise(const double *pd, const double *pa, int64_t pn, const double *rd, const double *ra, int64_t rn,
                   ms_seg_metrics *m);

#endif
