#!/bin/sh
# A shell pipeline: make a chest CT as DICOM, convert it, read its geometry
# as JSON. Usage: examples/pipeline.sh [WORKDIR]   (medseg on PATH or $MEDSEG)
set -eu
medseg=${MEDSEG:-medseg}
w=${1:-pipeline-out}
mkdir -p "$w"
"$medseg" phantom chest -q --size 128,128,64 --spacing 2.8,2.8,5 -o "$w/ref.nii.gz" --dicom "$w/dicom" --truth "$w/truth.csv"
"$medseg" convert -q "$w/dicom" "$w/ct.nii.gz"
"$medseg" info --json "$w/ct.nii.gz" > "$w/ct.json"
# The JSON is plain enough for grep/sed when jq is not installed.
grep -A3 '"spacing"' "$w/ct.json" | tr -d ' \t\n'; echo
echo "nodules: $(($(wc -l < "$w/truth.csv") - 1))"
