/* Internal to lib/io: a DICOM Segmentation object read as a label map
 * (dicom_seg.c), called by ms_dicom_read for the frames of a SEG series. */
#ifndef MEDSEG_IO_DICOM_SEG_H
#define MEDSEG_IO_DICOM_SEG_H

#include "dicom_stack.h"
#include "medseg/dicom.h"

/* The n frames (of one or more SEG files) into v: one slice a distinct
 * plane, on the grid their positions and SpacingBetweenSlices make, each
 * voxel the number of the segment that holds it (uint8, or uint16 past
 * 255 segments; the highest where segments overlap, with a warning). */
ms_status dicom_read_seg(const char *path, slice *sl, int n, ms_volume *v, ms_dicom_info *info);

#endif
