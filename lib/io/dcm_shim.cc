// The DCMTK shim: everything that touches DCMTK is here, behind the plain C
// functions declared in dcm_shim.h. No exceptions or C++ types cross it.
#include "dcm_shim.h"
#include "dcm_shim_internal.hh"
#include "j2k.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/oflog/oflog.h>

#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace {
std::once_flag codecs_once;
}

namespace msdcm {

// The codec list's entries are the registrations' to free; without this
// they are left behind when the list itself is destroyed at exit.
void cleanup_codecs()
{
    DcmRLEDecoderRegistration::cleanup();
}

void init_dcmtk()
{
    std::call_once(codecs_once, [] {
        // DCMTK logs parser complaints to stderr; our caller reports one line.
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
        // Elements written with VR UN (an explicit-VR file re-encoded by a
        // tool that did not know them) are read with their dictionary VR,
        // as pydicom does, so their values are not lost.
        dcmEnableUnknownVRConversion.set(OFTrue);
        // A dataset encoded otherwise than its meta header says (implicit
        // for explicit VR, or the reverse) is read as it is encoded, as
        // pydicom does; the header notes it and the reader warns.
        dcmAutoDetectDatasetXfer.set(OFTrue);
        DcmRLEDecoderRegistration::registerCodecs();
        std::atexit(cleanup_codecs);
    });
}

// Returns 0 when the value did not fit.
int copy_str(DcmItem *ds, const DcmTagKey &tag, char *dst, size_t n)
{
    OFString s;
    dst[0] = '\0';
    if (ds->findAndGetOFString(tag, s).good()) {
        size_t len = s.size();
        while (len > 0 && s[len - 1] == ' ') len--;
        if (len >= n) return 0;
        snprintf(dst, n, "%s", s.c_str());
        // Trailing pad spaces are not part of the value.
        for (size_t len = strlen(dst); len > 0 && dst[len - 1] == ' '; len--) dst[len - 1] = '\0';
    }
    return 1;
}

int get_doubles(DcmItem *ds, const DcmTagKey &tag, double *out, int n)
{
    for (int i = 0; i < n; i++) {
        Float64 v;
        if (ds->findAndGetFloat64(tag, v, (unsigned long)i).bad() || !std::isfinite(v)) return 0;
        out[i] = v;
    }
    return 1;
}

int get_int(DcmItem *ds, const DcmTagKey &tag, int fallback)
{
    Uint16 u;
    if (ds->findAndGetUint16(tag, u).good()) return u;
    Sint32 s;
    if (ds->findAndGetSint32(tag, s).good()) return (int)s;
    OFString str;
    if (ds->findAndGetOFString(tag, str).good()) return atoi(str.c_str());
    return fallback;
}

// Segmentation objects (PS3.3 C.8.20.2): BINARY frames are 1-bit, FRACTIONAL
// ones 8-bit up to MaximumFractionalValue.
static void fill_segmentation(DcmDataset *ds, ms_dcm_header *h)
{
    if (strcmp(h->modality, "SEG") != 0) return;
    OFString type;
    ds->findAndGetOFString(DcmTagKey(0x0062, 0x0001), type);
    h->seg_type = type == "FRACTIONAL" ? 2 : 1;
    if (!get_doubles(ds, DcmTagKey(0x0062, 0x000e), &h->max_fraction, 1) || !(h->max_fraction > 0))
        h->max_fraction = 255;
}

static void fill_header(DcmFileFormat &ff, ms_dcm_header *h)
{
    DcmDataset *ds = ff.getDataset();
    memset(h, 0, sizeof *h);
    int fit = copy_str(ds, DCM_SeriesInstanceUID, h->series_uid, sizeof h->series_uid);
    fit &= copy_str(ds, DCM_StudyInstanceUID, h->study_uid, sizeof h->study_uid);
    fit &= copy_str(ds, DCM_FrameOfReferenceUID, h->frame_uid, sizeof h->frame_uid);
    h->uid_too_long = !fit;
    copy_str(ds, DCM_Modality, h->modality, sizeof h->modality);
    copy_str(ds, DCM_Manufacturer, h->manufacturer, sizeof h->manufacturer);
    copy_str(ds, DCM_PhotometricInterpretation, h->photometric, sizeof h->photometric);
    OFString ts;
    DcmXfer found(ds->getOriginalXfer());
    if (ff.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts).good()) {
        snprintf(h->transfer_syntax, sizeof h->transfer_syntax, "%s", ts.c_str());
        DcmXfer said(ts.c_str());
        if (!said.isEncapsulated() && found.getXfer() != EXS_Unknown && found.getXfer() != said.getXfer()) {
            snprintf(h->declared_syntax, sizeof h->declared_syntax, "%s", ts.c_str());
            snprintf(h->transfer_syntax, sizeof h->transfer_syntax, "%s", found.getXferID());
        }
    } else {
        snprintf(h->transfer_syntax, sizeof h->transfer_syntax, "%s", found.getXferID());
    }
    h->has_ipp = get_doubles(ds, DCM_ImagePositionPatient, h->ipp, 3);
    h->has_iop = get_doubles(ds, DCM_ImageOrientationPatient, h->iop, 6);
    h->has_spacing = get_doubles(ds, DCM_PixelSpacing, h->pixel_spacing, 2);
    // Projection radiographs carry only the detector spacing.
    if (!h->has_spacing) h->has_spacing = get_doubles(ds, DCM_ImagerPixelSpacing, h->pixel_spacing, 2);
    if (!get_doubles(ds, DCM_SliceThickness, &h->slice_thickness, 1)) h->slice_thickness = 0;
    h->has_tilt = get_doubles(ds, DCM_GantryDetectorTilt, &h->gantry_tilt, 1);
    h->rows = get_int(ds, DCM_Rows, 0);
    h->cols = get_int(ds, DCM_Columns, 0);
    h->bits_alloc = get_int(ds, DCM_BitsAllocated, 0);
    h->bits_stored = get_int(ds, DCM_BitsStored, h->bits_alloc);
    h->pixel_rep = get_int(ds, DCM_PixelRepresentation, 0);
    h->samples = get_int(ds, DCM_SamplesPerPixel, 1);
    h->frames = get_int(ds, DCM_NumberOfFrames, 1);
    h->instance = get_int(ds, DCM_InstanceNumber, 0);
    if (h->frames < 1) h->frames = 1;
    h->has_window = get_doubles(ds, DCM_WindowCenter, &h->window_center, 1) &&
                    get_doubles(ds, DCM_WindowWidth, &h->window_width, 1) && h->window_width >= 1;
    h->has_voi_lut = ds->tagExists(DCM_VOILUTSequence);
    // RT dose scales its integers by DoseGridScaling (3004,000E) instead.
    if (!get_doubles(ds, DCM_RescaleSlope, &h->slope, 1) &&
        !(get_doubles(ds, DcmTagKey(0x3004, 0x000e), &h->slope, 1) && h->slope != 0))
        h->slope = 1;
    if (h->slope == 0) h->slope = 1;
    if (!get_doubles(ds, DCM_RescaleIntercept, &h->intercept, 1)) h->intercept = 0;
    if (!get_doubles(ds, DCM_SpacingBetweenSlices, &h->slice_spacing, 1)) h->slice_spacing = 0;
    fill_segmentation(ds, h);
    // A single-frame Enhanced or Segmentation object keeps its geometry in
    // the functional groups.
    if (h->frames == 1) frame_from_groups(ds, 0, h);
}

