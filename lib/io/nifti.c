/* NIfTI-1 and NIfTI-2 through niftilib (nifti2_io reads both).
 *
 * Reading uses niftilib for the header and the data. Writing converts the
 * nifti_image to an on-disk header with niftilib and streams header and data
 * ourselves through zlib, because nifti_image_write() reports no errors and a
 * full disk must not leave a truncated file that looks valid. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <nifti2_io.h>

#include "gz.h"
#include "medseg/atomic_file.h"
#include "medseg/io.h"
#include "medseg/log.h"
#include "medseg/memory.h"

static void header_free(void *hdr) { nifti_image_free((nifti_image *)hdr); }
static void *header_copy(const void *hdr) { return nifti_copy_nim_info((const nifti_image *)hdr); }
static const ms_header_ops nifti_header_ops = {header_copy, header_free};

static int nifti_to_dtype(int dt, ms_dtype *out)
{
    switch (dt) {
    case DT_UINT8: *out = MS_U8; return 1;
    case DT_INT16: *out = MS_I16; return 1;
    case DT_UINT16: *out = MS_U16; return 1;
    case DT_INT32: *out = MS_I32; return 1;
    case DT_FLOAT32: *out = MS_F32; return 1;
    case DT_FLOAT64: *out = MS_F64; return 1;
    case DT_INT8: *out = MS_I16; return 1;   /* widened on read */
    default: return 0;
    }
}

static int dtype_to_nifti(ms_dtype t)
{
    static const int map[MS_DTYPE_COUNT] = {DT_UINT8, DT_INT16, DT_UINT16, DT_INT32, DT_FLOAT32, DT_FLOAT64};
    return map[t];
}

/* RAS (NIfTI) <-> LPS (DICOM): negate the first two rows. */
static void ras_lps(const double in[4][4], double out[4][4])
{
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) out[r][c] = (r < 2 ? -1.0 : 1.0) * in[r][c];
}

/* Same precedence as nibabel: sform, then qform, then pixdim scaling. */
static void header_affine_ras(const nifti_image *nim, double ras[4][4])
{
    memset(ras, 0, sizeof(double) * 16);
    if (nim->sform_code > 0) memcpy(ras, nim->sto_xyz.m, sizeof(double) * 16);
    else if (nim->qform_code > 0) memcpy(ras, nim->qto_xyz.m, sizeof(double) * 16);
    else {
        ras[0][0] = nim->dx > 0 ? nim->dx : 1;
        ras[1][1] = nim->dy > 0 ? nim->dy : 1;
        ras[2][2] = nim->dz > 0 ? nim->dz : 1;
        ras[3][3] = 1;
    }
}

static int g_volume = -1, g_keep_nonfinite;

void ms_nifti_set_volume(int index) { g_volume = index; }
void ms_nifti_set_keep_nonfinite(int keep) { g_keep_nonfinite = keep; }

/* Volumes along dim[4] (1 for a 3-D file). */
static int64_t n_volumes(const nifti_image *nim) { return nim->dim[0] >= 4 && nim->dim[4] > 1 ? nim->dim[4] : 1; }

static ms_status check_header(const char *path, const nifti_image *nim, ms_dtype *t)
{
    for (int d = 5; d <= 7; d++)
        if (nim->dim[0] >= d && nim->dim[d] > 1)
            return ms_fail(MS_ERR_INPUT, "%s: %lld-D image (dim[%d]=%lld); only 3-D volumes and 4-D series of them are "
                           "read", path, (long long)nim->dim[0], d, (long long)nim->dim[d]);
    int64_t nt = n_volumes(nim);
    if (nt > 1 && g_volume < 0)
        return ms_fail(MS_ERR_INPUT, "%s: 4-D image of %lld volumes; choose one with --volume N (0..%lld)", path,
                       (long long)nt, (long long)nt - 1);
    if (nt > 1 && g_volume >= nt)
        return ms_fail(MS_ERR_INPUT, "%s: --volume %d is out of range: the image holds volumes 0..%lld", path, g_volume,
                       (long long)nt - 1);
    if (!nifti_to_dtype(nim->datatype, t))
        return ms_fail(MS_ERR_INPUT, "%s: NIfTI datatype %d (%s) is not supported", path,
                       nim->datatype, nifti_datatype_string(nim->datatype));
    int64_t dim[3] = {nim->nx, nim->ny, nim->nz};
    for (int a = 0; a < 3; a++) {
        double px = nim->pixdim[a + 1];
        if (!isfinite(px))
            return ms_fail(MS_ERR_INPUT, "%s: pixdim[%d] is not finite", path, a + 1);
    }

    return ms_volume_size(dim, *t, NULL, NULL, path);
}

