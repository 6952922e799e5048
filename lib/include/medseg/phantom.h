/* Deterministic synthetic volumes for demos, tests and benchmarks. */
#ifndef MEDSEG_PHANTOM_H
#define MEDSEG_PHANTOM_H

#include <stdint.h>
#include "volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_phantom_grid {
    int64_t size[3];
    double spacing[3];      /* mm; the grid is axial, centred on the origin */
    uint64_t seed;
} ms_phantom_grid;

typedef enum { MS_NODULE_SOLID = 0, MS_NODULE_PART_SOLID, MS_NODULE_GGO } ms_nodule_type;

typedef struct ms_nodule_truth {
    double center_lps[3];   /* mm */
    double center_ijk[3];
    double diameter_mm;
    ms_nodule_type type;
    int juxtapleural;       /* touches the pleura */
} ms_nodule_truth;

const char *ms_nodule_type_name(ms_nodule_type t);

/* Chest CT in HU (int16): body, fat, muscle, spine, lungs, heart, trachea and
 * main bronchi, vessel trees, and up to n_nodules nodules (fewer when the
 * lungs are too small for them: *n_placed says). `labels` gets nodule i as
 * label i+1. `nodules` must hold n_nodules entries. */
ms_status ms_phantom_chest(const ms_phantom_grid *g, int n_nodules, ms_volume *ct, ms_volume *labels,
                           ms_nodule_truth *nodules, int *n_placed);

/* Heart-like label map (uint8): 1 myocardium, 2 LA, 3 LV, 4 RA, 5 RV,
 * 6 aorta, 7 pulmonary artery, 8 LA appendage, 9 coronary arteries,
 * 10 pulmonary veins; classes above n_classes are left out. */
ms_status ms_phantom_heart(const ms_phantom_grid *g, int n_classes, ms_volume *labels);

/* Soft-tissue CT (int16 HU) with one irregular lesion and its mask. */
ms_status ms_phantom_lesion(const ms_phantom_grid *g, ms_volume *ct, ms_volume *mask);

#ifdef __cplusplus
}
#endif
#endif