// The DICOM Part 10 preamble: 128 bytes, then "DICM".
static int has_dicm_magic(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char b[132];
    int ok = fread(b, 1, sizeof b, f) == sizeof b && memcmp(b + 128, "DICM", 4) == 0;
    fclose(f);
    return ok;
}

}  // namespace msdcm

using namespace msdcm;

extern "C" ms_status ms_dcm_read_header(const char *path, ms_dcm_header *h)
{
    init_dcmtk();
    DcmFileFormat ff;
    bool implicit = false;
    OFCondition c = load(ff, path, true, &implicit);
    if (c.bad()) {
        memset(h, 0, sizeof *h);
        h->unreadable = has_dicm_magic(path);
        if (h->unreadable) return ms_fail(MS_ERR_INPUT, "%s: DICOM file that cannot be read (%s)", path, c.text());
        return ms_fail(MS_ERR_INPUT, "%s: not a DICOM file (%s)", path, c.text());
    }
    fill_header(ff, h);
    h->implicit_dataset = implicit;
    if (h->uid_too_long) {
        h->unreadable = 1;
        return ms_fail(MS_ERR_INPUT, "%s: a UID is longer than %d characters (DICOM allows 64)", path, MS_UID_MAX);
    }
    if (h->rows <= 0 || h->cols <= 0 || h->bits_alloc <= 0)
        return ms_fail(MS_ERR_INPUT, "%s: DICOM file without an image (no Rows/Columns/BitsAllocated)", path);
    return MS_OK;
}

