/* JPEG 2000 (and High-Throughput JPEG 2000) frames through OpenJPEG:
 * Debian's DCMTK has no JPEG 2000 codec, so the shim hands over the
 * frame's codestream and this file decodes it. */
#include <string.h>

#include <openjpeg.h>

#include "j2k.h"

typedef struct {
    const unsigned char *p;
    size_t n, pos;
} mem_stream;

static OPJ_SIZE_T mem_read(void *buf, OPJ_SIZE_T n, void *user)
{
    mem_stream *m = user;
    if (m->pos >= m->n) return (OPJ_SIZE_T)-1;
    size_t k = m->n - m->pos < n ? m->n - m->pos : n;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return k;
}

static OPJ_OFF_T mem_skip(OPJ_OFF_T n, void *user)
{
    mem_stream *m = user;
    if (n < 0 || (size_t)n > m->n - m->pos) n = (OPJ_OFF_T)(m->n - m->pos);
    m->pos += (size_t)n;
    return n;
}

static OPJ_BOOL mem_seek(OPJ_OFF_T n, void *user)
{
    mem_stream *m = user;
    if (n < 0 || (size_t)n > m->n) return OPJ_FALSE;
    m->pos = (size_t)n;
    return OPJ_TRUE;
}

static void quiet(const char *msg, void *user) { (void)msg, (void)user; }

/* A JP2 file starts with its signature box; DICOM's are usually bare
 * codestreams (SOC marker FF 4F). */
static OPJ_CODEC_FORMAT format_of(const unsigned char *p, size_t n)
{
    static const unsigned char jp2[] = {0, 0, 0, 0x0c, 'j', 'P', ' ', ' '};
    return n >= sizeof jp2 && memcmp(p, jp2, sizeof jp2) == 0 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K;
}

static ms_status copy_out(const char *path, const opj_image_t *im, int rows, int cols, int comps, int32_t *out)
{
    if ((int)im->numcomps != comps)
        return ms_fail(MS_ERR_INPUT, "%s: the JPEG 2000 frame has %u components, the header says %d", path,
                       im->numcomps, comps);
    size_t npx = (size_t)rows * (size_t)cols;
    for (int k = 0; k < comps; k++) {
        const opj_image_comp_t *c = &im->comps[k];
        if ((int)c->w != cols || (int)c->h != rows || c->dx != 1 || c->dy != 1 || !c->data)
            return ms_fail(MS_ERR_INPUT, "%s: JPEG 2000 component %d is %ux%u (subsampled %ux%u), the header says %dx%d",
                           path, k + 1, c->w, c->h, c->dx, c->dy, cols, rows);
    }
    if (comps == 1) {
        memcpy(out, im->comps[0].data, npx * sizeof *out);
        return MS_OK;
    }
    for (int k = 0; k < comps; k++)
        for (size_t i = 0; i < npx; i++) out[i * (size_t)comps + (size_t)k] = im->comps[k].data[i];
    return MS_OK;
}

ms_status ms_j2k_decode(const char *path, const unsigned char *p, size_t n, int rows, int cols, int comps,
                        int32_t *out)
{
    mem_stream m = {p, n, 0};
    opj_stream_t *s = opj_stream_create(1 << 16, OPJ_TRUE);
    opj_codec_t *codec = opj_create_decompress(format_of(p, n));
    opj_image_t *im = NULL;
    opj_dparameters_t par;
    opj_set_default_decoder_parameters(&par);
    ms_status st = s && codec ? MS_OK : ms_fail(MS_ERR_NOMEM, "%s: JPEG 2000 decoder: out of memory", path);
    if (!st) {
        opj_stream_set_user_data(s, &m, NULL);
        opj_stream_set_user_data_length(s, n);
        opj_stream_set_read_function(s, mem_read);
        opj_stream_set_skip_function(s, mem_skip);
        opj_stream_set_seek_function(s, mem_seek);
        opj_set_info_handler(codec, quiet, NULL);
        opj_set_warning_handler(codec, quiet, NULL);
        opj_set_error_handler(codec, quiet, NULL);
        /* a truncated or zeroed codestream is an error, not a blurred image */
        opj_decoder_set_strict_mode(codec, OPJ_TRUE);
        if (!opj_setup_decoder(codec, &par) || !opj_read_header(s, codec, &im) || !opj_decode(codec, s, im) ||
            !opj_end_decompress(codec, s))
            st = ms_fail(MS_ERR_INPUT, "%s: the JPEG 2000 codestream does not decode (damaged or truncated)", path);
    }
    if (!st) st = copy_out(path, im, rows, cols, comps, out);
    if (im) opj_image_destroy(im);
    if (codec) opj_destroy_codec(codec);
    if (s) opj_stream_destroy(s);
    return st;
}