/* Integer slope and intercept keep an integer type when the scaled range
 * fits; otherwise float32 (float64 input stays float64). */
static ms_dtype scaled_dtype(ms_dtype src, double slope, double inter, double lo, double hi)
{
    if (src == MS_F64) return MS_F64;
    if (ms_dtype_is_integer(src) && slope == floor(slope) && inter == floor(inter)) {
        double a = lo * slope + inter, b = hi * slope + inter;
        double mn = fmin(a, b), mx = fmax(a, b);
        if (src == MS_U8 && mn >= 0 && mx <= 255) return MS_U8;
        if (mn >= -32768 && mx <= 32767) return MS_I16;
        if (mn >= -2147483648.0 && mx <= 2147483647.0) return MS_I32;
        return MS_F64;
    }
    return MS_F32;
}

static void swap_bytes(unsigned char *p, size_t n, int size)
{
    for (size_t i = 0; i < n; i++, p += size)
        for (int a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* Counts NaN and infinities and, unless they are to be kept, zeroes them
 * (as niftilib would, silently): a label map holding them is refused, an
 * image warned about. */
static int64_t count_nonfinite(void *data, size_t n, int datatype, int zero)
{
    int64_t bad = 0;
    if (datatype == DT_FLOAT32) {
        float *f = data;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(f[i])) f[i] = zero ? 0 : f[i], bad++;
    } else if (datatype == DT_FLOAT64) {
        double *d = data;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(d[i])) d[i] = zero ? 0 : d[i], bad++;
    }
    return bad;
}

/* Keeps volume g_volume of a 4-D file's data (the whole series was read:
 * a gzip stream is read from its start anyway) and makes the header 3-D. */
static void take_volume(const char *path, nifti_image *nim, unsigned char **buf, size_t *n)
{
    int64_t nt = n_volumes(nim);
    if (nt == 1) return;
    size_t per = *n / (size_t)nt, bytes = per * (size_t)nim->nbyper;
    memmove(*buf, *buf + (size_t)g_volume * bytes, bytes);
    unsigned char *small = realloc(*buf, bytes ? bytes : 1);
    if (small) *buf = small;
    nim->dim[0] = nim->ndim = 3;
    nim->dim[4] = nim->nt = 1;
    nim->nvox = (int64_t)per;
    *n = per;
    ms_debug("%s: volume %d of %lld", path, g_volume, (long long)nt);
}

/* The zlib path: streams libdeflate does not take (damaged or truncated
 * ones, whose faults zlib names), through a 1 MiB buffer. */
static ms_status read_zlib(const char *path, const nifti_image *nim, size_t total, unsigned char **out)
{
    unsigned char *buf = NULL;
    ms_status st = ms_alloc_array((void **)&buf, total ? total : 1, 1, 0, path);
    if (st) return st;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        free(buf);
        return ms_fail(MS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    }
    gzbuffer(f, 1 << 20);
    size_t got = 0;
    if (gzseek(f, (z_off_t)nim->iname_offset, SEEK_SET) == (z_off_t)nim->iname_offset)
        while (got < total) {
            unsigned chunk = total - got > (1u << 30) ? 1u << 30 : (unsigned)(total - got);
            int r = gzread(f, buf + got, chunk);
            if (r <= 0) break;
            got += (size_t)r;
        }
    gzclose(f);
    if (got < total) {
        free(buf);
        return ms_fail(MS_ERR_INPUT, "%s: image data is truncated (%zu of %zu bytes after vox_offset %lld)", path, got,
                       total, (long long)nim->iname_offset);
    }
    *out = buf;
    return MS_OK;
}

