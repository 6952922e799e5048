#!/bin/sh
# Lung-nodule CAD from the shell: chest CT series -> detect-nodules ->
# LUNA16 FROC with `validate detect`. Two synthetic chests written as DICOM
# series stand in for a study archive, so it runs anywhere.
#   sh examples/detect.sh OUTDIR
set -eu
out=${1:-detect-out}
medseg=${MEDSEG:-medseg}
mkdir -p "$out"
echo "seriesuid,coordX,coordY,coordZ,probability" > "$out/candidates.csv"
echo "seriesuid,coordX,coordY,coordZ,diameter_mm" > "$out/annotations.csv"
: > "$out/scans.txt"
for seed in 5 6; do
    "$medseg" phantom chest -q -o "$out/ct$seed.nii.gz" --seed $seed --nodules 6 --size 200,200,100 \
        --truth "$out/truth$seed.csv" --dicom "$out/dicom$seed"
    "$medseg" detect-nodules "$out/dicom$seed" -q -o "$out/scan$seed" --patient age=64,sex=F
    tail -n +2 "$out/scan$seed/candidates.csv" >> "$out/candidates.csv"
    tail -n +2 "$out/truth$seed.csv" | cut -d, -f1-5 >> "$out/annotations.csv"
    cut -d, -f1 "$out/truth$seed.csv" | sed -n 2p >> "$out/scans.txt"
    # One line per scan: the exam's Lung-RADS category.
    sed -n '/"exam"/,/}/s/.*"lung_rads":[[:space:]]*"\([^"]*\)".*/scan '$seed' Lung-RADS \1/p' "$out/scan$seed/report.json"
done
"$medseg" validate detect --pred "$out/candidates.csv" --ref "$out/annotations.csv" --scans "$out/scans.txt" \
    --plot "$out/froc.svg" --bootstrap 0 --json | sed -n 's/^[[:space:]]*"cpm":[[:space:]]*\([0-9.]*\).*/CPM \1/p' | head -1
