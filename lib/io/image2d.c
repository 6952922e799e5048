/* 2-D images for classifiers: PNG through libpng, single-frame DICOM
 * through the DCMTK shim and the display pipeline, NIfTI slices. */
#include "medseg/image2d.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcm_shim.h"
#include "medseg/io.h"
#include "medseg/seg.h"
#include "medseg/volume.h"

void ms_image2d_free(ms_image2d *im)
{
    free(im->px);
    im->px = NULL;
}

static ms_status alloc_planes(ms_image2d *im, int64_t w, int64_t h, int channels, const char *path)
{
    int64_t dim[3] = {w, h, channels};
    size_t n;
    ms_status st = ms_volume_size(dim, MS_F32, &n, NULL, path);
    if (st) return st;
    im->w = w, im->h = h, im->channels = channels;
    return ms_alloc_array((void **)&im->px, n, sizeof *im->px, 0, path);
}

/* ---- PNG ---- */

static void png_error_fn(png_structp p, png_const_charp msg)
{
    ms_fail(MS_ERR_INPUT, "%s: corrupt PNG (%s)", (const char *)png_get_error_ptr(p), msg);
    png_longjmp(p, 1);
}

static void png_warning_fn(png_structp p, png_const_charp msg) { (void)p, (void)msg; }

/* *row is the caller's: a corrupt row longjmps out of here, past any free. */
static ms_status read_png_rows(png_structp p, png_infop info, const char *path, ms_image2d *im, unsigned char **row)
{
    png_set_expand(p);          /* palette to RGB, grey < 8 bits to 8, tRNS to alpha */
    png_set_strip_alpha(p);
    png_set_swap(p);            /* 16-bit samples in host order */
    png_read_update_info(p, info);
    int64_t w = png_get_image_width(p, info), h = png_get_image_height(p, info);
    int ch = png_get_channels(p, info), depth = png_get_bit_depth(p, info);
    if (ch != 1 && ch != 3) return ms_fail(MS_ERR_INPUT, "%s: PNG with %d channels after expansion", path, ch);
    ms_status st = alloc_planes(im, w, h, ch, path);
    size_t rowbytes = png_get_rowbytes(p, info);
    if (!st && !(*row = malloc(rowbytes))) st = ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    for (int64_t y = 0; !st && y < h; y++) {
        png_read_row(p, *row, NULL);
        for (int64_t x = 0; x < w; x++)
            for (int c = 0; c < ch; c++) {
                size_t k = (size_t)(x * ch + c);
                double v = depth == 16 ? ((const uint16_t *)(const void *)*row)[k] / 257.0 : (*row)[k];
                im->px[(size_t)c * (size_t)(w * h) + (size_t)(y * w + x)] = (float)v;
            }
    }
    return st;
}

/* libpng reports errors by longjmp: the setjmp lives alone here, so no
 * local of the caller is left indeterminate by the jump. */
static ms_status png_guarded(png_structp p, png_infop info, FILE *f, const char *path, ms_image2d *im,
                             unsigned char **row)
{
    if (setjmp(png_jmpbuf(p))) return MS_ERR_INPUT;   /* png_error_fn set the message */
    png_init_io(p, f);
    png_set_user_limits(p, 65536, 65536);
    png_read_info(p, info);
    return read_png_rows(p, info, path, im, row);
}

static ms_status read_png(const char *path, ms_image2d *im)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ms_fail(MS_ERR_INPUT, "%s: cannot open", path);
    png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, (void *)path, png_error_fn, png_warning_fn);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    unsigned char *row = NULL;
    ms_status st = p && info ? png_guarded(p, info, f, path, im, &row) : ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    if (st) ms_image2d_free(im);
    png_destroy_read_struct(&p, &info, NULL);
    free(row);
    fclose(f);
    return st;
}

/* ---- DICOM ---- */

/* PS3.3 C.11.2.1.2.1: the LINEAR window function, onto 0..255. */
static double window(double x, double c, double w)
{
    if (x <= c - 0.5 - (w - 1) / 2) return 0;
    if (x > c - 0.5 + (w - 1) / 2) return 255;
    return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
}

