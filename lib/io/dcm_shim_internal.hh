// Internal to the DCMTK shim (dcm_shim.cc, dcm_frames.cc): helpers both use.
#ifndef MEDSEG_IO_DCM_SHIM_INTERNAL_HH
#define MEDSEG_IO_DCM_SHIM_INTERNAL_HH

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include "dcm_shim.h"

namespace msdcm {
void init_dcmtk();
// Returns 0 when the value did not fit.
int copy_str(DcmItem *ds, const DcmTagKey &tag, char *dst, size_t n);
// 1 when all n values are present and finite.
int get_doubles(DcmItem *ds, const DcmTagKey &tag, double *out, int n);
int get_int(DcmItem *ds, const DcmTagKey &tag, int fallback);
// Opens the JPEG / JPEG-LS codec plugin when syntax ts needs it.
ms_status need_codecs(const char *path, const char *ts);
// Frame f's geometry, rescale and segment number from the functional
// groups (dcm_frames.cc); 0 when the dataset has no per-frame item f.
int frame_from_groups(DcmItem *ds, int f, ms_dcm_header *h);
// Loads path up to its pixel data (header_only) or whole (dcm_load.cc); a
// data set in implicit VR under an encapsulated syntax is read as encoded,
// its pixel fragments kept as that syntax's, and *implicit (may be NULL) set.
OFCondition load(DcmFileFormat &ff, const char *path, bool header_only, bool *implicit);
}  // namespace msdcm

#endif
