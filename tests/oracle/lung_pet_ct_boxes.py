"""The Lung-PET-CT-Dx tumour boxes (Pascal VOC XML named by SOPInstanceUID)
as LPS boxes: pydicom gives each slice's position and pixel spacing."""
import glob, os
import xml.etree.ElementTree as ET

import numpy as np
import pydicom


def slice_geometry(series_dir):
    geo = {}
    for f in glob.glob(os.path.join(series_dir, "*.dcm")):
        d = pydicom.dcmread(f, stop_before_pixels=True)
        iop = np.array(d.ImageOrientationPatient, float)
        geo[d.SOPInstanceUID] = (np.array(d.ImagePositionPatient, float), iop[:3], iop[3:],
                                 [float(v) for v in d.PixelSpacing])
    return geo


def boxes_lps(series_dir, xml_dir):
    """[(lo[3], hi[3])] in LPS mm, one per annotated slice."""
    geo = slice_geometry(series_dir)
    out = []
    for x in glob.glob(os.path.join(xml_dir, "*.xml")):
        uid = os.path.basename(x)[:-4]
        if uid not in geo:
            continue
        ipp, row_dir, col_dir, (dr, dc) = geo[uid]
        for b in ET.parse(x).getroot().iter("bndbox"):
            cols = (float(b.find("xmin").text), float(b.find("xmax").text))
            rows = (float(b.find("ymin").text), float(b.find("ymax").text))
            pts = [ipp + c * dc * row_dir + r * dr * col_dir for c in cols for r in rows]
            out.append((np.min(pts, axis=0), np.max(pts, axis=0)))
    return out
