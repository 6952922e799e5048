"""validate seg against an independent NumPy/SciPy implementation of the
same definitions (written here, sharing no code with medseg):

- overlap: Dice = 2|P&R|/(|P|+|R|), Jaccard = |P&R|/|P|R|;
- surfels: 2x2x2 voxel cubes that are neither all in nor all out (the dual
  grid of DeepMind's surface-distance), each weighted by the area of its
  marching-cubes surface: crossings at edge midpoints, joined on each face
  (ambiguous faces cut each inside corner off alone), chained into loops,
  a loop's area = |vector area|;
- distances: from each surfel to the nearest surfel of the other mask
  (scipy.ndimage.distance_transform_edt with the voxel spacing);
- HD = max; HD95 = max of the two directed robust percentiles (first
  surfel, by distance, whose cumulative area reaches 95%); ASSD = all
  area-weighted distances of both directions over the total area.

Cases: the LIDC nodule masks and the heart label maps from ../shared/data
(when present) against deformed copies, and synthetic shapes on
anisotropic grids. Tolerance 1e-6 mm."""
import json
import os
import sys

from common import Checker, medseg, need, tmpdir

np, nib, _ = need("numpy", "nibabel", "scipy")
from scipy import ndimage as ndi  # noqa: E402
from surface_ref import reference_metrics  # noqa: E402

SHARED = os.environ.get("SHARED_DATA", "../shared/data")
T = tmpdir()
C = Checker()

def compare(name, pred, ref, affine, labels=None):
    pp, rp = os.path.join(T, name + "_p.nii.gz"), os.path.join(T, name + "_r.nii.gz")
    nib.save(nib.Nifti1Image(pred.astype(np.int16), affine), pp)
    nib.save(nib.Nifti1Image(ref.astype(np.int16), affine), rp)
    args = ["validate", "seg", "--pred", pp, "--ref", rp, "--json"]
    if labels:
        args += ["--labels", ",".join(map(str, labels))]
    got = json.loads(medseg(*args).stdout)
    spacing = nib.load(pp).header.get_zooms()[:3]
    spacing = tuple(float(s) for s in spacing)
    worst = 0.0
    for entry in got["labels"]:
        lab = entry["label"]
        if entry["empty"] != "none":
            continue
        want = reference_metrics(pred == lab, ref == lab, spacing)
        for k, v in want.items():
            err = abs(entry[k] - v)
            worst = max(worst, err)
            C.check(err <= 1e-6, f"{name} label {lab}: {k} {entry[k]} vs {v}")
    print(f"{name}: {len(got['labels'])} labels, spacing {spacing}, worst difference {worst:.2e}")
    return got


def deform(mask, shift, seed):
    """A plausible prediction: shifted, eroded here, dilated there."""
    rng = np.random.default_rng(seed)
    out = np.roll(mask, shift, axis=(0, 1, 2))
    lab = out.copy()
    for v in np.unique(out[out > 0]):
        m = out == v
        if rng.random() < 0.5:
            m2 = ndi.binary_erosion(m)
        else:
            m2 = ndi.binary_dilation(m) & (out == 0) | m
        lab[m] = 0
        lab[m2] = v
    return lab


def synthetic():
    x, y, z = np.mgrid[0:40, 0:36, 0:24]
    ball = ((x - 18) ** 2 + (y - 17) ** 2 + ((z - 11) * 1.8) ** 2) < 120
    cube = (abs(x - 20) < 9) & (abs(y - 15) < 7) & (abs(z - 12) < 6)
    aff = np.diag([0.7, 0.9, 2.5, 1.0])
    compare("ball_vs_cube_aniso", ball.astype(int), cube.astype(int), aff)
    # Thin, diagonal, ambiguous configurations: a checkerboard fragment.
    rng = np.random.default_rng(3)
    noisy = (rng.random((20, 18, 12)) < 0.3).astype(int)
    noisy2 = (rng.random((20, 18, 12)) < 0.3).astype(int)
    compare("random_voxels", noisy, noisy2, np.diag([1.3, 0.6, 3.0, 1.0]))
    # Many small labels scattered over the grid: scored by direct search
    # over the cubes that touch them (the sparse path), not on their boxes.
    lab = np.where(rng.random((40, 36, 24)) < 0.05, rng.integers(1, 120, (40, 36, 24)), 0)
    lab2 = np.where(rng.random(lab.shape) < 0.2, np.roll(lab, 1, axis=0), lab)
    compare("scattered_labels", lab2, lab, np.diag([0.8, 1.1, 2.0, 1.0]))
    # Multi-label with a label only in the reference and a far outlier.
    a = np.zeros((30, 30, 20), int)
    b = np.zeros_like(a)
    a[5:15, 5:15, 3:9] = 1
    b[6:16, 5:14, 3:10] = 1
    b[20:25, 20:25, 10:15] = 2
    a[28, 28, 18] = 1
    got = compare("multilabel", a, b, np.diag([1.0, 1.0, 1.5, 1.0]))
    lab2 = [e for e in got["labels"] if e["label"] == 2][0]
    C.check(lab2["dice"] == 0 and lab2["hd"] is None and lab2["empty"] == "pred",
            "label missing from the prediction: Dice 0, distances infinite (null), empty=pred")
    got = json.loads(medseg("validate", "seg", "--pred", os.path.join(T, "multilabel_p.nii.gz"), "--ref",
                            os.path.join(T, "multilabel_r.nii.gz"), "--labels", "3", "--json").stdout)
    e = got["labels"][0]
    C.check(e["dice"] is None and e["empty"] == "both", "label absent from both: Dice NaN (null)")


