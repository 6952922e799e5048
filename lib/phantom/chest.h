/* Internal: the chest phantom's anatomy, shared by chest.c (body, lungs,
 * airways, vessels) and chest_nodules.c (nodule placement). */
#ifndef MEDSEG_PHANTOM_CHEST_H
#define MEDSEG_PHANTOM_CHEST_H

#include "shapes.h"

typedef struct {
    double W, D, H;            /* body half-width and half-depth; half-height of the grid (mm) */
    vec3 lung_c[2], lung_r;
    vec3 heart_c, heart_r;
} anatomy;

double ellip(vec3 p, vec3 c, vec3 r);   /* < 1 inside the ellipsoid */
int in_lung(const anatomy *a, vec3 p);

/* Places up to n nodules in the lungs and paints them into ct (float HU)
 * and labels; returns how many fitted. */
int place_nodules(ms_volume *ct, ms_volume *labels, const anatomy *a, uint64_t seed, int n, ms_nodule_truth *out);

#endif
