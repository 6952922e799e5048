#!/bin/sh
# Same seed, same bytes, whatever the thread count; another seed differs.
set -u
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
pass=0 fail=0
run() { "$MEDSEG" phantom chest -q --size 96,96,48 --spacing 3,3,6 --nodules 4 "$@"; }
run -o "$d/a.nii.gz" --truth "$d/a.csv" --mask "$d/am.nii" --dicom "$d/adcm" --seed 5 --threads 1
run -o "$d/b.nii.gz" --truth "$d/b.csv" --mask "$d/bm.nii" --dicom "$d/bdcm" --seed 5 --threads 2
run -o "$d/c.nii.gz" --seed 6
for p in ".nii.gz" ".csv" "m.nii"; do
    cmp -s "$d/a$p" "$d/b$p" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: a$p differs from b$p"; }
done
diff -r "$d/adcm" "$d/bdcm" >/dev/null && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: DICOM series differ"; }
cmp -s "$d/a.nii.gz" "$d/c.nii.gz" && { fail=$((fail + 1)); echo "FAIL: seeds 5 and 6 gave the same volume"; } || pass=$((pass + 1))
# A directory that exists and is not empty is not overwritten.
run -o "$d/e.nii.gz" --dicom "$d/adcm" --seed 5 2>/dev/null
[ $? -eq 2 ] && [ ! -e "$d/e.nii.gz" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: a non-empty DICOM dir must be refused before anything is written"; }
[ -z "$(ls -A "$d" | grep '^\.')" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: temporary files left: $(ls -A "$d")"; }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
