"""detect-nodules on the real scans in ../shared/data (skipped without it):
- Lung-PET-CT-Dx A0002 (Siemens, 8 mm slices): the annotated tumour is
  reported (a nodule centre inside an annotated box, within 8 mm of its
  slice), adult lung volumes (2-9 L) with both lungs present, and the
  thick-slice warning;
- TotalSegmentator example_ct: lung mask Dice >= 0.95 against the union of
  its five lung-lobe labels (10-14), left/right against the lobes' sides;
- the LIDC-IDRI slabs: every readers' nodule (lidc_xml.py) has a candidate
  within 5 mm, the 25 mm nodule of 0003 is reported, nothing absurd
  (diameters under 40 mm, probabilities in [0, 1]).
Boxes are placed in LPS by pydicom (lung_pet_ct_boxes.py), masks read by
nibabel."""
import json
import os

from common import Checker, medseg, need, shared, tmpdir

np, nib, pydicom = need("numpy", "nibabel", "pydicom")
from lung_pet_ct_boxes import boxes_lps  # noqa: E402  (needs pydicom)
from lidc_xml import reader_points  # noqa: E402

C = Checker()
d = tmpdir()


def run(src, name, *extra):
    medseg("detect-nodules", src, "-o", f"{d}/{name}", "-q", *extra)
    return json.load(open(f"{d}/{name}/report.json"))


def lung_pet_ct():
    series = shared("lung_pet_ct_dx", "Lung_Dx-A0002_series3_8mm_B40f")
    boxes = boxes_lps(series, shared("lung_pet_ct_dx", "annotations_voc_xml"))
    rep = run(series, "petct")
    lungs = rep["lungs"]
    C.check(2000 <= lungs["total_ml"] <= 9000, f"adult lung volume: {lungs}")
    C.check(min(lungs["right_ml"], lungs["left_ml"]) > 0.25 * lungs["total_ml"], f"both lungs: {lungs}")
    C.check(any("thickness" in w for w in rep["warnings"]), "thick-slice warning")

    def inside(c):
        return any(lo[0] <= c[0] <= hi[0] and lo[1] <= c[1] <= hi[1] and abs(c[2] - lo[2]) <= 8 for lo, hi in boxes)
    hits = [n for n in rep["nodules"] if inside(n["center_lps"])]
    C.check(bool(hits), "annotated tumour reported: " + str([n["center_lps"] for n in rep["nodules"]]))
    for n in hits:
        print(f"tumour: nodule {n['id']} of {len(rep['nodules'])}, {n['diameter_mm']} mm, p={n['probability']}")


def totalseg():
    ct = shared("totalsegmentator", "example_ct.nii.gz")
    seg = np.asarray(nib.load(shared("totalsegmentator", "example_seg_fast_force_split_on_ct.nii.gz")).dataobj)
    run(ct, "ts")
    lungs = np.asarray(nib.load(f"{d}/ts/lungs.nii.gz").dataobj)
    ref = (seg >= 10) & (seg <= 14)
    got = lungs > 0
    dice = 2 * (got & ref).sum() / (got.sum() + ref.sum())
    print(f"TotalSegmentator example_ct lung Dice {dice:.3f}")
    C.check(dice >= 0.95, f"lung Dice {dice:.3f} against the lobe labels")
    left_ref, right_ref = (seg == 10) | (seg == 11), (seg >= 12) & (seg <= 14)
    C.check(((lungs == 1) & right_ref).sum() > 0.9 * ((lungs == 1) & ref).sum(), "label 1 is the right lung")
    C.check(((lungs == 2) & left_ref).sum() > 0.9 * ((lungs == 2) & ref).sum(), "label 2 is the left lung")


def lidc():
    import csv
    import math
    for case in ("LIDC-IDRI-0002", "LIDC-IDRI-0003"):
        series = shared("lidc_ct_slabs", case)
        rep = run(series, case)
        C.check(rep["lungs"]["total_ml"] > 50, f"{case}: lungs found ({rep['lungs']})")
        for n in rep["nodules"]:
            C.check(0 <= n["probability"] <= 1 and 0 < n["diameter_mm"] < 40, f"{case}: absurd nodule {n}")
        cands = [[float(r[k]) for k in ("coordX", "coordY", "coordZ", "probability")]
                 for r in csv.DictReader(open(f"{d}/{case}/candidates.csv"))]
        for p in reader_points(series):
            near = [c for c in cands if math.dist(c[:3], p) <= 5]
            C.check(bool(near), f"{case}: no candidate within 5 mm of the readers' nodule at {p.round(1)}")
            if near:
                best = max(c[3] for c in near)
                print(f"{case}: readers' nodule at {p.round(1)}: candidate p={best:.3f}"
                      f" ({'reported' if best >= 0.5 else 'not reported'})")
        if case == "LIDC-IDRI-0003":   # a 25 mm nodule all four readers outlined
            pts = reader_points(series)
            C.check(any(math.dist(n["center_lps"], p) <= 5 for n in rep["nodules"] for p in pts),
                    f"{case}: the readers' nodule is reported")


lung_pet_ct()
totalseg()
lidc()
C.done()
