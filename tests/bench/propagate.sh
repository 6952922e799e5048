#!/bin/sh
# propagate benchmark (prints figures; never asserts on time):
#  - issue 18's organ table from ../shared/data/totalsegmentator when
#    present: 3-D Dice and predicted/true volume from the reference mask on
#    the middle slice and from a box (tests/bench/propagate_organs.py);
#  - speed: through 150 slices of 512x512 (a tube that wanders and changes
#    width in noise, key mask on slice 75), against the goal of <= 3 s on
#    2 cores.
set -eu
medseg=${1:-build/cli/medseg}
py=/usr/bin/python3
src=$(cd "$(dirname "$0")/../.." && pwd)
d=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$d"
echo "bench propagate: data in $d ($(nproc) cores)"
$py "$src/tests/bench/propagate_organs.py" "$medseg" "$src/../shared/data" --json "$d/organs.json" || true
$py - "$d" <<'PY'
import sys
import nibabel as nib
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(1)
nz = 150
yy, xx = np.meshgrid(np.arange(512), np.arange(512), indexing="xy")
vol = np.empty((512, 512, nz), np.float32)
key = np.zeros((512, 512, nz), np.uint8)
for z in range(nz):
    cx, cy, r = 256 + 40 * np.sin(z / 30), 256 + 30 * np.cos(z / 40), 30 + 10 * np.sin(z / 25)
    tube = ((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r).T
    vol[:, :, z] = np.where(tube, 180.0, 40.0) + rng.normal(0, 20, (512, 512))
    if z == 75:
        key[:, :, z] = tube
aff = np.diag([0.7, 0.7, 1.25, 1.0])
nib.save(nib.Nifti1Image(vol, aff), f"{d}/tube.nii.gz")
nib.save(nib.Nifti1Image(key, aff), f"{d}/tube_key.nii.gz")
PY
"$medseg" propagate "$d/tube.nii.gz" --mask "$d/tube_key.nii.gz" -o "$d/tube_out.nii.gz" --json "$d/tube.json" -q
$py -c "import json, sys; r = json.load(open(sys.argv[1]))
print(f'512x512x150: propagate {r[\"seconds\"]:.2f} s over slices {r[\"slice_range\"]} (goal <= 3 s on 2 cores)')" "$d/tube.json"
