"""Connected components against scipy.ndimage.label: same count and the same
partition for 6/18/26 connectivity on random masks of several densities and
awkward shapes, on real masks from ../shared/data (when present), binary and
per-label; canonical numbering (raster order of first voxel, x fastest);
sizes and boxes in --json against numpy; --largest and --min-size; and the
same bytes whatever the thread count."""
import json
import os
import sys
from common import need, medseg, tmpdir, Checker

np, nib, _ = need("numpy", "nibabel", "scipy")
from scipy import ndimage as ndi  # noqa: E402
c = Checker()
d = tmpdir()
rng = np.random.default_rng(7)
STRUCT = {6: 1, 18: 2, 26: 3}


def save(a, name, aff=None):
    p = os.path.join(d, name)
    nib.save(nib.Nifti1Image(a, np.eye(4) if aff is None else aff), p)
    return p


def load(p):
    return np.asanyarray(nib.load(p).dataobj)


def same_partition(a, b):
    """a and b label the same voxel sets (a bijection between labels)."""
    if not np.array_equal(a > 0, b > 0):
        return False
    m = a > 0
    pa, pb = a[m].astype(np.int64), b[m].astype(np.int64)
    pairs = np.unique(pa * (int(pb.max(initial=0)) + 1) + pb)
    return len(pairs) == len(np.unique(pa)) == len(np.unique(pb))


def canonical(a):
    """Labels 1..K appear first in raster order (x fastest = Fortran order)."""
    flat = a.ravel(order="F")
    labels, first = np.unique(flat, return_index=True)
    first = first[labels > 0]
    labels = labels[labels > 0]
    return np.array_equal(labels, np.arange(1, len(labels) + 1)) and np.all(np.diff(first) > 0)


def scipy_label(x, conn, per_label):
    s = ndi.generate_binary_structure(3, STRUCT[conn])
    if not per_label:
        return ndi.label(x != 0, s)
    out, k = np.zeros(x.shape, np.int32), 0
    for v in np.unique(x[x != 0]):
        lab, n = ndi.label(x == v, s)
        out[lab > 0] = lab[lab > 0] + k
        k += n
    return out, k


def compare(x, conn, what, per_label=False, threads=(1, 2), aff=None):
    p = save(x, "in.nii", aff)
    ref, k = scipy_label(x, conn, per_label)
    outs = []
    for t in threads:
        o = os.path.join(d, f"out{t}.nii")
        args = ["components", "-q", "--threads", t, "--connectivity", conn, p, o]
        medseg(*args, *(["--per-label"] if per_label else []))
        outs.append(open(o, "rb").read())
        got = load(o)
        want = np.uint8 if k <= 255 else np.uint16 if k <= 65535 else np.int32   # cc3d's rule
        c.check(got.dtype == want, f"{what}: dtype {got.dtype} for {k} labels")
        c.check(int(got.max()) == k, f"{what} conn {conn} threads {t}: {got.max()} components, scipy {k}")
        c.check(same_partition(got, ref), f"{what} conn {conn} threads {t}: partition differs from scipy")
        c.check(canonical(got), f"{what} conn {conn}: numbering is not canonical")
    c.check(all(o == outs[0] for o in outs), f"{what} conn {conn}: bytes depend on threads")
    return got


# Random masks: dims not multiples of 32 (the CUDA block), thin shapes;
# odd row and slice counts leave half-empty 2x2 blocks (26-connected path),
# rows over 64 voxels span several bitmask words.
for shape in [(37, 23, 19), (1, 1, 97), (97, 1, 1), (1, 45, 33), (64, 64, 64), (130, 9, 7), (150, 33, 2),
              (17, 80, 5)]:
    for dens in (0.05, 0.3, 0.5, 0.7, 0.95):
        x = (rng.random(shape) < dens).astype(np.uint8)
        for conn in (6, 18, 26):
            compare(x, conn, f"random {shape} density {dens}")

# Per-label: touching regions of different values never merge.
x = rng.integers(0, 4, size=(30, 28, 26)).astype(np.int16)
for conn in (6, 18, 26):
    compare(x, conn, "per-label random", per_label=True)
x = np.zeros((20, 20, 20), np.uint8)
x[2:10, 2:10, 2:10] = 1
x[10:15, 2:10, 2:10] = 2
got = compare(x, 6, "two touching labels", per_label=True)
c.check(got.max() == 2, "touching labels stay apart")

# Empty and full volumes, float input.
# (9-voxel rows take the run labeller, 40-voxel rows the block labeller.)
for name, x in [("empty", np.zeros((9, 8, 7), np.uint8)), ("full", np.ones((9, 8, 7), np.float32)),
                ("empty, wide rows", np.zeros((40, 8, 7), np.uint8)), ("full, wide rows", np.ones((40, 8, 7), np.float32))]:
    got = compare(x, 26, name)
r = medseg("components", "--json", save(np.zeros((5, 5, 5), np.uint8), "e.nii"), os.path.join(d, "e_out.nii"))
c.check(json.loads(r.stdout)["count"] == 0, "empty volume: count 0 in JSON")