def real():
    crops = os.path.join(SHARED, "lidc_nodule_crops", "nodule_mask")
    hearts = os.path.join(SHARED, "heart_labels")
    if not os.path.isdir(crops):
        print(f"note: {SHARED} is absent; real masks skipped")
        return
    for n in sorted(os.listdir(crops)):
        img = nib.load(os.path.join(crops, n))
        m = np.asarray(img.dataobj) > 0
        compare("lidc_" + n.split(".")[0], deform(m.astype(int), (1, -1, 0), 1), m.astype(int), img.affine)
    if os.path.isdir(hearts):
        for n in sorted(os.listdir(hearts))[:1]:
            if not n.endswith((".nii", ".nii.gz")):
                continue
            img = nib.load(os.path.join(hearts, n))
            m = np.asarray(img.dataobj).astype(int)
            # Crop to keep the Python side quick.
            nz = np.argwhere(m > 0)
            lo, hi = nz.min(0), nz.max(0) + 1
            m = m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
            compare("heart_" + n.split(".")[0], deform(m, (2, 0, -1), 2), m, img.affine)


def bad_input():
    a = np.zeros((10, 10, 10), np.int16)
    a[2:5, 2:5, 2:5] = 1
    p1, p2, p3 = (os.path.join(T, f"g{i}.nii.gz") for i in range(3))
    nib.save(nib.Nifti1Image(a, np.eye(4)), p1)
    nib.save(nib.Nifti1Image(a[:, :, :9], np.eye(4)), p2)
    shifted = np.eye(4)
    shifted[0, 3] = 0.5
    nib.save(nib.Nifti1Image(a, shifted), p3)
    for other, what in ((p2, "10x10x9"), (p3, "voxel-to-world")):
        r = medseg("validate", "seg", "--pred", p1, "--ref", other, check=False)
        C.check(r.returncode == 3 and what in r.stderr, f"grid mismatch ({what}): exit {r.returncode} {r.stderr.strip()}")
    frac = os.path.join(T, "frac.nii.gz")
    nib.save(nib.Nifti1Image(a.astype(np.float32) * 0.5, np.eye(4)), frac)
    r = medseg("validate", "seg", "--pred", frac, "--ref", p1, check=False)
    C.check(r.returncode == 3 and "whole numbers" in r.stderr, f"fractional labels: {r.stderr.strip()}")
    r = medseg("validate", "seg", "--pred", p1, "--ref", p1, "--labels", "1,x", check=False)
    C.check(r.returncode == 2, "--labels 1,x is a usage error")
    r = medseg("validate", "seg", "--pred", p1, "--ref", p1, "--plot", "x.svg", check=False)
    C.check(r.returncode == 2, "--plot with seg is a usage error")
    csv = os.path.join(T, "seg.csv")
    medseg("validate", "seg", "--pred", p1, "--ref", p1, "--csv", csv)
    rows = open(csv).read().splitlines()
    C.check(rows[0].startswith("label,dice,") and rows[1].startswith("1,1,1,0,0,0,"), f"CSV: {rows}")


def folders():
    """--pred/--ref folders: a row per case and label equal to NumPy's Dice,
    a mean row per label, and shards whose rows together are the whole."""
    import csv as csvmod
    rng = np.random.default_rng(7)
    dp, dr = os.path.join(T, "fold_pred"), os.path.join(T, "fold_ref")
    os.makedirs(dp), os.makedirs(dr)
    want = {}
    for i in range(7):
        r = np.zeros((24, 22, 12), np.uint8)
        r[4:14, 5:15, 2:9] = 1
        r[16:21, 3:9, 3:7] = 2
        p = r.copy()
        p[4 + i:14, 5:15, 2:9] = 0 if i % 2 else 1
        p[rng.integers(0, 24, 30), rng.integers(0, 22, 30), rng.integers(0, 12, 30)] = 2
        aff = np.diag([0.8, 0.9, 2.0, 1])
        nib.save(nib.Nifti1Image(r, aff), os.path.join(dr, f"case{i}.nii.gz"))
        nib.save(nib.Nifti1Image(p, aff), os.path.join(dp, f"case{i}.nii.gz"))
        for lab in (1, 2):
            a, b = p == lab, r == lab
            want[(f"case{i}.nii.gz", lab)] = 2 * (a & b).sum() / (a.sum() + b.sum())

    def rows(*extra):
        out = medseg("validate", "seg", "--pred", dp, "--ref", dr, "--csv", "-", *extra).stdout
        return list(csvmod.DictReader(out.splitlines()))

    full = rows()
    cases = [r for r in full if r["case"] != "mean"]
    C.check(len(cases) == 14, f"folders: {len(cases)} case rows, want 14")
    worst = max(abs(float(r["dice"]) - want[(r["case"], int(r["label"]))]) for r in cases)
    C.check(worst < 1e-9, f"folders: Dice off by {worst}")
    for lab in (1, 2):
        m = [r for r in full if r["case"] == "mean" and int(r["label"]) == lab]
        ref = np.mean([v for (c, l), v in want.items() if l == lab])
        C.check(len(m) == 1 and abs(float(m[0]["dice"]) - ref) < 1e-9, f"folders: mean Dice of label {lab}")
    parts = []
    for k in range(3):
        parts += [r for r in rows("--shard", f"{k}/3") if r["case"] != "mean"]
    C.check(sorted(map(str, parts)) == sorted(map(str, cases)), "folders: 3 shards' rows are the whole, once each")
    os.remove(os.path.join(dp, "case3.nii.gz"))
    r = medseg("validate", "seg", "--pred", dp, "--ref", dr, check=False)
    C.check(r.returncode == 3 and "no prediction" in r.stderr, f"folders: a missing prediction is exit 3 ({r.stderr.strip()})")


synthetic()
real()
bad_input()
folders()
C.done()
