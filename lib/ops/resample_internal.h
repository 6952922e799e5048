/* Shared state of the CPU resampler: one job, rows computed in double. */
#ifndef MEDSEG_RESAMPLE_INTERNAL_H
#define MEDSEG_RESAMPLE_INTERNAL_H

#include "medseg/resample.h"

typedef struct rs_job {
    const ms_volume *in;
    ms_interp interp;
    int labels;
    double fill;
    double m[12];
    int diagonal;          /* m has no off-diagonal terms: separable path */
    const float *coef;     /* cubic B-spline coefficients */
    int64_t odim[3];
    /* separable path: per output x */
    int64_t *x0;           /* nearest/linear first index, cubic first of 4 */
    int64_t *x1;           /* linear second index */
    double *xw;            /* linear: weight of x1; cubic: 4 weights */
    uint8_t *xin;          /* inside on x */
} rs_job;

/* Computes output row (j,k) into row[odim[0]]; tmp has in->dim[0] doubles. */
void rs_row_separable(const rs_job *j, int64_t oj, int64_t ok, double *row, double *tmp);
void rs_row_general(const rs_job *j, int64_t oj, int64_t ok, double *row);

#endif
