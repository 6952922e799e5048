#!/bin/sh
# Runs every example in examples/ against this build.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
export MEDSEG
pass=0
sh "$SRC/examples/pipeline.sh" "$d/p" > "$d/p.log"
grep -q '"spacing":\[2.8,2.8,5\]' "$d/p.log" && grep -q 'nodules: [1-9]' "$d/p.log"
pass=$((pass + 1))
make -s -C "$SRC/examples" -j2 MEDSEG="$MEDSEG" OUT="$d/mk" SEEDS="1 2 3" > /dev/null
[ "$(wc -l < "$d/mk/summary.txt")" -eq 3 ]
pass=$((pass + 1))
ls "$d/p/dicom" | head -0
printf '%s\n%s\n' "$d/p/dicom" "$d/p/dicom" > "$d/list.txt"
SLURM_ARRAY_TASK_ID=1 sh "$SRC/examples/slurm-array.sh" "$d/list.txt" "$d/sl" 2> /dev/null
[ -s "$d/sl/dicom.nii.gz" ]
pass=$((pass + 1))
echo "$pass passed, 0 failed"
