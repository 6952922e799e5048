"""Phantoms: the chest truth CSV matches the nodule label map (centres and
sizes, LPS mm through the NIfTI affine), nodules lie in lung, HU ranges are
CT-like; the DICOM copy reads back equal to the NIfTI; the heart has ten
touching classes; the lesion mask matches its image."""
import csv
import os
from common import need, medseg, tmpdir, Checker

np, nib = need("numpy", "nibabel")
from scipy import ndimage  # noqa: E402  (python3-scipy is an install-deps package)

c = Checker()
d = tmpdir()
ct_p, m_p, t_p, dcm = (os.path.join(d, x) for x in ("ct.nii.gz", "m.nii.gz", "t.csv", "dcm"))
medseg("phantom", "chest", "-o", ct_p, "--mask", m_p, "--truth", t_p, "--dicom", dcm, "--seed", 3,
       "--size", "160,150,90", "--spacing", "1.8,1.9,3", "--nodules", 7)
ct, mask = nib.load(ct_p), nib.load(m_p)
a = np.asanyarray(ct.dataobj)
m = np.asanyarray(mask.dataobj)
rows = list(csv.DictReader(open(t_p)))
c.check(len(rows) == int(m.max()) and len(rows) >= 5, f"{len(rows)} truth rows, {m.max()} labels")
c.check(list(rows[0].keys())[:5] == ["seriesuid", "coordX", "coordY", "coordZ", "diameter_mm"], "LUNA16 columns")
lps = np.diag([-1.0, -1, 1, 1]) @ mask.affine
vox = np.prod(mask.header.get_zooms()[:3])
types = set()
for i, r in enumerate(rows, 1):
    com = np.array(ndimage.center_of_mass(m == i))
    world = (lps @ np.r_[com, 1])[:3]
    truth = np.array([float(r["coordX"]), float(r["coordY"]), float(r["coordZ"])])
    c.check(np.linalg.norm(world - truth) < 1.5, f"nodule {i}: centre off by {np.linalg.norm(world - truth):.2f} mm")
    eq_d = 2 * (3 * (m == i).sum() * vox / (4 * np.pi)) ** (1 / 3)
    c.check(abs(eq_d - float(r["diameter_mm"])) < 0.2 * float(r["diameter_mm"]) + 2,
            f"nodule {i}: volume-equivalent diameter {eq_d:.1f} vs {r['diameter_mm']}")
    types.add(r["type"])
c.check(types == {"solid", "part-solid", "ground-glass"}, f"types {types}")
c.check(a.min() >= -1024 and a.max() <= 3071, "HU range")
lung = (a < -700) & (a > -950)
c.check(0.1 < lung.mean() < 0.5, f"lung fraction {lung.mean():.2f}")
c.check(rows[0]["seriesuid"].startswith("2.25."), "seriesuid is a DICOM UID")
# DICOM copy: same values at the same positions, same series UID
out = os.path.join(d, "back.nii.gz")
medseg("convert", dcm, out)
back = nib.load(out)
c.check(np.array_equal(np.asanyarray(back.dataobj), a), "DICOM copy reads back equal")
c.check(np.allclose(back.affine, ct.affine, atol=1e-4), "DICOM copy has the same geometry")
import json
js = json.loads(medseg("info", "--json", dcm).stdout)
c.check(js["dicom"]["series_uid"] == rows[0]["seriesuid"], "truth seriesuid is the DICOM SeriesInstanceUID")

# heart
h_p = os.path.join(d, "h.nii.gz")
medseg("phantom", "heart", "-o", h_p, "--seed", 2, "--size", "96,96,96", "--spacing", "1.5,1.5,1.5")
h = np.asanyarray(nib.load(h_p).dataobj)
present = sorted(set(np.unique(h)) - {0})
c.check(present == list(range(1, 11)), f"heart classes {present}")
counts = [(h == k).sum() for k in range(1, 11)]
c.check(min(counts) > 20, f"every class has voxels {counts}")
touch = ndimage.binary_dilation(h == 3) & (h == 1)
c.check(touch.any(), "myocardium touches the LV")
lab, n = ndimage.label(h > 0)
sizes = np.bincount(lab.ravel())[1:]
c.check(sizes.max() > 0.95 * sizes.sum(), f"the heart is essentially one piece ({sizes})")
medseg("phantom", "heart", "-o", h_p, "--classes", 7, "--size", "64,64,64", "--spacing", "2,2,2")
c.check(np.asanyarray(nib.load(h_p).dataobj).max() == 7, "--classes 7")

# lesion
l_p, lm_p = os.path.join(d, "l.nii.gz"), os.path.join(d, "lm.nii.gz")
medseg("phantom", "lesion", "-o", l_p, "--mask", lm_p, "--seed", 4)
img, lm = np.asanyarray(nib.load(l_p).dataobj), np.asanyarray(nib.load(lm_p).dataobj)
inside, ring = img[lm > 0].mean(), img[ndimage.binary_dilation(lm > 0, iterations=3) & (lm == 0)].mean()
c.check(lm.sum() > 200 and abs(inside - ring) > 30, f"lesion contrast {inside:.0f} vs {ring:.0f}")
c.check(ndimage.label(lm)[1] == 1, "one lesion")
c.done()
