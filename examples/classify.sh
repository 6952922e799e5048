#!/bin/sh
# Re-scoring nodules for the patient in front of you: a report from
# detect-nodules (made with the defaults) scored again for a 71-year-old
# woman with a family history, and a radiologist's CSV of measurements
# scored without any CT. Then an image classifier over a CT slice (the
# tiny test model in data/models stands in for a real one).
#   sh examples/classify.sh OUTDIR
set -eu
out=${1:-classify-out}
medseg=${MEDSEG:-medseg}
mkdir -p "$out"
"$medseg" phantom chest -q -o "$out/ct.nii.gz" --seed 5 --nodules 4 --size 200,200,100
"$medseg" detect-nodules "$out/ct.nii.gz" -q -o "$out/scan" --no-sr
"$medseg" classify nodules "$out/scan/report.json" -q --patient age=71,sex=F,family-history=1 -o "$out/rescored.json"
cat > "$out/measured.csv" <<'CSV'
id,diameter_mm,type,upper_lobe,spiculation
1,7.5,solid,1,0.8
2,14,part-solid,0,0.1
CSV
"$medseg" classify nodules "$out/measured.csv" -q --patient age=58,sex=M -o "$out/measured.json"
# The report: how many nodules, and the exam's category for this patient.
echo "report: $(grep -c '"brock"' "$out/rescored.json") nodules, exam Lung-RADS $(tr -d '\n\t ' < "$out/rescored.json" |
    sed 's/.*"exam":{"lung_rads":"\([0-9A-X]*\)".*/\1/')"
# The CSV: one line per nodule, id, Brock probability, Lung-RADS category.
tr -d '\n\t ' < "$out/measured.json" | grep -o '"id":[0-9]*\|"brock":[0-9.e-]*\|"category":"[0-9A-X]*"' |
    paste -d' ' - - - | sed 's/"//g; s/^/measured /'

# An image classifier: the two most probable labels for the middle slice.
model="$(dirname "$0")/../data/models/image_mean_tone.pt"
if ! res=$("$medseg" classify image "$out/ct.nii.gz" --model "$model" --top 2 -q 2>&1); then
    case "$res" in
    *"without LibTorch"*) res="image: skipped, this medseg was built without LibTorch" ;;
    *) echo "$res" >&2; exit 1 ;;
    esac
fi
echo "$res"
