#!/bin/sh
# A shell pipeline: make a chest CT as DICOM, convert it, read its geometry
# as JSON, resample it to 2 mm, and label the nodules of the truth mask. Usage: examples/pipeline.sh [WORKDIR]   (medseg on PATH or $MEDSEG)
set -eu
medseg=${MEDSEG:-medseg}
w=${1:-pipeline-out}
mkdir -p "$w"
"$medseg" phantom chest -q --size 128,128,64 --spacing 2.8,2.8,5 -o "$w/ref.nii.gz" --dicom "$w/dicom" \
    --truth "$w/truth.csv" --mask "$w/nodules.nii.gz"
"$medseg" convert -q "$w/dicom" "$w/ct.nii.gz"
"$medseg" info --json "$w/ct.nii.gz" > "$w/ct.json"
# The JSON is plain enough for grep/sed when jq is not installed.
grep -A3 '"spacing"' "$w/ct.json" | tr -d ' \t\n'; echo
echo "nodules: $(($(wc -l < "$w/truth.csv") - 1))"
"$medseg" convert -q "$w/ct.nii.gz" "$w/ct_2mm.nii.gz" --spacing 2,2,2
"$medseg" convert -q "$w/nodules.nii.gz" "$w/nodules_2mm.nii.gz" --like "$w/ct_2mm.nii.gz" --labels
"$medseg" components -q --json --min-size 2 "$w/nodules_2mm.nii.gz" "$w/parts.nii.gz" > "$w/parts.json"
echo "components: $(grep -m1 '"count"' "$w/parts.json" | tr -dc 0-9)"
