"""segment and propagate against reference masks (Dice), and the TorchScript
path against the mask its test model must give (computed here with scipy).

Protocol of issue 5: the box is the reference mask's bounding box on its
middle slice, enlarged by 10% (5% each side); 2-D Dice of `segment` on that
slice, 3-D Dice of `propagate` from it. Real data: the LIDC-IDRI-0003 nodule
crops, and nodule R_2's full-grid mask on the 512x512 DICOM slab it lies in
(both from ../shared/data, skipped when absent); always: six lesion phantoms."""
import json
import os
import sys

from common import Checker, medseg, need, tmpdir

np, nib, ndi = need("numpy", "nibabel", "scipy.ndimage")
ndi = sys.modules["scipy.ndimage"]
from seg_protocol import dice, protocol_box  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("SHARED_DATA", "../shared/data")
T = tmpdir()
C = Checker()


def load(p):
    return np.asarray(nib.load(p).dataobj)


def run_case(name, image, ref_path):
    ref = load(ref_path) > 0
    k, box = protocol_box(ref)
    key = os.path.join(T, name + "_key.nii.gz")
    out = os.path.join(T, name + "_3d.nii.gz")
    rep = os.path.join(T, name + ".json")
    medseg("segment", image, "-o", key, "--slice", k, "--box", ",".join(map(str, box)), "-q")
    medseg("propagate", image, "-o", out, "--mask", key, "--json", rep, "-q")
    seg2d, seg3d = load(key), load(out)
    C.check(seg2d.shape == ref.shape and seg3d.shape == ref.shape, f"{name}: output grid")
    C.check(not seg2d[:, :, np.arange(ref.shape[2]) != k].any(), f"{name}: segment writes only slice {k}")
    r = json.load(open(rep))
    C.check(r["voxels"] == int((seg3d > 0).sum()), f"{name}: report voxels")
    zs = np.where(seg3d.any((0, 1)))[0]
    C.check(r["slice_range"] == [int(zs[0]), int(zs[-1])], f"{name}: report slice range")
    sp = nib.load(image).header.get_zooms()[:3]
    C.check(abs(r["volume_ml"] - r["voxels"] * np.prod(sp) / 1000) < 1e-6 * max(1, r["volume_ml"]),
            f"{name}: report volume")
    d2, d3 = dice(seg2d[:, :, k], ref[:, :, k]), dice(seg3d, ref)
    print(f"{name}: slice {k} box {box}: 2-D Dice {d2:.3f}, 3-D Dice {d3:.3f}")
    return d2, d3


def real_cases():
    crops = os.path.join(SHARED, "lidc_nodule_crops")
    if not os.path.isdir(crops):
        print(f"note: {crops} is absent; real nodule cases skipped")
        return []
    res = []
    for n in ("LIDC-IDRI-0003_R_2", "LIDC-IDRI-0003_R_3"):
        res.append(run_case(n, f"{crops}/image/{n}.nii.gz", f"{crops}/nodule_mask/{n}.nii.gz"))
    slab = os.path.join(SHARED, "lidc_ct_slabs", "LIDC-IDRI-0003")
    full = load(f"{crops}/full_grid_masks/LIDC-IDRI-0003_R_2.nii.gz")
    nii = os.path.join(T, "slab.nii.gz")
    medseg("convert", slab, nii, "-q")
    s, f = nib.load(nii), nib.load(f"{crops}/full_grid_masks/LIDC-IDRI-0003_R_2.nii.gz")
    m = np.linalg.inv(f.affine) @ s.affine
    C.check(np.allclose(m[:3, :3], np.eye(3), atol=1e-3) and np.allclose(m[:2, 3], 0, atol=1e-3),
            "slab and full-grid mask share the in-plane grid")
    k0 = int(round(m[2, 3]))
    ref = (full[:, :, k0:k0 + s.shape[2]] > 0).astype(np.uint8)
    ref_path = os.path.join(T, "slab_ref.nii.gz")
    nib.save(nib.Nifti1Image(ref, s.affine), ref_path)
    res.append(run_case("LIDC-IDRI-0003_R_2 full grid (DICOM slab)", nii, ref_path))
    return res


def phantom_cases():
    res = []
    for seed in range(1, 7):
        img, msk = os.path.join(T, f"les{seed}.nii.gz"), os.path.join(T, f"les{seed}_mask.nii.gz")
        medseg("phantom", "lesion", "-o", img, "--mask", msk, "--seed", seed, "-q")
        res.append(run_case(f"lesion phantom {seed}", img, msk))
    return res


