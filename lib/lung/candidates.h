/* Internal to lib/lung: the candidate search. */
#ifndef MEDSEG_LUNG_CANDIDATES_H
#define MEDSEG_LUNG_CANDIDATES_H

#include <stdint.h>
#include "medseg/status.h"

typedef struct {
    double pos[3];       /* voxel position on the 1 mm grid */
    double sigma;        /* scale (mm) of the strongest response */
    double response;     /* scale-normalised dot response (HU) */
} ms_blob;

/* hu: float32 HU on a 1 mm grid of dims dim; lung: the lung mask there.
 * Finds bright blobs inside the lungs over scales of 3-30 mm diameter,
 * strongest first after non-maximum suppression, at most max_out. */
ms_status ms_find_blobs(const float *hu, const uint8_t *lung, const int64_t dim[3], int max_out, ms_blob **out,
                        int *n_out);

/* Eigenvalues of a symmetric 3x3 matrix, ascending. */
void ms_eig3_sym(double xx, double yy, double zz, double xy, double xz, double yz, double l[3]);

#endif
