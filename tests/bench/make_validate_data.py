#!/usr/bin/python3
"""Inputs for tests/bench/validate.sh in DIR: a 512^3 mask pair (two
ellipsoids, one with a wavy surface; 0.8 x 0.8 x 1 mm) and a LUNA16-style
detection set of 1000 scans, 100000 candidates."""
import os
import sys

import numpy as np
import nibabel as nib

d = sys.argv[1]
os.makedirs(d, exist_ok=True)
if not os.path.exists(os.path.join(d, "pred.nii")):
    x = np.arange(512, dtype=np.float32) - 255.5
    X, Y, Z = np.meshgrid(x, x, x, indexing="ij")
    ref = (X ** 2 + Y ** 2 + (Z * 1.2) ** 2) < 180 ** 2
    pred = ((X - 3) ** 2 + (Y + 2) ** 2 + (Z * 1.2) ** 2 + 800 * np.sin(X / 17) * np.cos(Y / 23)) < 176 ** 2
    aff = np.diag([0.8, 0.8, 1.0, 1])
    nib.save(nib.Nifti1Image(ref.astype(np.uint8), aff), os.path.join(d, "ref.nii"))
    nib.save(nib.Nifti1Image(pred.astype(np.uint8), aff), os.path.join(d, "pred.nii"))
rng = np.random.default_rng(1)
with open(os.path.join(d, "annotations.csv"), "w") as a, open(os.path.join(d, "candidates.csv"), "w") as c:
    a.write("seriesuid,coordX,coordY,coordZ,diameter_mm\n")
    c.write("seriesuid,coordX,coordY,coordZ,probability\n")
    for s in range(1000):
        uid = f"1.3.6.1.4.1.14519.5.2.1.{s}"
        nods = rng.uniform(-150, 150, (int(rng.integers(0, 4)), 3))
        for n in nods:
            a.write(f"{uid},{n[0]:.3f},{n[1]:.3f},{n[2]:.3f},{rng.uniform(3, 30):.2f}\n")
        for k in range(100):
            p = nods[k % len(nods)] + rng.normal(0, 2, 3) if len(nods) and k < 2 * len(nods) else rng.uniform(-150, 150, 3)
            c.write(f"{uid},{p[0]:.3f},{p[1]:.3f},{p[2]:.3f},{rng.random():.6f}\n")
