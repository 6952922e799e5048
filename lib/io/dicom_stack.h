/* Internal to lib/io: the slices of a DICOM series, ordered in space
 * (dicom_series.c), and their pixels read into one volume (dicom_stack.c). */
#ifndef MEDSEG_IO_DICOM_STACK_H
#define MEDSEG_IO_DICOM_STACK_H

#include "dcm_shim.h"
#include "medseg/volume.h"

typedef struct {
    const ms_dcm_header *h;
    const char *path;
    double t;        /* position along the normal */
} slice;

/* The stacking line: row, column, normal and stacking directions, the
 * output step, each input slice's position along it, the output count. */
typedef struct {
    double r[3], c[3], n[3], d[3];
    double step;
    double *u;        /* position of each input slice along d, from the first */
    int n_out;
} geometry;

/* Reads the n slices (in order) into v: staged in the narrowest type,
 * rescaled, and interpolated onto an even grid when g says so. */
ms_status dicom_read_stack(const char *path, slice *sl, int n, const geometry *g, ms_volume *v);

#endif