static ms_status decode_error(const char *path, const ms_dcm_header *h)
{
    DcmXfer x(h->transfer_syntax);
    return ms_fail(MS_ERR_INPUT, "%s: cannot decode pixel data in transfer syntax %s (%s); "
                   "supported: uncompressed, RLE, JPEG baseline/extended/lossless, JPEG-LS, JPEG 2000, HTJ2K",
                   path, x.getXferName(), h->transfer_syntax);
}

// JPEG 2000 (1.2.840.10008.1.2.4.90/.91) and HTJ2K (.201-.203).
static int is_j2k(const char *ts)
{
    static const char *const uids[] = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201",
                                       "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"};
    for (const char *u : uids)
        if (strcmp(ts, u) == 0) return 1;
    return 0;
}

// JPEG and JPEG-LS syntaxes (encapsulated, neither RLE nor JPEG 2000, which
// libmedseg decodes itself) need the codec plugin.
ms_status msdcm::need_codecs(const char *path, const char *ts)
{
    DcmXfer x(ts);
    if (!x.isEncapsulated() || x.getXfer() == EXS_RLELossless || is_j2k(ts)) return MS_OK;
    return ms_dcm_open_codecs(path);
}

// A frame's codestream. One frame: every fragment after the offset table,
// in order (an encoder may split it into several). Several frames: one
// fragment each, as the standard's encoders write them.
static ms_status read_j2k(const char *path, DcmDataset *ds, const ms_dcm_header *h, int frame, int32_t *out)
{
    DcmElement *el = NULL;
    if (ds->findAndGetElement(DCM_PixelData, el).bad() || !el) return ms_fail(MS_ERR_INPUT, "%s: no pixel data", path);
    DcmPixelData *pd = OFstatic_cast(DcmPixelData *, el);
    E_TransferSyntax xfer = EXS_Unknown;
    const DcmRepresentationParameter *param = NULL;
    pd->getOriginalRepresentationKey(xfer, param);
    DcmPixelSequence *seq = NULL;
    if (pd->getEncapsulatedRepresentation(xfer, param, seq).bad() || !seq)
        return ms_fail(MS_ERR_INPUT, "%s: JPEG 2000 pixel data is not encapsulated", path);
    std::vector<unsigned char> code;
    unsigned long first = 1, end = seq->card();
    if (h->frames > 1) {
        if (end - 1 != (unsigned long)h->frames)
            return ms_fail(MS_ERR_INPUT, "%s: %lu JPEG 2000 fragments for %d frames (one per frame expected)", path,
                           end - 1, h->frames);
        first = (unsigned long)frame + 1, end = first + 1;
    }
    for (unsigned long i = first; i < end; i++) {
        DcmPixelItem *item = NULL;
        Uint8 *frag = NULL;
        if (seq->getItem(item, i).bad() || !item) break;
        Uint32 len = item->getLength();
        if (len && item->getUint8Array(frag).good() && frag) code.insert(code.end(), frag, frag + len);
    }
    if (code.empty())
        return ms_fail(MS_ERR_INPUT, "%s: the JPEG 2000 pixel data holds no fragment (frame %d)", path, frame);
    ms_status st = ms_j2k_decode(path, code.data(), code.size(), h->rows, h->cols, h->samples, out);
    if (st) {   // name the frame: one bad frame of a long multi-frame file is otherwise hard to find
        std::string why = ms_last_error();
        return ms_fail(st, "%s (frame %d of %d)", why.c_str(), frame + 1, h->frames);
    }
    // The dataset's BitsStored and PixelRepresentation decide, as for
    // native data, where a codestream's signedness disagrees (pydicom does
    // the same).
    int bits = h->bits_stored > 0 && h->bits_stored < 32 ? h->bits_stored : 32;
    if (!st && bits < 32) {
        uint32_t mask = (1u << bits) - 1u, sign = 1u << (bits - 1);
        size_t n = (size_t)h->rows * (size_t)h->cols * (size_t)h->samples;
        for (size_t i = 0; i < n; i++) {
            uint32_t raw = (uint32_t)out[i] & mask;
            out[i] = h->pixel_rep == 1 && (raw & sign) ? (int32_t)raw - (int32_t)(mask + 1u) : (int32_t)raw;
        }
    }
    return st;
}

