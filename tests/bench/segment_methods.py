#!/usr/bin/python3
"""Why graph cut is segment's default: Dice of three box-prompted 2-D
methods under the same protocol (the reference mask's bounding box on its
middle slice, 10% larger), side by side in one run, with their times.

  graphcut  medseg segment (iterated graph cut, histograms, exact max-flow)
  walker    scikit-image random_walker: seeds = the box's border ring
            (background) and the central third of the box (foreground)
  otsu      Otsu threshold inside the box, holes filled, largest component

Cases: the LIDC-IDRI-0003 nodule crops and R_2 on its full 512x512 slab
(../shared/data, skipped when absent) and six lesion phantoms.
Usage: segment_methods.py MEDSEG [WORKDIR]"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import nibabel as nib
from scipy import ndimage as ndi

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracle"))
from seg_protocol import dice, protocol_box  # noqa: E402

MEDSEG = sys.argv[1]
T = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp()
os.makedirs(T, exist_ok=True)
SHARED = os.environ.get("SHARED_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))


def run(*a):
    subprocess.run([MEDSEG, *map(str, a)], check=True)


def largest(m):
    lab, n = ndi.label(ndi.binary_fill_holes(m), np.ones((3, 3)))
    if not n:
        return m
    return lab == 1 + int(np.argmax(ndi.sum(m > -1, lab, range(1, n + 1))))


def otsu(img, box):
    from skimage.filters import threshold_otsu
    x1, y1, x2, y2 = box
    roi = img[x1:x2 + 1, y1:y2 + 1]
    m = np.zeros(img.shape, bool)
    m[x1:x2 + 1, y1:y2 + 1] = roi > threshold_otsu(roi)
    return largest(m)


def walker(img, box):
    from skimage.segmentation import random_walker
    x1, y1, x2, y2 = box
    r = 4
    X1, Y1, X2, Y2 = max(0, x1 - r), max(0, y1 - r), min(img.shape[0] - 1, x2 + r), min(img.shape[1] - 1, y2 + r)
    roi = img[X1:X2 + 1, Y1:Y2 + 1].astype(float)
    seeds = np.full(roi.shape, 2, np.int32)
    seeds[x1 - X1:x2 - X1 + 1, y1 - Y1:y2 - Y1 + 1] = 0
    cx, cy, wx, wy = (x1 + x2) // 2 - X1, (y1 + y2) // 2 - Y1, max(1, (x2 - x1) // 6), max(1, (y2 - y1) // 6)
    seeds[cx - wx:cx + wx + 1, cy - wy:cy + wy + 1] = 1
    lab = random_walker((roi - roi.mean()) / (roi.std() + 1e-6), seeds, beta=130, mode="cg")
    m = np.zeros(img.shape, bool)
    m[X1:X2 + 1, Y1:Y2 + 1] = lab == 1
    return largest(m)


def cases():
    crops = os.path.join(SHARED, "lidc_nodule_crops")
    if os.path.isdir(crops):
        for n in ("LIDC-IDRI-0003_R_2", "LIDC-IDRI-0003_R_3"):
            yield n, f"{crops}/image/{n}.nii.gz", f"{crops}/nodule_mask/{n}.nii.gz"
        slab = os.path.join(T, "slab.nii.gz")
        run("convert", os.path.join(SHARED, "lidc_ct_slabs", "LIDC-IDRI-0003"), slab, "-q")
        s = nib.load(slab)
        full = np.asarray(nib.load(f"{crops}/full_grid_masks/LIDC-IDRI-0003_R_2.nii.gz").dataobj)
        ref = os.path.join(T, "slab_ref.nii.gz")
        nib.save(nib.Nifti1Image((full[:, :, 70:70 + s.shape[2]] > 0).astype(np.uint8), s.affine), ref)
        yield "R_2 on the 512x512 slab", slab, ref
    for seed in range(1, 7):
        img, msk = os.path.join(T, f"l{seed}.nii.gz"), os.path.join(T, f"l{seed}m.nii.gz")
        run("phantom", "lesion", "-o", img, "--mask", msk, "--seed", seed, "-q")
        yield f"lesion phantom {seed}", img, msk


def main():
    rows = []
    print(f"{'case':28s} {'graphcut':>9s} {'walker':>9s} {'otsu':>9s}   (2-D Dice; seconds per slice)")
    for name, img_path, ref_path in cases():
        img = np.asarray(nib.load(img_path).dataobj, dtype=np.float32)
        ref = np.asarray(nib.load(ref_path).dataobj) > 0
        k, box = protocol_box(ref)
        out = os.path.join(T, "gc.nii.gz")
        t0 = time.time()
        run("segment", img_path, "-o", out, "--slice", k, "--box", ",".join(map(str, box)), "-q")
        t_gc = time.time() - t0
        gc = np.asarray(nib.load(out).dataobj)[:, :, k] > 0
        t0 = time.time()
        rw = walker(img[:, :, k], box)
        t_rw = time.time() - t0
        ot = otsu(img[:, :, k], box)
        r = [dice(gc, ref[:, :, k]), dice(rw, ref[:, :, k]), dice(ot, ref[:, :, k])]
        rows.append(r)
        print(f"{name:28s} {r[0]:9.3f} {r[1]:9.3f} {r[2]:9.3f}   ({t_gc:.3f} s incl. process start; walker {t_rw:.3f} s)")
    med = np.median(np.array(rows), 0)
    print(f"{'median':28s} {med[0]:9.3f} {med[1]:9.3f} {med[2]:9.3f}")


if __name__ == "__main__":
    main()
