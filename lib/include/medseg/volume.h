/* The volume type: a 3-D grid (x fastest), its dtype and its geometry. */
#ifndef MEDSEG_VOLUME_H
#define MEDSEG_VOLUME_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ms_dtype {
    MS_U8 = 0, MS_I16, MS_U16, MS_I32, MS_F32, MS_F64, MS_DTYPE_COUNT
} ms_dtype;

typedef struct ms_volume {
    int64_t dim[3];          /* nx, ny, nz */
    ms_dtype dtype;
    void *data;              /* dim[0]*dim[1]*dim[2] elements */
    double spacing[3];       /* mm: lengths of the affine's columns */
    double affine[4][4];     /* voxel (i,j,k,1) -> LPS mm */
    void *nifti;             /* header it came from (nifti_image*), or NULL */
    const struct ms_header_ops *nifti_ops;   /* how to copy and free it (set by its reader) */
    int64_t nonfinite;       /* NaN or infinite voxels of the file (read as 0 unless kept) */
} ms_volume;

/* Copy and free of a source header: the reader that attaches one says how,
 * so the core depends on no file format. */
typedef struct ms_header_ops {
    void *(*copy)(const void *hdr);
    void (*free)(void *hdr);
} ms_header_ops;

const char *ms_dtype_name(ms_dtype t);
size_t ms_dtype_size(ms_dtype t);
int ms_dtype_parse(const char *s, ms_dtype *out);   /* returns 0 if unknown */
int ms_dtype_is_integer(ms_dtype t);
void ms_dtype_range(ms_dtype t, double *lo, double *hi);

/* Largest volume accepted before allocation; 0 restores the build default. */
void ms_set_voxel_limit(uint64_t n);
uint64_t ms_voxel_limit(void);

/* Number of voxels and bytes with overflow and limit checks; `what` names
 * the file or object in the error message. */
ms_status ms_volume_size(const int64_t dim[3], ms_dtype t, size_t *nvox,
                         size_t *nbytes, const char *what);

/* Allocates zeroed data; geometry is identity with unit spacing. */
ms_status ms_volume_alloc(ms_volume *v, const int64_t dim[3], ms_dtype t, const char *what);
void ms_volume_free(ms_volume *v);
size_t ms_volume_nvox(const ms_volume *v);

/* Sets affine and recomputes spacing from it. */
void ms_volume_set_affine(ms_volume *v, const double a[4][4]);
/* Refuses (MS_ERR_INPUT, naming `what`) a voxel-to-world matrix that holds
 * NaN or infinity, a voxel spacing outside MS_SPACING_MIN..MS_SPACING_MAX
 * mm, or voxel axes so nearly parallel that the matrix is singular. */
#define MS_SPACING_MIN 1e-4
#define MS_SPACING_MAX 1e4
ms_status ms_affine_check(const double a[4][4], const char *what);
/* Refuses (MS_ERR_INPUT) a label map or mask holding NaN or infinity (in
 * memory, or in the file it was read from: see `nonfinite`), which no
 * label can match and no threshold can place. */
ms_status ms_label_map_check(const ms_volume *v, const char *what);
/* Copies dims, geometry and the source header of `like` (not its data). */
ms_status ms_volume_like(ms_volume *out, const ms_volume *like, ms_dtype t);
/* The same with data left unset (huge-page backed when large), for
 * producers that write every voxel. */
ms_status ms_volume_like_raw(ms_volume *out, const ms_volume *like, ms_dtype t);

/* One voxel through a switch on the type: for tests and cold code. Hot
 * loops use the span readers and writers below (one switch a call). */
double ms_volume_get(const ms_volume *v, size_t idx);
void ms_volume_set(ms_volume *v, size_t idx, double value);

/* n voxels from index `at`, `stride` apart (may be negative), as double
 * or float. */
void ms_volume_read_f64(const ms_volume *v, size_t at, ptrdiff_t stride, size_t n, double *out);
void ms_volume_read_f32(const ms_volume *v, size_t at, ptrdiff_t stride, size_t n, float *out);
/* n contiguous voxels from index `at` := in (C conversion to v's type, as
 * ms_volume_set). */
void ms_volume_write_f64(ms_volume *v, size_t at, size_t n, const double *in);

/* Converts to dtype t, rounding to nearest and clamping; *clamped counts
 * voxels that did not fit. */
ms_status ms_volume_cast(ms_volume *out, const ms_volume *in, ms_dtype t, size_t *clamped);

void ms_volume_minmax(const ms_volume *v, double *lo, double *hi);
/* Label maps must hold whole numbers: returns 1 and the first offending
 * value (fraction, NaN or infinity) in *bad, else 0. */
int ms_volume_find_fraction(const ms_volume *v, double *bad);

/* Voxel index (i,j,k) to LPS mm through the affine. */
void ms_voxel_to_world(const ms_volume *v, const double ijk[3], double xyz[3]);
/* LPS mm -> continuous voxel index through the inverse of the affine's 3x3
 * part; returns 0 when that part is singular. */
int ms_world_to_voxel(const ms_volume *v, const double xyz[3], double ijk[3]);
/* Axis codes such as "LPS": for each voxel axis the anatomical direction
 * it increases toward (nibabel's convention). */
void ms_orientation_code(const double affine[4][4], char code[4]);

#ifdef __cplusplus
}
#endif
#endif
