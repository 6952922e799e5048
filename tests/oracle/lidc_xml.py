"""Reader annotations of an LIDC-IDRI XML file as LPS points: one point per
reader per nodule (the mean of its outline points over its slices), for
the nodules (>= 3 mm, outlined) whose slices lie in the given series."""
import glob
import os
import xml.etree.ElementTree as ET

import numpy as np
import pydicom


def _ns(tag):
    return tag.split("}")[0] + "}" if tag.startswith("{") else ""


def reader_points(series_dir):
    files = glob.glob(os.path.join(series_dir, "*.dcm"))
    ds = pydicom.dcmread(files[0], stop_before_pixels=True)
    zs = sorted(float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2]) for f in files)
    ipp = np.array(ds.ImagePositionPatient, float)
    dr, dc = (float(v) for v in ds.PixelSpacing)
    iop = np.array(ds.ImageOrientationPatient, float)
    out = []
    for x in glob.glob(os.path.join(series_dir, "*.xml")):
        root = ET.parse(x).getroot()
        ns = _ns(root.tag)
        for nod in root.iter(ns + "unblindedReadNodule"):
            pts = []
            for roi in nod.iter(ns + "roi"):
                z = float(roi.find(ns + "imageZposition").text)
                if not (zs[0] - 0.1 <= z <= zs[-1] + 0.1):
                    continue
                for e in roi.iter(ns + "edgeMap"):
                    c, r = float(e.find(ns + "xCoord").text), float(e.find(ns + "yCoord").text)
                    p = ipp + c * dc * iop[:3] + r * dr * iop[3:]
                    pts.append([p[0], p[1], z])
            if len(pts) >= 3 and nod.find(ns + "characteristics") is not None:
                out.append(np.mean(pts, axis=0))
    return out