static void display(const ms_dcm_header *h, const ms_dcm_voi *v, const int32_t *raw, size_t n, float *out)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double m = raw[i] * h->slope + h->intercept;
        lo = fmin(lo, m), hi = fmax(hi, m);
    }
    int first = h->pixel_rep ? (int16_t)v->lut_first : v->lut_first;
    double lut_max = (double)((1 << v->lut_bits) - 1);
    for (size_t i = 0; i < n; i++) {
        double m = raw[i] * h->slope + h->intercept, y;
        if (v->has_lut) {
            long k = lround(m) - first;
            y = v->lut[k < 0 ? 0 : k >= v->lut_n ? v->lut_n - 1 : k] / lut_max * 255;
        } else if (v->has_window) {
            y = window(m, v->center, v->width);
        } else {
            y = hi > lo ? (m - lo) / (hi - lo) * 255 : 0;
        }
        out[i] = (float)(strcmp(h->photometric, "MONOCHROME1") == 0 ? 255 - y : y);
    }
}

static ms_status read_dicom(const char *path, ms_image2d *im)
{
    ms_dcm_header h;
    ms_dcm_voi v = {0};
    ms_status st = ms_dcm_read_header(path, &h);
    if (st) return st;
    if (h.frames > 1) return ms_fail(MS_ERR_INPUT, "%s: multi-frame DICOM (%d frames); give one frame", path, h.frames);
    if (h.samples != 1 && h.samples != 3)
        return ms_fail(MS_ERR_INPUT, "%s: %d samples per pixel is neither grey nor colour", path, h.samples);
    int32_t *raw = NULL;
    size_t n = (size_t)h.rows * (size_t)h.cols, planes = h.samples == 3 ? 3 : 1;
    if (!(st = ms_alloc_array((void **)&raw, n, planes * sizeof *raw, 0, path)))
        st = planes == 3 ? ms_dcm_read_rgb(path, &h, raw) : ms_dcm_read_pixels(path, &h, raw);
    int ct = strcmp(h.modality, "CT") == 0;
    /* The window is in the header; only a VOI LUT needs the file again. */
    v.has_window = h.has_window, v.center = h.window_center, v.width = h.window_width;
    if (!st && !ct && h.has_voi_lut) st = ms_dcm_read_voi(path, &v);
    if (!st) st = alloc_planes(im, h.cols, h.rows, (int)planes, path);
    double full = h.bits_stored > 0 && h.bits_stored < 31 ? (double)((1u << h.bits_stored) - 1u) : 255.0;
    if (!st && planes == 3)   /* colour: R, G, B planes on 0..255, as a PNG gives them */
        for (size_t i = 0; i < 3 * n; i++) im->px[i] = (float)(raw[i] * 255.0 / full);
    else if (!st && ct)
        for (size_t i = 0; i < n; i++) im->px[i] = (float)(raw[i] * h.slope + h.intercept);
    else if (!st)
        display(&h, &v, raw, n, im->px);
    free(raw);
    free(v.lut);
    return st;
}

/* ---- NIfTI ---- */

ms_status ms_image2d_from_volume(const ms_volume *v, const char *path, int slice, ms_image2d *im)
{
    memset(im, 0, sizeof *im);
    im->kind = "nifti";
    int64_t k = slice < 0 ? v->dim[2] / 2 : slice;
    if (k >= v->dim[2])
        return ms_fail(MS_ERR_INPUT, "%s: slice %lld is outside 0..%lld", path, (long long)k, (long long)v->dim[2] - 1);
    ms_slice s = {0};
    ms_status st = ms_slice_get(v, MS_AXIS_AXIAL, k, &s);
    if (!st) st = alloc_planes(im, s.w, s.h, 1, path);
    if (!st) memcpy(im->px, s.px, (size_t)(s.w * s.h) * sizeof *im->px);
    ms_slice_free(&s);
    return st;
}

static ms_status read_nifti_slice(const char *path, int slice, ms_image2d *im)
{
    ms_volume v;
    ms_status st = ms_nifti_read(path, &v);
    if (st) return st;
    st = ms_image2d_from_volume(&v, path, slice, im);
    ms_volume_free(&v);
    return st;
}

ms_status ms_image2d_read(const char *path, int slice, ms_image2d *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return ms_fail(MS_ERR_INPUT, "%s: no such file", path);
    unsigned char head[8] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    if (got == 8 && png_sig_cmp(head, 0, 8) == 0) {
        out->kind = "png";
        return read_png(path, out);
    }
    if (ms_detect_format(path) == MS_FMT_NIFTI) {
        out->kind = "nifti";
        return read_nifti_slice(path, slice, out);
    }
    out->kind = "dicom";
    return read_dicom(path, out);
}
