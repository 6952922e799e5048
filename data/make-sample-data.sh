#!/bin/sh
# Sample data for trying medseg by hand: a chest CT (NIfTI and DICOM) with
# nodule truth, a heart label map and a lesion CT, all from `medseg phantom`.
# Usage: data/make-sample-data.sh [OUTDIR] [MEDSEG]
set -eu
out=${1:-sample-data}
medseg=${2:-build/cli/medseg}
mkdir -p "$out"
"$medseg" phantom chest -o "$out/chest.nii.gz" --truth "$out/chest_truth.csv" --mask "$out/chest_nodules.nii.gz" --dicom "$out/chest_dicom"
"$medseg" phantom heart -o "$out/heart_labels.nii.gz"
"$medseg" phantom lesion -o "$out/lesion.nii.gz" --mask "$out/lesion_mask.nii.gz"
