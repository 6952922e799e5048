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

double dicom_dot(const double a[3], const double b[3]);
int dicom_cmp_double(const void *a, const void *b);   /* qsort of doubles, ascending */
/* g->r, g->c and the normal g->n from h0's orientation (axial without
 * one); exit 3 when it is not two orthogonal vectors. */
ms_status dicom_axes(const char *path, const ms_dcm_header *h0, geometry *g);
/* Gives v the affine of g (columns r, c, d scaled by h0's pixel spacing
 * and g->step) with its origin at h0's position; exit 3, v freed, when
 * that affine is unusable. */
ms_status dicom_set_affine(const char *path, const geometry *g, const ms_dcm_header *h0, ms_volume *v);

/* Reads the n slices (in order) into v: staged in the narrowest type,
 * rescaled, and interpolated onto an even grid when g says so. */
ms_status dicom_read_stack(const char *path, slice *sl, int n, const geometry *g, ms_volume *v);

#endif