# JSON sizes and boxes (18: run labeller, 26: block labeller); largest-K
# and min-size against numpy.
x = (rng.random((40, 36, 30)) < 0.3).astype(np.uint8)
aff = np.array([[-0.8, 0, 0, 10], [0, -0.7, 0, 20], [0, 0, 2.5, -30], [0, 0, 0, 1]])
p = save(x, "j.nii.gz", aff)
o = os.path.join(d, "j_out.nii.gz")
lps = np.diag([-1.0, -1, 1, 1]) @ aff
for conn in (26, 18):
    info = json.loads(medseg("components", "--json", "--connectivity", conn, p, o).stdout)
    lab = load(o)
    ref, k = scipy_label(x, conn, False)
    c.check(info["count"] == k == len(info["components"]), f"JSON count, {conn}-connected")
    ok = True
    for e in info["components"]:
        idx = np.argwhere(lab == e["label"])
        ok &= e["voxels"] == len(idx)
        ok &= e["bbox_voxels"]["min"] == idx.min(0).tolist() and e["bbox_voxels"]["max"] == idx.max(0).tolist()
        lo, hi = idx.min(0), idx.max(0)
        corners = np.array([(lps @ np.r_[np.where([b & 1, b & 2, b & 4], hi, lo), 1])[:3] for b in range(8)])
        ok &= np.allclose(e["bbox_lps_mm"]["min"], corners.min(0), atol=1e-4)
        ok &= np.allclose(e["bbox_lps_mm"]["max"], corners.max(0), atol=1e-4)
        ok &= abs(e["volume_ml"] - len(idx) * 0.8 * 0.7 * 2.5 / 1000) < 1e-6
    c.check(ok, f"JSON sizes, voxel boxes and LPS boxes match numpy, {conn}-connected")

sizes = np.bincount(ref.ravel())[1:]
labels_f, first_f = np.unique(ref.ravel(order="F"), return_index=True)
first = dict(zip(labels_f.tolist(), first_f.tolist()))
order = sorted(range(k), key=lambda i: (-sizes[i], first[i + 1]))  # ties: raster order, x fastest
for K in (1, 3):
    o2 = os.path.join(d, f"largest{K}.nii")
    medseg("components", "-q", "--connectivity", 18, "--largest", K, p, o2)
    got = load(o2)
    keep = np.isin(ref, [i + 1 for i in order[:K]])
    c.check(np.array_equal(got > 0, keep), f"--largest {K}: kept voxels differ")
    c.check(got.max() == K and canonical(got), f"--largest {K}: renumbered 1..{K}")
o3 = os.path.join(d, "min.nii")
medseg("components", "-q", "--connectivity", 18, "--min-size", 5, p, o3)
got = load(o3)
keep = np.isin(ref, np.nonzero(sizes >= 5)[0] + 1)
c.check(np.array_equal(got > 0, keep) and canonical(got), "--min-size 5")
# Largest per label: each value keeps its biggest component.
x = np.zeros((30, 30, 10), np.uint8)
x[1:5, 1:5, 1:5] = 1
x[10:12, 1:3, 1:3] = 1
x[20:25, 20:25, 1:6] = 2
x[1:3, 20:22, 1:3] = 2
o4 = os.path.join(d, "pl.nii")
medseg("components", "-q", "--per-label", "--largest", 1, save(x, "pl_in.nii"), o4)
got = load(o4)
c.check(got.max() == 2 and (got > 0).sum() == 64 + 125, "--per-label --largest 1 keeps one per value")

# Real masks: every label map under ../shared/data, all connectivities.
shared = os.environ.get("SHARED_DATA", "")
real = [os.path.join(shared, *p) for p in [("totalsegmentator", "example_seg_on_ct_sm.nii.gz"),
                                           ("heart_labels", "heartdeformnets_mmwhs_labels1to7.nii.gz"),
                                           ("lidc_nodule_crops", "nodule_mask", "LIDC-IDRI-0003_R_2.nii.gz")]]
real = [p for p in real if os.path.exists(p)]
if not real:
    print("NOTE: ../shared/data absent; real-mask cases skipped, synthetic cases ran")
for p in real:
    x = np.asanyarray(nib.load(p).dataobj)
    nz = np.argwhere(x)   # crop to the foreground box plus a margin: same components, less time
    lo, hi = np.maximum(nz.min(0) - 2, 0), nz.max(0) + 3
    x = np.ascontiguousarray(x[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]])
    big = x.size > 5e6
    for conn in (6, 26) if big else (6, 18, 26):
        compare(x, conn, os.path.basename(p), threads=(2,), aff=nib.load(p).affine)
    compare(x, 18, os.path.basename(p) + " per-label", per_label=True, threads=(1,), aff=nib.load(p).affine)
# --dtype: int32 on request; a type too small for the count is exit 3.
x = (rng.random((40, 40, 40)) < 0.2).astype(np.uint8)
p = save(x, "many.nii")
ref, k = scipy_label(x, 6, False)
c.check(k > 255, f"test needs more than 255 components ({k})")
o = os.path.join(d, "many_out.nii")
medseg("components", "-q", "--connectivity", "6", "--dtype", "int32", p, o)
c.check(load(o).dtype == np.int32 and int(load(o).max()) == k, "--dtype int32")
medseg("components", "-q", "--connectivity", "6", p, o)
c.check(load(o).dtype == np.uint16 and same_partition(load(o), ref), f"auto: uint16 for {k} labels")
r = medseg("components", "-q", "--connectivity", "6", "--dtype", "uint8", p, o + ".u8.nii", check=False)
c.check(r.returncode == 3 and "do not fit" in r.stderr and not os.path.exists(o + ".u8.nii"), f"uint8 too small: {r.stderr.strip()}")
r = medseg("components", "--dtype", "float32", p, o, check=False)
c.check(r.returncode == 2, "--dtype float32 is a usage error")
c.done()
