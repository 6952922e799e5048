#!/bin/sh
# The demo: phantom chest CT -> info -> DICOM -> convert back -> info; then
# a lesion segmented from one box, grown through the volume and scored.
set -eu
medseg=${1:-build/cli/medseg}
out=${DEMO_DIR:-demo-out}
mkdir -p "$out"
# The DICOM copy goes into a directory that must be new: a rerun replaces it.
rm -rf "$out/chest_dicom"
echo "== 1. a synthetic chest CT with nodules, its truth, mask and a DICOM copy"
"$medseg" phantom chest -o "$out/chest.nii.gz" --truth "$out/truth.csv" --mask "$out/nodules.nii.gz" \
    --dicom "$out/chest_dicom" --seed 7
echo "== 2. what it is"
"$medseg" info "$out/chest.nii.gz"
echo "== 3. the DICOM series read back and converted to NIfTI"
"$medseg" convert "$out/chest_dicom" "$out/from_dicom.nii.gz"
"$medseg" info --json "$out/from_dicom.nii.gz" | head -12
echo "== 4. ground truth (LUNA16 columns, LPS mm)"
cat "$out/truth.csv"
echo "== 5. a lesion CT: a box on slice 23, propagated through the volume"
"$medseg" phantom lesion -o "$out/lesion.nii.gz" --mask "$out/lesion_truth.nii.gz" --seed 4
"$medseg" segment "$out/lesion.nii.gz" -o "$out/lesion_key.nii.gz" --slice 23 --box 46,49,79,79
"$medseg" propagate "$out/lesion.nii.gz" -o "$out/lesion_seg.nii.gz" --mask "$out/lesion_key.nii.gz"
echo "== 6. scored against the truth (Dice, HD95, ASSD in mm)"
"$medseg" validate seg --pred "$out/lesion_seg.nii.gz" --ref "$out/lesion_truth.nii.gz"
echo "demo done: outputs in $out/"
