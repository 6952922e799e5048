// Loading a DICOM file into DCMTK, including one kind of broken file that
// DCMTK refuses and pydicom reads: a data set encoded in implicit VR
// although the meta header names an encapsulated (explicit VR) syntax.
// DCMTK detects a wrong VR encoding only for the uncompressed syntaxes.
#include "dcm_shim_internal.hh"

#include <dcmtk/dcmdata/dcistrmf.h>
#include <dcmtk/dcmdata/dcpixseq.h>

#include <cctype>
#include <cstdio>
#include <cstring>

namespace {

// Offset of the data set in a Part 10 file (preamble, "DICM", group 2 of
// the length its group length gives); 0 when the file is not laid out so.
long dataset_offset(const char *path, DcmMetaInfo *meta)
{
    Uint32 glen = 0;
    if (meta->findAndGetUint32(DCM_FileMetaInformationGroupLength, glen).bad() || glen > (1u << 20)) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char b[144 + 6];
    long off = 144 + (long)glen;
    bool ok = fread(b, 1, 144, f) == 144 && memcmp(b + 128, "DICM", 4) == 0 && fseek(f, off, SEEK_SET) == 0 &&
              fread(b, 1, 6, f) == 6;
    fclose(f);
    // Explicit VR would put two upper-case letters after the tag.
    if (!ok || (isupper(b[4]) && isupper(b[5]))) return 0;
    return off;
}

// The pixel fragments were read under implicit VR; they are the named
// syntax's (JPEG, JPEG-LS, JPEG 2000, RLE) compressed frames.
void relabel_pixels(DcmDataset *ds, E_TransferSyntax named)
{
    DcmElement *el = NULL;
    if (ds->findAndGetElement(DCM_PixelData, el).bad() || !el) return;
    DcmPixelData *pd = OFstatic_cast(DcmPixelData *, el);
    DcmPixelSequence *seq = NULL;
    if (pd->getEncapsulatedRepresentation(EXS_LittleEndianImplicit, NULL, seq).bad() || !seq) return;
    pd->putOriginalRepresentation(named, NULL, new DcmPixelSequence(*seq));
}

OFCondition read_implicit(DcmFileFormat &ff, const char *path, bool header_only, bool *implicit)
{
    OFString ts;
    if (ff.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts).bad()) return EC_IllegalCall;
    DcmXfer named(ts.c_str());
    long off = named.isEncapsulated() ? dataset_offset(path, ff.getMetaInfo()) : 0;
    if (!off) return EC_IllegalCall;
    DcmInputFileStream in(path);
    if (in.status().bad() || in.skip((offile_off_t)off) != (offile_off_t)off) return EC_IllegalCall;
    DcmDataset *ds = ff.getDataset();
    ds->clear();
    ds->transferInit();
    OFCondition c = header_only
                        ? ds->readUntilTag(in, EXS_LittleEndianImplicit, EGL_noChange, 4096, DCM_PixelData)
                        : ds->read(in, EXS_LittleEndianImplicit, EGL_noChange, DCM_MaxReadLength);
    ds->transferEnd();
    if (c == EC_StreamNotifyClient || c == EC_EndOfStream) c = EC_Normal;
    if (c.good() && !header_only) relabel_pixels(ds, named.getXfer());
    if (c.good() && implicit) *implicit = true;
    return c;
}

}  // namespace

OFCondition msdcm::load(DcmFileFormat &ff, const char *path, bool header_only, bool *implicit)
{
    init_dcmtk();
    if (implicit) *implicit = false;
    OFCondition c = header_only
                        ? ff.loadFileUntilTag(path, EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect, DCM_PixelData)
                        : ff.loadFile(path);
    if (c.good()) return c;
    OFCondition again = read_implicit(ff, path, header_only, implicit);
    return again.good() ? again : c;
}