// Stored value i of the decoded array (1, 2 or 4 bytes a sample),
// masked to BitsStored and sign-extended when PixelRepresentation is 1.
static int32_t stored_value(const void *p, int bytes, size_t i, int bits, int is_signed)
{
    uint32_t raw = bytes == 1 ? ((const Uint8 *)p)[i] : bytes == 2 ? ((const Uint16 *)p)[i] : ((const Uint32 *)p)[i];
    if (bits >= 32) return (int32_t)raw;
    uint32_t mask = (1u << bits) - 1u, sign = 1u << (bits - 1);
    raw &= mask;
    return is_signed && (raw & sign) ? (int32_t)raw - (int32_t)(mask + 1u) : (int32_t)raw;
}

// How a decoded colour frame is laid out, and how it becomes grey.
typedef struct {
    int ybr;        // YBR_FULL / YBR_FULL_422: grey is Y, the first sample
    int sub422;     // YBR_FULL_422: Y1 Y2 Cb Cr for each pair of pixels
    int planar;     // PlanarConfiguration 1: all R, then all G, then all B
} colour_layout;

// Samples a frame holds per pixel, on average (YBR_FULL_422: 2).
static size_t samples_per_pixel(const ms_dcm_header *h, const colour_layout *c)
{
    return h->samples == 1 ? 1 : c->sub422 ? 2 : 3;
}

// The layout after decoding (a JPEG decoder may have turned YBR into RGB),
// or MS_ERR_INPUT for a colour model with no luminance to take.
static ms_status colour_of(const char *path, DcmDataset *ds, const ms_dcm_header *h, int rgb, colour_layout *c)
{
    memset(c, 0, sizeof *c);
    if (h->samples == 1) return MS_OK;
    OFString pi;
    ds->findAndGetOFString(DCM_PhotometricInterpretation, pi);
    c->planar = get_int(ds, DCM_PlanarConfiguration, 0) == 1;
    c->ybr = pi == "YBR_FULL" || pi == "YBR_FULL_422";
    c->sub422 = pi == "YBR_FULL_422";
    // 32-bit colour becomes an unsigned 32-bit luma; its planes would not
    // fit the 2-D commands' signed 32-bit channels.
    if (h->bits_alloc > 16 && rgb)
        return ms_fail(MS_ERR_INPUT, "%s: %d-bit colour samples are read as grey only (8 or 16 as colour)", path,
                       h->bits_alloc);
    if (h->samples != 3 || (!c->ybr && pi != "RGB"))
        return ms_fail(MS_ERR_INPUT, "%s: colour model %s with %d samples per pixel is not read (RGB, YBR_FULL and "
                       "YBR_FULL_422 are)", path, pi.c_str(), h->samples);
    return MS_OK;
}