/* The voxels, read here rather than by nifti_image_load(): inflated by
 * libdeflate into the size the header fixes (zlib for what it cannot
 * take), and without niftilib's silent replacement of NaN. */
static ms_status read_data(const char *path, nifti_image *nim, int64_t *nonfinite)
{
    size_t n = (size_t)nim->nvox, size = (size_t)nim->nbyper, total;
    if (__builtin_mul_overflow(n, size, &total)) return ms_fail(MS_ERR_INPUT, "%s: image size overflows", path);
    unsigned char *buf = NULL;
    int handled = 0;
    ms_status st = ms_gz_read_span(path, (size_t)nim->iname_offset, total, &buf, &handled);
    if (!st && !handled) st = read_zlib(path, nim, total, &buf);
    if (st) return st;
    take_volume(path, nim, &buf, &n);
    if (size > 1 && nim->byteorder != nifti_short_order()) swap_bytes(buf, n, (int)size);
    *nonfinite = count_nonfinite(buf, n, nim->datatype, !g_keep_nonfinite);
    free(nim->data);
    nim->data = buf;
    return MS_OK;
}

static ms_status fill_data(const char *path, nifti_image *nim, ms_dtype t, ms_volume *v)
{
    int64_t dim[3] = {nim->nx, nim->ny, nim->nz};
    ms_volume raw = {0};
    size_t n;
    ms_status st = ms_volume_size(dim, t, &n, NULL, path);
    if (st) return st;
    /* Borrow niftilib's buffer as a volume of the on-disk type. */
    raw.dtype = t;
    memcpy(raw.dim, dim, sizeof dim);
    if (nim->datatype == DT_INT8) {
        st = ms_volume_alloc(&raw, dim, MS_I16, path);
        if (st) return st;
        for (size_t i = 0; i < n; i++) ((int16_t *)raw.data)[i] = ((const int8_t *)nim->data)[i];
    } else {
        raw.data = nim->data;
        nim->data = NULL;
    }
    double slope = nim->scl_slope, inter = nim->scl_inter;
    int scaled = isfinite(slope) && slope != 0 && isfinite(inter) && !(slope == 1 && inter == 0);
    if (!scaled) {
        *v = raw;
        return MS_OK;
    }
    double lo, hi;
    ms_volume_minmax(&raw, &lo, &hi);
    ms_dtype out = scaled_dtype(raw.dtype, slope, inter, lo, hi);
    st = ms_volume_alloc(v, dim, out, path);
    if (!st)
        for (size_t at = 0; at < n; at += 4096) {
            double buf[4096];
            size_t m = n - at < 4096 ? n - at : 4096;
            ms_volume_read_f64(&raw, at, 1, m, buf);
            for (size_t i = 0; i < m; i++) buf[i] = buf[i] * slope + inter;
            ms_volume_write_f64(v, at, m, buf);
        }
    free(raw.data);
    return st;
}

static int64_t raw_dim(const unsigned char *h, int version, int swapped, int i)
{
    if (version == 1) {
        int16_t d;
        memcpy(&d, h + 40 + 2 * i, 2);
        return swapped ? (int16_t)__builtin_bswap16((uint16_t)d) : d;
    }
    int64_t d;
    memcpy(&d, h + 16 + 8 * i, 8);
    return swapped ? (int64_t)__builtin_bswap64((uint64_t)d) : d;
}

