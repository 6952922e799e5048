// Multi-frame images as one header a frame: Enhanced CT/MR/PET give each
// frame's geometry in functional groups (PS3.3 C.7.6.16: per-frame items,
// with what all frames share in one shared item); RT dose gives offsets
// along the slice normal (GridFrameOffsetVector, PS3.3 C.8.8.3; its
// DoseGridScaling is read as the slope with the rest of the header).
#include "dcm_shim.h"
#include "dcm_shim_internal.hh"

#include <cmath>
#include <cstring>
#include <vector>

using namespace msdcm;

namespace {

// The first item of sequence `tag` in item `in` (NULL when absent).
DcmItem *first_item(DcmItem *in, const DcmTagKey &tag)
{
    DcmItem *it = NULL;
    if (!in || in->findAndGetSequenceItem(tag, it, 0).bad()) return NULL;
    return it;
}

// `value` of functional group `group` for one frame: its per-frame item
// first, then the shared item. 1 when found.
int group_doubles(DcmItem *frame, DcmItem *shared, const DcmTagKey &group, const DcmTagKey &value, double *out, int n)
{
    DcmItem *g = first_item(frame, group);
    if (g && get_doubles(g, value, out, n)) return 1;
    g = first_item(shared, group);
    return g && get_doubles(g, value, out, n);
}

const DcmTagKey kPlanePosition(0x0020, 0x9113), kPlaneOrientation(0x0020, 0x9116);
const DcmTagKey kPixelMeasures(0x0028, 0x9110), kValueTransform(0x0028, 0x9145);
const DcmTagKey kSharedGroups(0x5200, 0x9229), kPerFrameGroups(0x5200, 0x9230);
const DcmTagKey kGridFrameOffsets(0x3004, 0x000c);
const DcmTagKey kSegmentIdentification(0x0062, 0x000a), kReferencedSegment(0x0062, 0x000b);

void fill_from_groups(DcmItem *frame, DcmItem *shared, ms_dcm_header *h)
{
    h->has_ipp = group_doubles(frame, shared, kPlanePosition, DCM_ImagePositionPatient, h->ipp, 3) || h->has_ipp;
    h->has_iop = group_doubles(frame, shared, kPlaneOrientation, DCM_ImageOrientationPatient, h->iop, 6) || h->has_iop;
    h->has_spacing = group_doubles(frame, shared, kPixelMeasures, DCM_PixelSpacing, h->pixel_spacing, 2) || h->has_spacing;
    group_doubles(frame, shared, kPixelMeasures, DCM_SliceThickness, &h->slice_thickness, 1);
    if (group_doubles(frame, shared, kValueTransform, DCM_RescaleSlope, &h->slope, 1) && h->slope == 0) h->slope = 1;
    group_doubles(frame, shared, kValueTransform, DCM_RescaleIntercept, &h->intercept, 1);
    group_doubles(frame, shared, kPixelMeasures, DCM_SpacingBetweenSlices, &h->slice_spacing, 1);
    DcmItem *seg = first_item(frame, kSegmentIdentification);
    if (!seg) seg = first_item(shared, kSegmentIdentification);
    if (seg) h->segment = get_int(seg, kReferencedSegment, 0);
}

ms_status from_groups(const char *path, DcmDataset *ds, ms_dcm_header *out, int n)
{
    DcmItem *shared = first_item(ds, kSharedGroups);
    for (int f = 0; f < n; f++) {
        DcmItem *frame = NULL;
        if (ds->findAndGetSequenceItem(kPerFrameGroups, frame, f).bad() || !frame)
            return ms_fail(MS_ERR_INPUT, "%s: %d frames but no per-frame functional group item for frame %d", path, n,
                           f + 1);
        fill_from_groups(frame, shared, &out[f]);
        if (!out[f].has_ipp)
            return ms_fail(MS_ERR_INPUT, "%s: frame %d has no position (Plane Position functional group)", path, f + 1);
    }
    return MS_OK;
}

ms_status from_grid_offsets(const char *path, DcmDataset *ds, ms_dcm_header *out, int n)
{
    const ms_dcm_header *h = &out[0];
    if (!h->has_ipp || !h->has_iop)
        return ms_fail(MS_ERR_INPUT, "%s: GridFrameOffsetVector without ImagePositionPatient and "
                       "ImageOrientationPatient", path);
    const double *r = h->iop, *c = h->iop + 3;
    double nrm[3] = {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
    // Offsets are relative to the first frame (first offset 0) or, for
    // axial grids, absolute z: measured from the first offset, both agree.
    double off0 = 0;
    for (int f = 0; f < n; f++) {
        double off;
        if (ds->findAndGetFloat64(kGridFrameOffsets, off, f).bad() || !std::isfinite(off))
            return ms_fail(MS_ERR_INPUT, "%s: GridFrameOffsetVector holds no finite offset for frame %d", path, f + 1);
        if (f == 0) off0 = off;
        for (int a = 0; a < 3; a++) out[f].ipp[a] = h->ipp[a] + (off - off0) * nrm[a];
    }
    return MS_OK;
}

// No frame positions (secondary capture, cine): the frames are stacked
// along the slice normal every SpacingBetweenSlices, else SliceThickness,
// else 1 mm, from the image's position (else the origin), and the header
// says the step was assumed.
ms_status stacked(DcmDataset *ds, ms_dcm_header *out, int n)
{
    static const double axial[6] = {1, 0, 0, 0, 1, 0};
    const double *iop = out[0].has_iop ? out[0].iop : axial;
    double step = 0;
    if (!get_doubles(ds, DCM_SpacingBetweenSlices, &step, 1) || !(step > 0)) step = out[0].slice_thickness;
    if (!(step > 0)) step = 1;
    const double *r = iop, *c = iop + 3;
    double nrm[3] = {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
    double p0[3] = {0, 0, 0};
    if (out[0].has_ipp) memcpy(p0, out[0].ipp, sizeof p0);
    for (int f = 0; f < n; f++) {
        for (int a = 0; a < 3; a++) out[f].ipp[a] = p0[a] + f * step * nrm[a];
        out[f].has_ipp = 1;
        out[f].frame_step_assumed = 1;
    }
    return MS_OK;
}

}  // namespace

int msdcm::frame_from_groups(DcmItem *ds, int f, ms_dcm_header *h)
{
    DcmItem *frame = NULL;
    if (ds->findAndGetSequenceItem(kPerFrameGroups, frame, f).bad() || !frame) return 0;
    fill_from_groups(frame, first_item(ds, kSharedGroups), h);
    return 1;
}

extern "C" ms_status ms_dcm_frame_headers(const char *path, const ms_dcm_header *h, ms_dcm_header *out)
{
    init_dcmtk();
    DcmFileFormat ff;
    if (load(ff, path, true, NULL).bad()) return ms_fail(MS_ERR_INPUT, "%s: cannot read DICOM file", path);
    DcmDataset *ds = ff.getDataset();
    for (int f = 0; f < h->frames; f++) {
        out[f] = *h;
        out[f].frame = f;
    }
    if (ds->tagExists(kPerFrameGroups)) return from_groups(path, ds, out, h->frames);
    if (ds->tagExists(kGridFrameOffsets)) return from_grid_offsets(path, ds, out, h->frames);
    return stacked(ds, out, h->frames);
}