// Grey of pixel i of a colour frame: Y, or ITU-R BT.601 luma of R, G, B
// (the weights that make Y), rounded.
static int32_t grey_of(const void *p, int bytes, size_t n, size_t i, int bits, const colour_layout *c)
{
    if (c->sub422) return stored_value(p, bytes, (i / 2) * 4 + (i & 1), bits, 0);
    if (c->ybr) return stored_value(p, bytes, c->planar ? i : 3 * i, bits, 0);
    size_t r = c->planar ? i : 3 * i, g = c->planar ? n + i : 3 * i + 1, b = c->planar ? 2 * n + i : 3 * i + 2;
    // Colour samples are unsigned: 32-bit ones come back as their bits, and
    // so does their luma (the series reader reads them unsigned).
    double y = 0.299 * (uint32_t)stored_value(p, bytes, r, bits, 0) + 0.587 * (uint32_t)stored_value(p, bytes, g, bits, 0) +
               0.114 * (uint32_t)stored_value(p, bytes, b, bits, 0);
    return (int32_t)(uint32_t)llrint(y);
}

// Pixel i of a colour frame as R, G and B: YCbCr by the JPEG (T.871) full
// range equations, as pydicom converts it.
static void rgb_of(const void *p, int bytes, size_t n, size_t i, int bits, const colour_layout *c, int32_t rgb[3])
{
    size_t at[3];
    if (c->sub422) at[0] = (i / 2) * 4 + (i & 1), at[1] = (i / 2) * 4 + 2, at[2] = (i / 2) * 4 + 3;
    else if (c->planar) at[0] = i, at[1] = n + i, at[2] = 2 * n + i;
    else at[0] = 3 * i, at[1] = 3 * i + 1, at[2] = 3 * i + 2;
    double v[3];
    for (int k = 0; k < 3; k++) v[k] = stored_value(p, bytes, at[k], bits, 0);
    double top = (double)((1u << bits) - 1u), half = (double)(1u << (bits - 1));
    if (c->ybr) {
        double y = v[0], cb = v[1] - half, cr = v[2] - half;
        v[0] = y + 1.402 * cr, v[1] = y - 0.344136 * cb - 0.714136 * cr, v[2] = y + 1.772 * cb;
    }
    for (int k = 0; k < 3; k++) rgb[k] = (int32_t)lrint(v[k] < 0 ? 0 : v[k] > top ? top : v[k]);
}

// One decoded colour frame fb (n pixels laid out as c says) into o: its
// grey, or with rgb set three planes R, G, B.
static void colour_frame(const void *fb, int bytes, size_t n, int bits, const colour_layout *c, int rgb, int32_t *o)
{
    int32_t px[3];
    for (size_t i = 0; i < n; i++) {
        if (!rgb) {
            o[i] = grey_of(fb, bytes, n, i, bits, c);
            continue;
        }
        rgb_of(fb, bytes, n, i, bits, c, px);
        o[i] = px[0], o[n + i] = px[1], o[2 * n + i] = px[2];
    }
}

