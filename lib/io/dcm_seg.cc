// The pixel data of a DICOM Segmentation object (PS3.3 C.8.20.2). BINARY
// frames are 1-bit samples packed without padding between frames, the first
// pixel in the lowest bit of the first byte (PS3.5 8.1.1), so a frame need
// not start on a byte; FRACTIONAL frames are plain 8-bit samples.
#include "dcm_shim.h"
#include "dcm_shim_internal.hh"

#include <cstring>

using namespace msdcm;

extern "C" ms_status ms_dcm_read_seg_frames(const char *path, const ms_dcm_header *h, uint8_t *out)
{
    init_dcmtk();
    if (h->bits_alloc != 1 && h->bits_alloc != 8)
        return ms_fail(MS_ERR_INPUT, "%s: Segmentation with BitsAllocated %d (1 for BINARY, 8 for FRACTIONAL)", path,
                       h->bits_alloc);
    DcmFileFormat ff;
    if (ff.loadFile(path).bad()) return ms_fail(MS_ERR_INPUT, "%s: cannot read DICOM file", path);
    DcmDataset *ds = ff.getDataset();
    ms_status codecs = need_codecs(path, h->transfer_syntax);
    if (codecs) return codecs;
    if (ds->chooseRepresentation(EXS_LittleEndianExplicit, NULL).bad() || !ds->canWriteXfer(EXS_LittleEndianExplicit))
        return ms_fail(MS_ERR_INPUT, "%s: cannot decode Segmentation pixel data in transfer syntax %s", path,
                       h->transfer_syntax);
    DcmElement *el = NULL;
    if (ds->findAndGetElement(DCM_PixelData, el).bad() || !el) return ms_fail(MS_ERR_INPUT, "%s: no pixel data", path);
    size_t n = (size_t)h->rows * (size_t)h->cols * (size_t)h->frames;
    size_t need = h->bits_alloc == 1 ? (n + 7) / 8 : n;
    if ((size_t)el->getLength() < need)
        return ms_fail(MS_ERR_INPUT, "%s: pixel data holds %lu bytes, %zu expected (%d frames of %dx%d, %d-bit)", path,
                       (unsigned long)el->getLength(), need, h->frames, h->cols, h->rows, h->bits_alloc);
    // In memory the bytes are in stream order whatever the VR: DCMTK swaps
    // the words of a big-endian OW element to the host's (little) order.
    Uint8 *p8 = NULL;
    Uint16 *p16 = NULL;
    const Uint8 *p = NULL;
    if (el->getUint8Array(p8).good() && p8) p = p8;
    else if (el->getUint16Array(p16).good() && p16) p = (const Uint8 *)p16;
    if (!p) return ms_fail(MS_ERR_INPUT, "%s: unreadable Segmentation pixel data", path);
    if (h->bits_alloc == 8) {
        memcpy(out, p, n);
        return MS_OK;
    }
    for (size_t i = 0; i < n; i++) out[i] = (uint8_t)((p[i >> 3] >> (i & 7)) & 1u);
    return MS_OK;
}
