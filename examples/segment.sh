#!/bin/sh
# Interactive-style segmentation from the shell: a box on one slice, then
# the whole lesion by propagation, with a JSON report a viewer or an agent
# can read. Uses a synthetic lesion CT, so it runs anywhere.
#   sh examples/segment.sh OUTDIR
set -eu
out=${1:-segment-out}
medseg=${MEDSEG:-medseg}
mkdir -p "$out"
"$medseg" phantom lesion -q -o "$out/ct.nii.gz" --mask "$out/truth.nii.gz" --seed 4
# The user drew a box around the lesion on axial slice 23 (voxel indices).
"$medseg" segment "$out/ct.nii.gz" -q -o "$out/key.nii.gz" --slice 23 --box 46,49,79,79 --json "$out/key.json"
"$medseg" propagate "$out/ct.nii.gz" -q -o "$out/lesion.nii.gz" --mask "$out/key.nii.gz" --json "$out/lesion.json"
# The same from three clicks on the lesion's edges (first, middle, last slice).
printf '{"points": [[52, 58, 20], [72, 70, 20], [46, 49, 23], [79, 79, 23], [55, 60, 26], [70, 72, 26]]}\n' > "$out/clicks.json"
"$medseg" propagate "$out/ct.nii.gz" -q -o "$out/lesion_clicks.nii.gz" --points "$out/clicks.json" --json - |
    sed -n 's/.*"volume_ml":[^0-9]*\([0-9.]*\).*/clicks volume_ml: \1/p'
sed -n 's/.*"volume_ml":[^0-9]*\([0-9.]*\).*/box volume_ml: \1/p' "$out/lesion.json"