// JPEG 2000 frames into out as decode_frames gives them. The decoder
// undoes a colour codestream's component transform (YBR_RCT, YBR_ICT), so
// colour frames come out R, G, B: grey is their luma, as for native RGB.
static ms_status decode_j2k_frames(const char *path, DcmDataset *ds, const ms_dcm_header *h, int first, int count,
                                   int rgb, int32_t *out)
{
    size_t n = (size_t)h->rows * (size_t)h->cols;
    if (h->samples != 1 && h->samples != 3)
        return ms_fail(MS_ERR_INPUT, "%s: JPEG 2000 with %d samples per pixel (1 or 3)", path, h->samples);
    std::vector<int32_t> px(h->samples == 3 ? 3 * n : 0);
    const colour_layout rgb_interleaved = {0, 0, 0};
    int bits = h->bits_stored > 0 && h->bits_stored <= 16 ? h->bits_stored : 16;
    ms_status st = MS_OK;
    for (int f = 0; f < count && !st; f++) {
        if (h->samples == 1) {
            st = read_j2k(path, ds, h, first + f, out + (size_t)f * n);
            continue;
        }
        if ((st = read_j2k(path, ds, h, first + f, px.data()))) break;
        colour_frame(px.data(), 4, n, bits, &rgb_interleaved, rgb, out + (size_t)f * n * (rgb ? 3 : 1));
    }
    return st;
}

// Frames [first, first + count) into out, rows*cols values each: grey
// (colour as its luma), or with rgb set and a colour image, three planes
// (R, G, B) a frame.
static ms_status decode_frames(const char *path, const ms_dcm_header *h, int first, int count, int rgb, int32_t *out)
{
    DcmFileFormat ff;
    if (load(ff, path, false, NULL).bad()) return ms_fail(MS_ERR_INPUT, "%s: cannot read DICOM file", path);
    DcmDataset *ds = ff.getDataset();
    size_t n = (size_t)h->rows * (size_t)h->cols;
    if (is_j2k(h->transfer_syntax)) return decode_j2k_frames(path, ds, h, first, count, rgb, out);
    ms_status codecs = need_codecs(path, h->transfer_syntax);
    if (codecs) return codecs;
    if (ds->chooseRepresentation(EXS_LittleEndianExplicit, NULL).bad() ||
        !ds->canWriteXfer(EXS_LittleEndianExplicit))
        return decode_error(path, h);
    DcmElement *el = NULL;
    if (ds->findAndGetElement(DCM_PixelData, el).bad() || !el)
        return ms_fail(MS_ERR_INPUT, "%s: no pixel data", path);
    colour_layout col;
    ms_status st = colour_of(path, ds, h, rgb, &col);
    if (st) return st;
    int bytes = h->bits_alloc <= 8 ? 1 : h->bits_alloc <= 16 ? 2 : 4;
    size_t per_frame = n * samples_per_pixel(h, &col), need = per_frame * (size_t)bytes * (size_t)h->frames;
    if ((size_t)el->getLength() < need)
        return ms_fail(MS_ERR_INPUT, "%s: pixel data holds %lu bytes, %zu expected (%d frames)", path,
                       (unsigned long)el->getLength(), need, h->frames);
    // The bytes are in memory in order whatever the VR (8-bit data in OW).
    Uint8 *p8 = NULL;
    Uint16 *p16 = NULL;
    Uint32 *p32 = NULL;
    const void *p = NULL;
    if (el->getUint8Array(p8).good() && p8) p = p8;
    else if (el->getUint16Array(p16).good() && p16) p = p16;
    else if (el->getUint32Array(p32).good() && p32) p = p32;
    if (!p) return decode_error(path, h);
    const unsigned char *base = (const unsigned char *)p + (size_t)first * per_frame * (size_t)bytes;
    // 32-bit samples of a big-endian file in an OW element: DCMTK swapped
    // them as 16-bit words, leaving each sample's halves in file order.
    std::vector<Uint32> fixed;
    if (bytes == 4 && el->getVR() == EVR_OW && DcmXfer(h->transfer_syntax).isBigEndian()) {
        fixed.resize(n * (size_t)count);
        const Uint16 *w = (const Uint16 *)base;
        for (size_t i = 0; i < fixed.size(); i++) fixed[i] = (Uint32)w[2 * i] << 16 | w[2 * i + 1];
        base = (const unsigned char *)fixed.data();
    }
    int bits = h->bits_stored > 0 && h->bits_stored <= 8 * bytes ? h->bits_stored : 8 * bytes;
    if (h->samples == 1) {
        for (size_t i = 0; i < n * (size_t)count; i++) out[i] = stored_value(base, bytes, i, bits, h->pixel_rep == 1);
        return MS_OK;
    }
    for (int f = 0; f < count; f++)
        colour_frame(base + (size_t)f * per_frame * (size_t)bytes, bytes, n, bits, &col, rgb,
                     out + (size_t)f * n * (rgb ? 3 : 1));
    return MS_OK;
}

