#!/bin/sh
# Runs every example in examples/ against this build.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
export MEDSEG
pass=0
sh "$SRC/examples/pipeline.sh" "$d/p" > "$d/p.log"
# NIfTI-1 keeps spacing as float32: 2.8 reads back as 2.7999999523...
grep -Eq '"spacing":\[2\.(8|79999995[0-9]*),2\.(8|79999995[0-9]*),5\]' "$d/p.log" || { echo "FAIL: spacing: $(head -1 "$d/p.log")"; exit 1; }
grep -q 'nodules: [1-9]' "$d/p.log" || { echo "FAIL: no nodules"; exit 1; }
n=$(sed -n 's/^nodules: //p' "$d/p.log")
grep -q "^components: $n\$" "$d/p.log" || { echo "FAIL: $(cat "$d/p.log")"; exit 1; }
pass=$((pass + 1))
make -s -C "$SRC/examples" -j2 MEDSEG="$MEDSEG" OUT="$d/mk" SEEDS="1 2 3" > /dev/null
[ "$(wc -l < "$d/mk/summary.txt")" -eq 3 ]
pass=$((pass + 1))
# examples/slurm/ by hand (tests/cli/test_slurm.sh submits them to a real
# cluster): two array tasks, then the merge.
"$MEDSEG" phantom chest -q --size 32,32,16 --spacing 10,10,20 -o "$d/case1.nii.gz"
printf '%s\n%s\n' "$d/p/dicom" "$d/case1.nii.gz" > "$d/list.txt"
for task in 0 1; do
    SLURM_ARRAY_TASK_ID=$task SLURM_ARRAY_TASK_COUNT=2 sh "$SRC/examples/slurm/convert-array.sh" "$d/list.txt" "$d/sl" 2> "$d/sl.log" ||
        { echo "FAIL: examples/slurm/convert-array.sh: $(cat "$d/sl.log")"; exit 1; }
done
sh "$SRC/examples/slurm/merge.sh" "$d/list.txt" "$d/sl" > /dev/null
[ -s "$d/sl/dicom.nii.gz" ] && [ -s "$d/sl/case1.nii.gz" ] && [ "$(wc -l < "$d/sl/manifest.tsv")" -eq 2 ] ||
    { echo "FAIL: examples/slurm by hand: $(ls "$d/sl")"; exit 1; }
pass=$((pass + 1))
# hearts.mk: a directory of label maps with make -j, same bytes as one run.
mkdir "$d/labels"
for s in 1 2 3; do
    "$MEDSEG" phantom heart -o "$d/labels/h$s.nii.gz" --size 40,40,36 --spacing 3,3,3.2 --seed $s -q
done
small="--surface 2000 --vol 1000 --near 1000 --partial drop:1-2 --copies 2"
make -s -f "$SRC/examples/hearts.mk" -j2 MEDSEG="$MEDSEG" LABELS="$d/labels" OUT="$d/hm" ARGS="$small" > /dev/null
[ "$(ls "$d/hm/hearts" | wc -l)" -eq 9 ]
[ "$(cat "$d/hm/train.csv" "$d/hm/val.csv" | wc -l)" -eq 9 ]
"$MEDSEG" prepare-npz -q $small -o "$d/one" "$d/labels"
for f in "$d"/one/*.npz; do cmp "$f" "$d/hm/hearts/$(basename "$f")"; done
pass=$((pass + 1))
# segment.sh: a box and clicks give the same lesion volume within 5%.
sh "$SRC/examples/segment.sh" "$d/seg" > "$d/seg.log"
b=$(sed -n 's/^box volume_ml: //p' "$d/seg.log") c=$(sed -n 's/^clicks volume_ml: //p' "$d/seg.log")
[ -n "$b" ] && [ -n "$c" ] && [ "$(echo "$b > 1 && ($b - $c) < 0.05 * $b && ($c - $b) < 0.05 * $b" | bc)" -eq 1 ] ||
    { echo "FAIL: segment.sh: $(cat "$d/seg.log")"; exit 1; }
pass=$((pass + 1))
# froc.mk: phantoms -> jittered detections -> validate detect: a CPM and a plot.
make -s -f "$SRC/examples/froc.mk" -j2 MEDSEG="$MEDSEG" OUT="$d/froc" SEEDS="1 2 3" > "$d/froc.log"
grep -Eq '^CPM 0\.[0-9]+|^CPM 1' "$d/froc.log" || { echo "FAIL: froc.mk: $(cat "$d/froc.log")"; exit 1; }
grep -q '<polyline' "$d/froc/froc.svg" || { echo "FAIL: froc.mk wrote no plot"; exit 1; }
pass=$((pass + 1))
# detect.sh: DICOM phantoms -> detect-nodules -> FROC: a category per scan, a CPM, a plot.
sh "$SRC/examples/detect.sh" "$d/det" > "$d/det.log"
[ "$(grep -c '^scan [0-9] Lung-RADS [1-4]' "$d/det.log")" -eq 2 ] || { echo "FAIL: detect.sh: $(cat "$d/det.log")"; exit 1; }
cpm=$(sed -n 's/^CPM //p' "$d/det.log")
[ -n "$cpm" ] && [ "$(echo "$cpm >= 0.7" | bc)" -eq 1 ] || { echo "FAIL: detect.sh CPM: $(cat "$d/det.log")"; exit 1; }
grep -q '<polyline' "$d/det/froc.svg" || { echo "FAIL: detect.sh wrote no plot"; exit 1; }
pass=$((pass + 1))
# classify.sh: a report re-scored for a patient, a CSV scored without a CT.
sh "$SRC/examples/classify.sh" "$d/cls" > "$d/cls.log" 2>&1
grep -Eq '^report: [0-9]+ nodules, exam Lung-RADS [1-4]' "$d/cls.log" || { echo "FAIL: classify.sh: $(cat "$d/cls.log")"; exit 1; }
[ "$(grep -c '^measured id:[12] brock:0\.[0-9]* category:[2-4]' "$d/cls.log")" -eq 2 ] ||
    { echo "FAIL: classify.sh CSV: $(cat "$d/cls.log")"; exit 1; }
grep -Eq 'ct.nii.gz: [a-z-]+ 0\.[0-9]{4} [a-z-]+ 0\.[0-9]{4}$|^image: skipped, this medseg was built without LibTorch$' "$d/cls.log" ||
    { echo "FAIL: classify.sh image: $(cat "$d/cls.log")"; exit 1; }
pass=$((pass + 1))
# rag.sh: an index of phantom slices; the query's level is found. Built
# without FAISS, rag-index refuses and the example is skipped.
if "$MEDSEG" rag-index info /nonexistent 2>&1 | grep -q "without FAISS"; then
    echo "SKIP part: rag.sh (this medseg was built without FAISS)"
else
    sh "$SRC/examples/rag.sh" "$d/rag" > "$d/rag.log" 2>&1
    grep -Eq '^top: slice0(28|32|36)$' "$d/rag.log" || { echo "FAIL: rag.sh: $(cat "$d/rag.log")"; exit 1; }
    grep -Eq '^vote label:chest,confidence:1$' "$d/rag.log" || { echo "FAIL: rag.sh vote: $(cat "$d/rag.log")"; exit 1; }
    pass=$((pass + 1))
fi
echo "$pass passed, 0 failed"
