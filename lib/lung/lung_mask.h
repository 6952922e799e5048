/* Internal to lib/lung: the lung-mask stage. */
#ifndef MEDSEG_LUNG_MASK_H
#define MEDSEG_LUNG_MASK_H

#include <stdint.h>
#include "medseg/volume.h"

typedef struct {
    double ml[2];              /* right, left (1 mm^3 voxels) */
    int parts;                 /* lungs found: 0, 1 or 2 */
    double airway_ml;          /* airway removed */
    double airway_threshold;   /* HU it was grown at */
} ms_lung_stats;

/* iso: float32 HU on a 1 mm grid. labels (nvox of iso): 0, 1 right, 2 left. */
ms_status ms_lung_mask_classical(const ms_volume *iso, uint8_t *labels, ms_lung_stats *stats);

#endif