extern "C" ms_status ms_dcm_read_pixels(const char *path, const ms_dcm_header *h, int32_t *out)
{
    return decode_frames(path, h, h->frame, 1, 0, out);
}

extern "C" ms_status ms_dcm_read_rgb(const char *path, const ms_dcm_header *h, int32_t *out)
{
    if (h->samples != 3) return ms_fail(MS_ERR_INTERNAL, "%s: not a colour image", path);
    return decode_frames(path, h, h->frame, 1, 1, out);
}

extern "C" ms_status ms_dcm_read_all_frames(const char *path, const ms_dcm_header *h, int32_t *out)
{
    return decode_frames(path, h, 0, h->frames, 0, out);
}

// DS values are at most 16 characters.
static void ds_string(char *buf, size_t n, const double *v, int count)
{
    size_t pos = 0;
    buf[0] = '\0';
    for (int i = 0; i < count && pos < n; i++) {
        char one[32];
        for (int prec = 10; prec > 1; prec--) {
            snprintf(one, sizeof one, "%.*g", prec, v[i] == 0 ? 0.0 : v[i]);
            if (strlen(one) <= 16) break;
        }
        pos += (size_t)snprintf(buf + pos, n - pos, "%s%s", i ? "\\" : "", one);
    }
}

extern "C" ms_status ms_dcm_write_ct_slice(const char *path, const ms_dcm_ct_slice *s)
{
    init_dcmtk();
    DcmFileFormat ff;
    DcmDataset *ds = ff.getDataset();
    char buf[256];
    OFCondition c = EC_Normal;
    auto put = [&](const DcmTagKey &t, const char *v) { if (c.good()) c = ds->putAndInsertString(t, v); };
    auto put_u16 = [&](const DcmTagKey &t, int v) { if (c.good()) c = ds->putAndInsertUint16(t, (Uint16)v); };
    put(DCM_SOPClassUID, UID_CTImageStorage);
    put(DCM_SOPInstanceUID, s->sop_uid);
    put(DCM_StudyInstanceUID, s->study_uid);
    put(DCM_SeriesInstanceUID, s->series_uid);
    put(DCM_FrameOfReferenceUID, s->frame_uid);
    put(DCM_Modality, "CT");
    put(DCM_Manufacturer, "medseg phantom");
    put(DCM_ImageType, "DERIVED\\SECONDARY\\AXIAL");
    put(DCM_PatientName, s->patient_name);
    put(DCM_PatientID, s->patient_id);
    put(DCM_PatientBirthDate, "");
    put(DCM_PatientSex, "O");
    put(DCM_StudyDate, "");
    put(DCM_StudyTime, "");
    put(DCM_AccessionNumber, "");
    put(DCM_ReferringPhysicianName, "");
    put(DCM_StudyID, "1");
    put(DCM_SeriesDescription, s->series_description);
    snprintf(buf, sizeof buf, "%d", s->series_number);
    put(DCM_SeriesNumber, buf);
    snprintf(buf, sizeof buf, "%d", s->instance);
    put(DCM_InstanceNumber, buf);
    ds_string(buf, sizeof buf, s->ipp, 3);
    put(DCM_ImagePositionPatient, buf);
    ds_string(buf, sizeof buf, s->iop, 6);
    put(DCM_ImageOrientationPatient, buf);
    ds_string(buf, sizeof buf, s->pixel_spacing, 2);
    put(DCM_PixelSpacing, buf);
    ds_string(buf, sizeof buf, &s->slice_thickness, 1);
    put(DCM_SliceThickness, buf);
    put(DCM_PhotometricInterpretation, "MONOCHROME2");
    put(DCM_RescaleIntercept, "-1024");
    put(DCM_RescaleSlope, "1");
    put(DCM_RescaleType, "HU");
    put(DCM_WindowCenter, "-600");
    put(DCM_WindowWidth, "1500");
    put_u16(DCM_SamplesPerPixel, 1);
    put_u16(DCM_Rows, s->rows);
    put_u16(DCM_Columns, s->cols);
    put_u16(DCM_BitsAllocated, 16);
    put_u16(DCM_BitsStored, 16);
    put_u16(DCM_HighBit, 15);
    put_u16(DCM_PixelRepresentation, 0);
    if (c.good())
        c = ds->putAndInsertUint16Array(DCM_PixelData, s->stored, (unsigned long)s->rows * (unsigned long)s->cols);
    if (c.bad()) return ms_fail(MS_ERR_INTERNAL, "%s: cannot build DICOM dataset: %s", path, c.text());
    c = ff.saveFile(path, EXS_LittleEndianExplicit);
    if (c.bad()) return ms_fail(MS_ERR_IO, "%s: cannot write DICOM file: %s", path, c.text());
    return MS_OK;
}

