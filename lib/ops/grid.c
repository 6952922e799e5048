/* Output grids for resampling and the voxel-to-voxel map between grids. */
#include <math.h>
#include <string.h>

#include "medseg/resample.h"

/* Inverse of an affine 4x4 (last row 0 0 0 1) via its 3x3 block. */
static int affine_inverse(const double a[4][4], double r[4][4])
{
    double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                 + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    if (!isfinite(det) || fabs(det) < 1e-12) return 0;
    double inv[3][3] = {
        {a[1][1] * a[2][2] - a[1][2] * a[2][1], a[0][2] * a[2][1] - a[0][1] * a[2][2], a[0][1] * a[1][2] - a[0][2] * a[1][1]},
        {a[1][2] * a[2][0] - a[1][0] * a[2][2], a[0][0] * a[2][2] - a[0][2] * a[2][0], a[0][2] * a[1][0] - a[0][0] * a[1][2]},
        {a[1][0] * a[2][1] - a[1][1] * a[2][0], a[0][1] * a[2][0] - a[0][0] * a[2][1], a[0][0] * a[1][1] - a[0][1] * a[1][0]},
    };
    memset(r, 0, 16 * sizeof(double));
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) r[i][j] = inv[i][j] / det;
        r[i][3] = -(r[i][0] * a[0][3] + r[i][1] * a[1][3] + r[i][2] * a[2][3]);
    }
    r[3][3] = 1;
    return 1;
}

/* Output index i' maps to input index c = centre_in + (i' - centre_out) * r
 * on each axis, which keeps the centre of the field of view. */
static void scaled_grid(const ms_volume *in, const double r[3], const int64_t dim[3], ms_grid *g)
{
    double off[3];
    for (int a = 0; a < 3; a++) off[a] = (double)(in->dim[a] - 1) / 2 - (double)(dim[a] - 1) / 2 * r[a];
    memset(g, 0, sizeof *g);
    memcpy(g->dim, dim, sizeof g->dim);
    for (int row = 0; row < 3; row++) {
        for (int a = 0; a < 3; a++) g->affine[row][a] = in->affine[row][a] * r[a];
        g->affine[row][3] = in->affine[row][3];
        for (int a = 0; a < 3; a++) g->affine[row][3] += in->affine[row][a] * off[a];
    }
    g->affine[3][3] = 1;
}

ms_status ms_grid_from_spacing(const ms_volume *in, const double spacing[3], ms_grid *g)
{
    double r[3];
    int64_t dim[3];
    for (int a = 0; a < 3; a++) {
        if (!(spacing[a] > 0) || !isfinite(spacing[a]))
            return ms_fail(MS_ERR_USAGE, "--spacing: %g is not a positive spacing", spacing[a]);
        if (!(in->spacing[a] > 0)) return ms_fail(MS_ERR_INPUT, "input spacing on axis %d is zero", a);
        r[a] = spacing[a] / in->spacing[a];
        double n = nearbyint((double)in->dim[a] / r[a]);
        if (n > 1e12) return ms_fail(MS_ERR_USAGE, "--spacing %g gives %g voxels on axis %d", spacing[a], n, a);
        dim[a] = n < 1 ? 1 : (int64_t)n;
    }
    scaled_grid(in, r, dim, g);
    return ms_volume_size(g->dim, MS_U8, NULL, NULL, "resampled grid");
}

ms_status ms_grid_from_shape(const ms_volume *in, const int64_t shape[3], ms_grid *g)
{
    double r[3];
    for (int a = 0; a < 3; a++) {
        if (shape[a] < 1) return ms_fail(MS_ERR_USAGE, "--shape: %lld is not a positive size", (long long)shape[a]);
        r[a] = (double)in->dim[a] / (double)shape[a];
    }
    scaled_grid(in, r, shape, g);
    return ms_volume_size(g->dim, MS_U8, NULL, NULL, "resampled grid");
}

void ms_grid_of(const ms_volume *ref, ms_grid *g)
{
    memcpy(g->dim, ref->dim, sizeof g->dim);
    memcpy(g->affine, ref->affine, sizeof g->affine);
}

ms_status ms_resample_map(const ms_volume *in, const ms_grid *g, double m[12])
{
    double inv[4][4];
    if (!affine_inverse(in->affine, inv)) return ms_fail(MS_ERR_INPUT, "input affine is singular");
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += inv[r][k] * g->affine[k][c];
            m[r * 4 + c] = s;
        }
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            if (r != c && fabs(m[r * 4 + c]) < 1e-9) m[r * 4 + c] = 0;
    return MS_OK;
}