static double raw_real(const unsigned char *h, int version, int swapped, int off)
{
    if (version == 1) {
        uint32_t u;
        memcpy(&u, h + off, 4);
        if (swapped) u = __builtin_bswap32(u);
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    uint64_t u;
    memcpy(&u, h + off, 8);
    if (swapped) u = __builtin_bswap64(u);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static int raw_code(const unsigned char *h, int version, int swapped, int off)
{
    if (version == 1) {
        int16_t c;
        memcpy(&c, h + off, 2);
        return swapped ? (int16_t)__builtin_bswap16((uint16_t)c) : c;
    }
    int32_t c;
    memcpy(&c, h + off, 4);
    return swapped ? (int32_t)__builtin_bswap32((uint32_t)c) : c;
}

/* The data offset, checked: finite, whole, past the header and its
 * 4-byte extender (NIfTI-1 stores it as a float). */
static ms_status check_vox_offset(const char *path, const unsigned char *h, int version, int swapped, int64_t *off)
{
    double v;
    if (version == 1) {
        v = raw_real(h, 1, swapped, 108);
    } else {
        uint64_t u;
        memcpy(&u, h + 168, 8);
        if (swapped) u = __builtin_bswap64(u);
        int64_t i;
        memcpy(&i, &u, 8);
        v = (double)i;
    }
    int64_t min = version == 1 ? 352 : 544;
    if (!isfinite(v) || v < (double)min || v > 9.0e18 || v != floor(v))
        return ms_fail(MS_ERR_INPUT, "%s: vox_offset %g is not a byte offset past the %lld-byte header", path, v,
                       (long long)min);
    *off = (int64_t)v;
    return MS_OK;
}

/* Extensions lie between the header's extender and the data; niftilib
 * allocates what each one claims, so a claim past vox_offset (a 1.5 GB
 * extension in a 4 KB file) is refused here. */
static ms_status check_extensions(const char *path, gzFile f, const unsigned char *h, int version, int swapped,
                                  int64_t off)
{
    int64_t pos = version == 1 ? 348 : 540;
    if (h[pos] == 0) return MS_OK;
    for (pos += 4; pos + 8 <= off;) {
        unsigned char e[8];
        if (gzseek(f, (z_off_t)pos, SEEK_SET) != (z_off_t)pos || gzread(f, e, 8) != 8)
            return ms_fail(MS_ERR_INPUT, "%s: the header extension at byte %lld is truncated", path, (long long)pos);
        int32_t esize;
        memcpy(&esize, e, 4);
        if (swapped) esize = (int32_t)__builtin_bswap32((uint32_t)esize);
        if (esize < 16 || esize % 16 || pos + esize > off)
            return ms_fail(MS_ERR_INPUT, "%s: the header extension at byte %lld claims %d bytes, past vox_offset %lld",
                           path, (long long)pos, esize, (long long)off);
        pos += esize;
    }
    return MS_OK;
}

/* dim[1..ndim] must multiply without overflow (niftilib computes nvox in
 * 64 bits unchecked). */
static ms_status check_dims(const char *path, const unsigned char *h, int version, int swapped)
{
    int64_t ndim = raw_dim(h, version, swapped, 0);
    if (ndim < 1 || ndim > 7) return ms_fail(MS_ERR_INPUT, "%s: dim[0] is %lld, must be 1..7", path, (long long)ndim);
    int64_t nvox = 1;
    for (int i = 1; i <= ndim; i++) {
        int64_t d = raw_dim(h, version, swapped, i);
        if (d < 1) return ms_fail(MS_ERR_INPUT, "%s: dim[%d] is %lld, must be at least 1", path, i, (long long)d);
        if (nvox > ((int64_t)1 << 62) / d)
            return ms_fail(MS_ERR_INPUT, "%s: dims multiply to more than 2^62 voxels", path);
        nvox *= d;
    }
    return MS_OK;
}

static ms_status check_datatype(const char *path, const unsigned char *h, int version, int swapped)
{
    int16_t dt;
    memcpy(&dt, h + (version == 1 ? 70 : 12), 2);
    if (swapped) dt = (int16_t)__builtin_bswap16((uint16_t)dt);
    ms_dtype t;
    if (!nifti_to_dtype(dt, &t))
        return ms_fail(MS_ERR_INPUT, "%s: NIfTI datatype %d (%s) is not supported", path, dt, nifti_datatype_string(dt));
    return MS_OK;
}

/* niftilib replaces a non-finite quaternion, offset or sform entry by 0,
 * which silently moves or flattens the image: refuse it here, in the
 * transform the header says is in use. */
static ms_status check_geometry_fields(const char *path, const unsigned char *h, int version, int swapped)
{
    int w = version == 1 ? 4 : 8;
    int qcode = raw_code(h, version, swapped, version == 1 ? 252 : 344);
    int scode = raw_code(h, version, swapped, version == 1 ? 254 : 348);
    int quat = version == 1 ? 256 : 352, srow = version == 1 ? 280 : 400;
    for (int i = 0; qcode > 0 && i < 6; i++)
        if (!isfinite(raw_real(h, version, swapped, quat + i * w)))
            return ms_fail(MS_ERR_INPUT, "%s: the qform (quaternion or offset) holds NaN or infinity", path);
    for (int i = 0; scode > 0 && i < 12; i++)
        if (!isfinite(raw_real(h, version, swapped, srow + i * w)))
            return ms_fail(MS_ERR_INPUT, "%s: the sform holds NaN or infinity (srow entry %d)", path, i);
    return MS_OK;
}

/* Checks magic, dims, the data offset and the extensions before niftilib
 * sees the file: niftilib accepts a file without NIfTI magic as ANALYZE
 * 7.5, prints its own complaints to stderr, and trusts sizes it reads.
 * zlib reads plain files unchanged. */
static ms_status precheck(const char *path, int *version)
{
    gzFile f = gzopen(path, "rb");
    if (!f) return ms_fail(MS_ERR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    unsigned char h[544] = {0};
    int n = gzread(f, h, sizeof h);
    int32_t size;
    memcpy(&size, h, 4);
    int swapped = size == 0x5c010000 || size == 0x1c020000;
    if (swapped) size = (int32_t)__builtin_bswap32((uint32_t)size);
    ms_status st = MS_OK;
    int64_t off = 0;
    if (n >= 348 && size == 348 && memcmp(h + 344, "n+1", 4) == 0) *version = 1;
    else if (n >= 540 && size == 540 && memcmp(h + 4, "n+2", 4) == 0) *version = 2;
    else st = ms_fail(MS_ERR_INPUT, "%s: not a NIfTI-1/NIfTI-2 file (no single-file NIfTI magic)", path);
    if (!st) st = check_dims(path, h, *version, swapped);
    if (!st) st = check_datatype(path, h, *version, swapped);
    if (!st) st = check_geometry_fields(path, h, *version, swapped);
    if (!st) st = check_vox_offset(path, h, *version, swapped, &off);
    if (!st) st = check_extensions(path, f, h, *version, swapped, off);
    gzclose(f);
    return st;
}

ms_status ms_nifti_read(const char *path, ms_volume *v)
{
    memset(v, 0, sizeof *v);
    int version = 1;
    ms_status st0 = precheck(path, &version);
    if (st0) return st0;
    nifti_set_debug_level(0);
    nifti_image *nim = nifti_image_read(path, 0);
    if (!nim) return ms_fail(MS_ERR_INPUT, "%s: not a readable NIfTI-1/NIfTI-2 file (bad header or magic)", path);
    ms_dtype t = MS_U8;
    ms_status st = check_header(path, nim, &t);
    int64_t nonfinite = 0;
    if (!st) st = ms_memory_check_input((uint64_t)nim->nvox, ms_dtype_size(t), fabs(nim->dx * nim->dy * nim->dz), path);
    if (!st) st = read_data(path, nim, &nonfinite);
    if (!st) st = fill_data(path, nim, t, v);
    if (!st && nonfinite) {
        v->nonfinite = nonfinite;
        if (!g_keep_nonfinite) ms_warn("%s: %lld voxels are NaN or infinite; read as 0", path, (long long)nonfinite);
    }
    if (st) {
        nifti_image_free(nim);
        return st;
    }
    double ras[4][4], lps[4][4];
    header_affine_ras(nim, ras);
    ras_lps(ras, lps);
    if ((st = ms_affine_check(lps, path))) {
        ms_volume_free(v);
        nifti_image_free(nim);
        return st;
    }
    ms_volume_set_affine(v, lps);
    nifti_image_unload(nim);
    /* nifti_image_read() does not say which version it read; the writer
     * keeps the input's version by default. */
    nim->nifti_type = version == 2 ? NIFTI_FTYPE_NIFTI2_1 : NIFTI_FTYPE_NIFTI1_1;
    v->nifti = nim;
    v->nifti_ops = &nifti_header_ops;
    return MS_OK;
}

static int affine_equal(const double a[4][4], const double b[4][4])
{
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            if (fabs(a[r][c] - b[r][c]) > 1e-9 * (1 + fabs(b[r][c]))) return 0;
    return 1;
}

static void set_geometry(nifti_image *nim, const ms_volume *v, int keep)
{
    nim->dx = nim->pixdim[1] = v->spacing[0];
    nim->dy = nim->pixdim[2] = v->spacing[1];
    nim->dz = nim->pixdim[3] = v->spacing[2];
    if (keep) return;
    double ras[4][4];
    ras_lps(v->affine, ras);
    int code = nim->sform_code > 0 ? nim->sform_code : nim->qform_code > 0 ? nim->qform_code : NIFTI_XFORM_SCANNER_ANAT;
    nim->sform_code = nim->qform_code = code;
    memcpy(nim->sto_xyz.m, ras, sizeof ras);
    nifti_dmat44 m;
    memcpy(m.m, ras, sizeof ras);
    double dx, dy, dz;
    nifti_dmat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d, &nim->qoffset_x,
                            &nim->qoffset_y, &nim->qoffset_z, &dx, &dy, &dz, &nim->qfac);
    nim->qto_xyz = nifti_quatern_to_dmat44(nim->quatern_b, nim->quatern_c, nim->quatern_d, nim->qoffset_x,
                                           nim->qoffset_y, nim->qoffset_z, dx, dy, dz, nim->qfac);
}

static nifti_image *header_for(const ms_volume *v, int version)
{
    int64_t dims[8] = {3, v->dim[0], v->dim[1], v->dim[2], 1, 1, 1, 1};
    nifti_image *nim = v->nifti ? nifti_copy_nim_info(v->nifti) : nifti_make_new_nim(dims, dtype_to_nifti(v->dtype), 0);
    if (!nim) return NULL;
    int keep = 0;
    if (v->nifti) {
        const nifti_image *src = v->nifti;
        double ras[4][4], lps[4][4];
        header_affine_ras(src, ras);
        ras_lps(ras, lps);
        keep = src->nx == v->dim[0] && src->ny == v->dim[1] && src->nz == v->dim[2] &&
               (src->sform_code > 0 || src->qform_code > 0) && affine_equal(lps, v->affine);
    }
    for (int d = 0; d < 8; d++) nim->dim[d] = dims[d];
    nim->ndim = 3;
    nim->nx = v->dim[0], nim->ny = v->dim[1], nim->nz = v->dim[2];
    nim->nt = nim->nu = nim->nv = nim->nw = 1;
    nim->nvox = (int64_t)ms_volume_nvox(v);
    nim->datatype = dtype_to_nifti(v->dtype);
    nifti_datatype_sizes(nim->datatype, &nim->nbyper, &nim->swapsize);
    nim->scl_slope = 0, nim->scl_inter = 0;   /* values are stored as they are */
    nim->cal_min = nim->cal_max = 0;
    nifti_free_extensions(nim);   /* extensions of the source are not carried over */
    if (nim->xyz_units == 0) nim->xyz_units = NIFTI_UNITS_MM;
    nim->nifti_type = version == 2 ? NIFTI_FTYPE_NIFTI2_1
                      : version == 1 ? NIFTI_FTYPE_NIFTI1_1
                      : (nim->nifti_type == NIFTI_FTYPE_NIFTI2_1 ? NIFTI_FTYPE_NIFTI2_1 : NIFTI_FTYPE_NIFTI1_1);
    set_geometry(nim, v, keep);
    return nim;
}

/* Header bytes, the 4-byte extension flag (no extensions), then data. */
/* NIfTI-1 keeps these fields in 16 bits (slice_code and xyzt_units in 8):
 * a NIfTI-2 input whose values do not fit is refused naming the field,
 * before niftilib would print its own complaint and fail. */
static ms_status fits_nifti1(const nifti_image *nim, const char *path)
{
    const struct {
        const char *name;
        int64_t v, lo, hi;
    } f[] = {
        {"dim[1]", nim->dim[1], 0, 32767},         {"dim[2]", nim->dim[2], 0, 32767},
        {"dim[3]", nim->dim[3], 0, 32767},         {"intent_code", nim->intent_code, -32768, 32767},
        {"slice_start", nim->slice_start, -32768, 32767}, {"slice_end", nim->slice_end, -32768, 32767},
        {"slice_code", nim->slice_code, 0, 255},   {"qform_code", nim->qform_code, -32768, 32767},
        {"sform_code", nim->sform_code, -32768, 32767},
    };
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if (f[i].v < f[i].lo || f[i].v > f[i].hi)
            return ms_fail(MS_ERR_INPUT, "%s: %s = %lld does not fit NIfTI-1 (%lld..%lld); write NIfTI-2 (--nifti-version 2)",
                           path, f[i].name, (long long)f[i].v, (long long)f[i].lo, (long long)f[i].hi);
    return MS_OK;
}

static ms_status serialise(nifti_image *nim, unsigned char *hdr, size_t *hdr_len, const char *path)
{
    memset(hdr, 0, 560);
    if (nim->nifti_type == NIFTI_FTYPE_NIFTI2_1) {
        nifti_2_header h;
        if (nifti_convert_nim2n2hdr(nim, &h) != 0) return ms_fail(MS_ERR_INTERNAL, "%s: cannot build NIfTI-2 header", path);
        h.vox_offset = 560;   /* 540-byte header + 4-byte extender, padded to 16 */
        memcpy(h.magic, "n+2\0\r\n\032\n", 8);
        memcpy(hdr, &h, sizeof h);
        *hdr_len = 560;
    } else {
        ms_status st = fits_nifti1(nim, path);
        if (st) return st;
        nifti_1_header h;
        if (nifti_convert_nim2n1hdr(nim, &h) != 0) return ms_fail(MS_ERR_INTERNAL, "%s: cannot build NIfTI-1 header", path);
        h.vox_offset = 352;
        memcpy(h.magic, "n+1\0", 4);
        memcpy(hdr, &h, sizeof h);
        *hdr_len = 348 + 4;
    }
    return MS_OK;
}

static ms_status write_file(const char *tmp, const char *path, const unsigned char *hdr, size_t hdr_len,
                            const ms_volume *v, int gz_level)
{
    FILE *fp = fopen(tmp, "wb");
    if (!fp) return ms_fail(MS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    size_t nbytes = ms_volume_nvox(v) * ms_dtype_size(v->dtype);
    int ok;
    if (ms_path_has_suffix(path, ".gz"))
        ok = ms_gz_write(fp, hdr, hdr_len, v->data, nbytes, gz_level > 0 && gz_level <= 12 ? gz_level : MS_GZ_DEFAULT_LEVEL);
    else
        ok = fwrite(hdr, 1, hdr_len, fp) == hdr_len && fwrite(v->data, 1, nbytes, fp) == nbytes;
    ok = (fclose(fp) == 0) && ok;
    return ok ? MS_OK : ms_fail(MS_ERR_IO, "%s: write failed (disk full?)", path);
}

ms_status ms_nifti_write(const char *path, const ms_volume *v, const ms_nifti_write_opts *o)
{
    if (!ms_path_has_suffix(path, ".nii") && !ms_path_has_suffix(path, ".nii.gz"))
        return ms_fail(MS_ERR_USAGE, "%s: output name must end in .nii or .nii.gz", path);
    nifti_image *nim = header_for(v, o ? o->version : 0);
    if (!nim) return ms_fail(MS_ERR_NOMEM, "%s: cannot build header", path);
    unsigned char hdr[560];
    size_t hdr_len = 0;
    ms_status st = serialise(nim, hdr, &hdr_len, path);
    nifti_image_free(nim);
    if (st) return st;
    ms_atomic at;
    st = ms_atomic_begin(&at, path);
    if (st) return st;
    st = write_file(at.tmp_path, path, hdr, hdr_len, v, o ? o->gz_level : 0);
    if (st) {
        ms_atomic_abort(&at);
        return st;
    }
    return ms_atomic_commit(&at);
}