def points_case():
    """Multi-point prompt: extremes of the lesion on its first and last slices."""
    img, msk = os.path.join(T, "les1.nii.gz"), os.path.join(T, "les1_mask.nii.gz")
    ref = load(msk) > 0
    zs = np.where(ref.any((0, 1)))[0]
    pts = []
    for z in (zs[0], zs[len(zs) // 2], zs[-1]):
        xs, ys = np.where(ref[:, :, z])
        pts += [[int(xs.min()), int(ys.min()), int(z)], [int(xs.max()), int(ys.max()), int(z)]]
    pf = os.path.join(T, "points.json")
    json.dump({"points": pts}, open(pf, "w"))
    out = os.path.join(T, "points_out.nii.gz")
    medseg("propagate", img, "-o", out, "--points", pf, "-q")
    seg = load(out)
    got = np.where(seg.any((0, 1)))[0]
    C.check(got[0] >= zs[0] and got[-1] <= zs[-1], "points: the outermost point slices are hard limits")
    d = dice(seg, ref)
    print(f"multi-point prompt on lesion phantom 1: 3-D Dice {d:.3f}")
    C.check(d >= 0.9, f"multi-point prompt Dice {d:.3f} >= 0.9")
    # The same points in LPS mm give the same result.
    aff = np.diag([-1.0, -1.0, 1.0, 1.0]) @ nib.load(img).affine
    lps = [list((aff @ np.array(p + [1.0]))[:3]) for p in pts]
    json.dump({"points": lps, "space": "lps"}, open(pf, "w"))
    out2 = os.path.join(T, "points_lps.nii.gz")
    medseg("propagate", img, "-o", out2, "--points", pf, "-q")
    C.check(np.array_equal(load(out2), seg), "points in LPS mm equal points in voxels")


def expected_model_mask(img2d, box):
    x1, y1, x2, y2 = box
    m = np.zeros(img2d.shape, bool)
    m[x1:x2 + 1, y1:y2 + 1] = img2d[x1:x2 + 1, y1:y2 + 1] > 0
    m = ndi.binary_fill_holes(m)
    lab, n = ndi.label(m, structure=np.ones((3, 3)))
    if n:
        sizes = ndi.sum(m, lab, range(1, n + 1))
        m = lab == (1 + int(np.argmax(sizes)))
    return m


def model_bounded(model):
    """A poor model cannot explode: the threshold model takes every bright
    pixel in its box, and bright squares in the corners of the disk's box,
    joined to the disk by thin diagonal lines, lie beyond reach of it. Every
    slice's mask must lie within the reach of the slice before it (max(2 mm,
    1.5 slice gaps), distances by scipy's EDT)."""
    rng = np.random.default_rng(8)
    vol = np.full((64, 64, 12), -600.0) + rng.normal(0, 20, (64, 64, 12))
    yy, xx = np.meshgrid(np.arange(64), np.arange(64), indexing="ij")
    disk = (xx - 32) ** 2 + (yy - 32) ** 2 <= 16 ** 2
    bright = disk.copy()
    for sx in (-1, 1):
        for sy in (-1, 1):
            bright[32 + sx * 14:32 + sx * 17 + sx:sx, 32 + sy * 14:32 + sy * 17 + sy:sy] = True
            for i in range(9, 17):
                bright[32 + sx * i, 32 + sy * i] = True
    vol[bright] = 80
    img = os.path.join(T, "bounded_in.nii.gz")
    sp = (0.7, 0.7, 2.0)
    nib.save(nib.Nifti1Image(vol.astype(np.float32), np.diag([*sp, 1.0])), img)
    key = np.zeros(vol.shape, np.uint8)
    key[:, :, 6] = disk
    kp, out = os.path.join(T, "bounded_key.nii.gz"), os.path.join(T, "bounded_out.nii.gz")
    nib.save(nib.Nifti1Image(key, np.diag([*sp, 1.0])), kp)
    medseg("propagate", img, "-o", out, "--mask", kp, "--model", model, "-q")
    seg = load(out) > 0
    reach = max(2.0, 1.5 * sp[2])
    far = 0
    for z in range(12):
        if z == 6 or not seg[:, :, z].any():
            continue
        prev = seg[:, :, z + 1] if z < 6 else seg[:, :, z - 1]
        d = ndi.distance_transform_edt(~prev, sampling=sp[:2])
        far += int((d[seg[:, :, z]] > reach + 1e-6).sum())
    C.check(far == 0, f"model: every slice within {reach} mm of the slice before it ({far} voxels beyond)")
    C.check(seg[:, :, 6].sum() == disk.sum() and seg.sum() <= 1.3 * disk.sum() * 12,
            f"model: bounded result ({int(seg.sum())} voxels, disk {int(disk.sum()) * 12})")


def model_cases():
    model = os.path.join(SRC, "data", "models", "seg2d_box_threshold.pt")
    probe = medseg("segment", os.path.join(T, "les1.nii.gz"), "-o", os.path.join(T, "probe.nii.gz"),
                   "--box", "1,1,5,5", "--model", model, "-q", check=False)
    if probe.returncode == 2 and "without LibTorch" in probe.stderr:
        print("note: this build has no LibTorch; model cases skipped")
        return
    # A 64x64 slice (the model's input size, so no resampling): two bright
    # disks with a dark hole, one cut by the box edge, one outside the box.
    rng = np.random.default_rng(5)
    vol = np.full((64, 64, 3), -600.0) + rng.normal(0, 20, (64, 64, 3))
    yy, xx = np.meshgrid(np.arange(64), np.arange(64))
    vol[(xx - 28) ** 2 + (yy - 30) ** 2 <= 100] = 80
    vol[(xx - 28) ** 2 + (yy - 30) ** 2 <= 4] = -300
    vol[(xx - 50) ** 2 + (yy - 50) ** 2 <= 25] = 120
    vol[(xx - 12) ** 2 + (yy - 30) ** 2 <= 9] = 90
    img = os.path.join(T, "model_in.nii.gz")
    nib.save(nib.Nifti1Image(vol.astype(np.float32), np.diag([0.7, 0.7, 2.0, 1.0])), img)
    box = [14, 16, 40, 44]
    out = os.path.join(T, "model_out.nii.gz")
    medseg("segment", img, "-o", out, "--slice", 1, "--box", ",".join(map(str, box)), "--model", model, "-q")
    got = load(out)[:, :, 1] > 0
    want = expected_model_mask(vol[:, :, 1], box)
    C.check(np.array_equal(got, want), f"model mask equals the expected one ({int(got.sum())} vs {int(want.sum())})")
    C.check(want.sum() > 250, "the expected model mask is the filled disk")
    # --window replaces the card's: centre 100 puts the disk (80 HU) below it.
    medseg("segment", img, "-o", out, "--slice", 1, "--box", ",".join(map(str, box)), "--model", model,
           "--window", "100,400", "-q")
    C.check(not load(out).any(), "--window 100,400 moves the model's threshold above the disk")
    # propagate with the model: slices 0 and 2 hold the same disks; the
    # enlarged box of the key mask clips the small disk, which touches
    # nothing of the previous mask and is dropped: the filled big disk.
    key = os.path.join(T, "model_key.nii.gz")
    medseg("segment", img, "-o", key, "--slice", 1, "--box", ",".join(map(str, box)), "--model", model, "-q")
    medseg("propagate", img, "-o", out, "--mask", key, "--model", model, "-q")
    seg = load(out)
    disk = (xx - 28) ** 2 + (yy - 30) ** 2 <= 100
    C.check(all(np.array_equal(seg[:, :, z] == 1, disk) for z in range(3)) and set(np.unique(seg)) == {0, 1},
            "propagate with the model gives the big disk on every slice")
    model_bounded(model)
    # A card that names another contract, or an input size the model
    # refuses, is rejected before inference (exit 3), leaving nothing.
    import shutil
    for name, change in (("contract", {"contract": "patch-classifier"}), ("size", {"input_size": [128, 128]}),
                         ("channels", {"input_channels": 3}), ("prompts", {"prompt_inputs": ["box", "points"]})):
        d = os.path.join(T, "bad_" + name)
        os.makedirs(d)
        shutil.copy(model, os.path.join(d, "m.pt"))
        card = json.load(open(model[:-3] + ".json"))
        card.update(change)
        json.dump(card, open(os.path.join(d, "m.json"), "w"))
        o = os.path.join(d, "out.nii.gz")
        r = medseg("segment", img, "-o", o, "--slice", 1, "--box", "14,16,40,44", "--model",
                   os.path.join(d, "m.pt"), check=False)
        C.check(r.returncode == 3 and not os.path.exists(o), f"card with wrong {name} refused (exit {r.returncode})")
        C.check(("contract" in r.stderr) if name == "contract" else ("does not match its card" in r.stderr),
                f"wrong {name}: message names the mismatch: {r.stderr.strip()}")


d_real = real_cases()
d_phantom = phantom_cases()
for name, res in (("LIDC", d_real), ("lesion phantoms", d_phantom)):
    if not res:
        continue
    med2, med3 = np.median([r[0] for r in res]), np.median([r[1] for r in res])
    print(f"{name}: median 2-D Dice {med2:.3f}, median 3-D Dice {med3:.3f}")
    C.check(med2 >= 0.85, f"{name}: median 2-D Dice {med2:.3f} >= 0.85")
    C.check(med3 >= 0.75, f"{name}: median 3-D Dice {med3:.3f} >= 0.75")
points_case()
model_cases()
C.done()