extern "C" ms_status ms_dcm_read_voi(const char *path, ms_dcm_voi *voi)
{
    init_dcmtk();
    memset(voi, 0, sizeof *voi);
    DcmFileFormat ff;
    if (load(ff, path, true, NULL).bad()) return ms_fail(MS_ERR_INPUT, "%s: cannot read DICOM file", path);
    DcmDataset *ds = ff.getDataset();
    voi->has_window = get_doubles(ds, DCM_WindowCenter, &voi->center, 1) && get_doubles(ds, DCM_WindowWidth, &voi->width, 1) &&
                      voi->width >= 1;
    DcmItem *item = NULL;
    if (ds->findAndGetSequenceItem(DCM_VOILUTSequence, item, 0).good() && item) {
        Uint16 d[3];
        const Uint16 *data = NULL;
        unsigned long count = 0;
        bool desc = item->findAndGetUint16(DCM_LUTDescriptor, d[0], 0).good() &&
                    item->findAndGetUint16(DCM_LUTDescriptor, d[1], 1).good() &&
                    item->findAndGetUint16(DCM_LUTDescriptor, d[2], 2).good();
        if (desc && item->findAndGetUint16Array(DCM_LUTData, data, &count).good() && data) {
            // Entries: 0 in the descriptor means 65536 (PS3.3 C.11.2.1.1).
            unsigned long n = d[0] ? d[0] : 65536;
            if (count < n || d[2] < 8 || d[2] > 16)
                return ms_fail(MS_ERR_INPUT, "%s: VOI LUT with %lu of %lu entries or %u bits", path, count, n, d[2]);
            voi->lut = static_cast<uint16_t *>(malloc(n * sizeof *voi->lut));
            if (!voi->lut) return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
            memcpy(voi->lut, data, n * sizeof *voi->lut);
            voi->lut_n = (int)n;
            voi->lut_first = d[1];   // as stored; signed when PixelRepresentation is 1
            voi->lut_bits = d[2];
            voi->has_lut = 1;
        }
    }
    return MS_OK;
}

extern "C" void ms_dicom_public_dictionary_only(void)
{
    if (getenv(DCM_DICT_ENVIRONMENT_VARIABLE)) return;
    std::string path(DCM_DICT_DEFAULT_PATH);
    path = path.substr(0, path.find(ENVIRONMENT_PATH_SEPARATOR));
    if (FILE *f = fopen(path.c_str(), "r")) {
        fclose(f);
        setenv(DCM_DICT_ENVIRONMENT_VARIABLE, path.c_str(), 0);
    }
}
