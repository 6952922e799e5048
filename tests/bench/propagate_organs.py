#!/usr/bin/python3
"""propagate on real organs and vessels (issue 18's table): from the
reference mask on the structure's middle axial slice (--mask), and from a
box (the bounding box of the largest 2-D component of the reference on that
slice, enlarged by 10%), the 3-D Dice and predicted/true volume of
  aorta (aorta_report crop), spleen 1, right kidney 2, left kidney 3,
  liver 5, aorta 52 (example_ct).
usage: propagate_organs.py MEDSEG [SHARED_DATA] [--json OUT]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import nibabel as nib
import numpy as np
from scipy import ndimage as ndi

CASES = [("aorta (aorta_report)", "aorta_report/ct_cropped.nii.gz", "aorta_report/aorta.nii.gz", None),
         ("spleen", "example_ct.nii.gz", "example_seg_fast_force_split_on_ct.nii.gz", 1),
         ("liver", "example_ct.nii.gz", "example_seg_fast_force_split_on_ct.nii.gz", 5),
         ("right kidney", "example_ct.nii.gz", "example_seg_fast_force_split_on_ct.nii.gz", 2),
         ("left kidney", "example_ct.nii.gz", "example_seg_fast_force_split_on_ct.nii.gz", 3),
         ("aorta (example_ct)", "example_ct.nii.gz", "example_seg_fast_force_split_on_ct.nii.gz", 52)]


def dice(a, b):
    return 2.0 * (a & b).sum() / max(1, a.sum() + b.sum())


def middle_box(ref2d):
    lab, n = ndi.label(ref2d)
    big = lab == (1 + int(np.argmax(ndi.sum(ref2d, lab, range(1, n + 1)))))
    xs, ys = np.where(big)
    x1, x2, y1, y2 = xs.min(), xs.max(), ys.min(), ys.max()
    ex, ey = int(np.ceil(0.05 * (x2 - x1 + 1))), int(np.ceil(0.05 * (y2 - y1 + 1)))
    w, h = ref2d.shape
    return [max(0, x1 - ex), max(0, y1 - ey), min(w - 1, x2 + ex), min(h - 1, y2 + ey)]


def run(medseg, args):
    t = time.time()
    r = subprocess.run([medseg, "propagate", *args, "-q"], capture_output=True, text=True)
    return r, time.time() - t


def main():
    medseg = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else "../shared/data"
    root = os.path.join(shared, "totalsegmentator")
    if not os.path.isdir(root):
        print(f"SKIP: {root} is absent")
        sys.exit(77)
    d = tempfile.mkdtemp(prefix="prop-organs-")
    rows = []
    for name, img, seg, label in CASES:
        ipath = os.path.join(root, img)
        s = nib.load(os.path.join(root, seg))
        ref = np.asarray(s.dataobj)
        ref = ref > 0 if label is None else ref == label
        zs = np.where(ref.any((0, 1)))[0]
        k = int(zs[len(zs) // 2])
        key = np.zeros(ref.shape, np.uint8)
        key[:, :, k] = ref[:, :, k]
        kpath = f"{d}/key.nii.gz"
        nib.save(nib.Nifti1Image(key, s.affine, s.header), kpath)
        row = {"structure": name, "slice": k, "slices": int(len(zs))}
        for mode, args in (("mask", ["--mask", kpath]),
                           ("box", ["--slice", str(k), "--box", ",".join(map(str, middle_box(ref[:, :, k])))])):
            r, secs = run(medseg, [ipath, "-o", f"{d}/out.nii.gz", *args])
            if r.returncode:
                row[mode] = {"error": r.stderr.strip()}
                continue
            p = np.asarray(nib.load(f"{d}/out.nii.gz").dataobj) > 0
            row[mode] = {"dice": round(dice(p, ref), 3), "volume_ratio": round(p.sum() / ref.sum(), 2),
                         "seconds": round(secs, 2)}
        rows.append(row)
        print(f"{name:22s} mask {row['mask']}  box {row['box']}")
    for mode in ("mask", "box"):
        ds = [r[mode].get("dice", 0) for r in rows]
        print(f"{mode}: median Dice {np.median(ds):.3f}, min {min(ds):.3f}")
    if "--json" in sys.argv:
        json.dump(rows, open(sys.argv[sys.argv.index("--json") + 1], "w"), indent=1)


if __name__ == "__main__":
    main()
