/* Mesh bookkeeping: freeing, areas, enclosed volume, PLY output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "medseg/atomic_file.h"
#include "medseg/mesh.h"

void ms_mesh_free(ms_mesh *m)
{
    free(m->v);
    free(m->t);
    memset(m, 0, sizeof *m);
}

double ms_mesh_face_normal(const ms_mesh *m, int64_t t, double n[3])
{
    const int32_t *f = &m->t[3 * t];
    const double *a = &m->v[3 * (int64_t)f[0]], *b = &m->v[3 * (int64_t)f[1]], *c = &m->v[3 * (int64_t)f[2]];
    double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    n[0] = u[1] * w[2] - u[2] * w[1];
    n[1] = u[2] * w[0] - u[0] * w[2];
    n[2] = u[0] * w[1] - u[1] * w[0];
    double len = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (int i = 0; i < 3; i++) n[i] = len > 0 ? n[i] / len : 0.0;
    return 0.5 * len;
}

double ms_mesh_area(const ms_mesh *m)
{
    double sum = 0, n[3];
    for (int64_t t = 0; t < m->nt; t++) sum += ms_mesh_face_normal(m, t, n);
    return sum;
}

double ms_mesh_volume(const ms_mesh *m)
{
    double sum = 0;
    for (int64_t t = 0; t < m->nt; t++) {
        const int32_t *f = &m->t[3 * t];
        const double *a = &m->v[3 * (int64_t)f[0]], *b = &m->v[3 * (int64_t)f[1]], *c = &m->v[3 * (int64_t)f[2]];
        sum += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
               a[2] * (b[0] * c[1] - b[1] * c[0]);
    }
    return sum / 6.0;
}

static int write_body(const ms_mesh *m, FILE *fp)
{
    fprintf(fp, "ply\nformat binary_little_endian 1.0\ncomment medseg marching cubes, LPS mm\n"
                "element vertex %lld\nproperty double x\nproperty double y\nproperty double z\n"
                "element face %lld\nproperty list uchar int vertex_indices\nend_header\n",
            (long long)m->nv, (long long)m->nt);
    if (m->nv && fwrite(m->v, sizeof(double) * 3, (size_t)m->nv, fp) != (size_t)m->nv) return 0;
    for (int64_t t = 0; t < m->nt; t++) {
        unsigned char three = 3;
        if (fwrite(&three, 1, 1, fp) != 1 || fwrite(&m->t[3 * t], sizeof(int32_t), 3, fp) != 3) return 0;
    }
    return 1;
}

ms_status ms_mesh_write_ply(const ms_mesh *m, const char *path)
{
    ms_atomic at;
    ms_status st = ms_atomic_begin(&at, path);
    if (st) return st;
    FILE *fp = fopen(at.tmp_path, "wb");
    if (!fp) {
        ms_atomic_abort(&at);
        return ms_fail(MS_ERR_IO, "%s: cannot create", path);
    }
    int ok = write_body(m, fp);
    ok = (fclose(fp) == 0) && ok;
    if (!ok) {
        ms_atomic_abort(&at);
        return ms_fail(MS_ERR_IO, "%s: write failed", path);
    }
    return ms_atomic_commit(&at);
}
