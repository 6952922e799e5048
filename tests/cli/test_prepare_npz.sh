#!/bin/sh
# prepare-npz as a batch tool: same seed -> same bytes whatever --jobs,
# --threads or --shard; CSV split with variants beside their case; a bad
# case fails alone (exit 3, listed at the end, nothing of it left behind);
# --skip-existing resumes; the label map's dtype does not change a byte;
# usage errors exit 2.
set -u
pass=0 fail=0
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }

small="--surface 3000 --vol 2000 --near 2000 -q"
mkdir "$d/in"
"$MEDSEG" phantom heart -o "$d/in/a.nii.gz" --size 48,44,40 --spacing 2.4,2.6,3 -q || bad phantom
"$MEDSEG" phantom heart -o "$d/in/b.nii.gz" --size 40,40,36 --spacing 3,3,3.2 --seed 2 -q || bad phantom
"$MEDSEG" phantom heart -o "$d/in/c.nii" --size 44,40,40 --spacing 2.8,3,3 --seed 3 --classes 8 -q || bad phantom

run() { "$MEDSEG" prepare-npz $small --seed 5 --partial drop:1-3 --copies 2 --subsets 1,2,3:4,5,6 "$@"; }
run -o "$d/j1" --jobs 1 --threads 1 "$d/in"; check '[ $? -eq 0 ]' "jobs 1 run failed"
run -o "$d/j2" --jobs 2 --threads 2 "$d/in/a.nii.gz" "$d/in/b.nii.gz" "$d/in/c.nii"
check '[ $? -eq 0 ]' "jobs 2 run failed"
run -o "$d/t2" --jobs 1 --threads 2 "$d/in" --shard 0/2
run -o "$d/t2" --jobs 1 --threads 2 "$d/in" --shard 1/2
n=$(ls "$d/j1" | wc -l)
check '[ "$n" -eq 15 ]' "expected 3 cases x 5 files, got $n"
for f in "$d"/j1/*.npz; do
    b=$(basename "$f")
    cmp -s "$f" "$d/j2/$b" || bad "$b differs between --jobs 1 and --jobs 2"
    cmp -s "$f" "$d/t2/$b" || bad "$b differs between one run and two shards"
done
ok
run -o "$d/s6" --seed 6 "$d/in/a.nii.gz" --jobs 1
check '! cmp -s "$d/j1/a.npz" "$d/s6/a.npz"' "another seed gave the same bytes"

# CSVs: every output once, variants in their case's split, loader row format.
run -o "$d/data/hearts" --csv "$d/data" --val-fraction 0.34 "$d/in"
rows=$(cat "$d/data/train.csv" "$d/data/val.csv" | wc -l)
check '[ "$rows" -eq 15 ]' "CSV rows: $rows, expected 15"
check '[ "$(wc -l < "$d/data/val.csv")" -eq 5 ]' "val.csv should hold one case and its 4 variants"
check 'cat "$d/data/train.csv" "$d/data/val.csv" | grep -qx "hearts,a,heart"' "row format subdir,stem,category"
for s in a b c; do
    t=$(grep -c "^hearts,${s}[,_]" "$d/data/train.csv")
    v=$(grep -c "^hearts,${s}[,_]" "$d/data/val.csv")
    [ $((t * v)) -eq 0 ] && [ $((t + v)) -eq 5 ] || bad "case $s split across train ($t) and val ($v)"
done
ok

# --skip-existing: nothing redone, bytes kept.
cp "$d/j1/a.npz" "$d/keep.npz"
"$MEDSEG" prepare-npz --surface 3000 --vol 2000 --near 2000 --seed 5 --partial drop:1-3 --copies 2 \
    --subsets 1,2,3:4,5,6 -o "$d/j1" --skip-existing "$d/in" 2> "$d/log"
check 'grep -q "a: outputs exist, skipped" "$d/log"' "--skip-existing did not skip: $(cat "$d/log")"
check 'cmp -s "$d/j1/a.npz" "$d/keep.npz"' "--skip-existing changed a.npz"

# The label map's dtype does not matter: each is read by its own loop.
for t in uint8 int16 uint16 int32 float32 float64; do
    mkdir -p "$d/dt/$t"
    "$MEDSEG" convert -q --dtype $t "$d/in/b.nii.gz" "$d/dt/$t/b.nii.gz" || bad "convert to $t"
    "$MEDSEG" prepare-npz $small --seed 5 -o "$d/dt/$t/out" "$d/dt/$t/b.nii.gz" || bad "prepare-npz on $t"
    [ "$t" = uint8 ] || cmp -s "$d/dt/uint8/out/b.npz" "$d/dt/$t/out/b.npz" || bad "$t label map gave other bytes"
done
ok

# Bad cases fail alone.
mkdir "$d/bad"
cp "$d/in/a.nii.gz" "$d/bad/good.nii.gz"
printf 'not a nifti' > "$d/bad/garbage.nii.gz"
"$PY" - "$d/bad" <<'PY' || { echo "SKIP: needs numpy and nibabel to make bad label maps"; exit 77; }
import sys, os
import numpy as np
import nibabel as nib
d = sys.argv[1]
a = np.zeros((20, 20, 20), np.float32); a[5:10, 5:10, 5:10] = 2.5
nib.save(nib.Nifti1Image(a, np.eye(4)), os.path.join(d, "fraction.nii.gz"))
nib.save(nib.Nifti1Image(np.zeros((20, 20, 20), np.int16), np.eye(4)), os.path.join(d, "empty.nii.gz"))
e = np.zeros((20, 20, 20), np.int16); e[4:9, 4:9, 4:9] = 40
nib.save(nib.Nifti1Image(e, np.eye(4)), os.path.join(d, "only_unknown.nii.gz"))
PY
"$MEDSEG" prepare-npz $small -o "$d/badout" "$d/bad" 2> "$d/err"
rc=$?
check '[ $rc -eq 3 ]' "bad cases: exit $rc, expected 3"
check '[ -f "$d/badout/good.npz" ]' "the good case was not written"
check '[ "$(ls "$d/badout")" = "good.npz" ]' "bad cases left files: $(ls -A "$d/badout")"
check 'grep -q "4 of 5 cases failed" "$d/err"' "no failure summary: $(cat "$d/err")"
for c in garbage fraction empty only_unknown; do
    grep -q "$c.nii.gz: " "$d/err" || bad "summary does not name $c: $(cat "$d/err")"
done
check 'grep -q "not a label map" "$d/err"' "fraction not reported as a non-label map"
check 'grep -q "no foreground" "$d/err"' "empty map not reported as no foreground"
ok

# Usage errors: exit 2.
for args in "--partial drop:3-1" "--shard 2/2" "--normalize cube" "--near-sigma 0.1" "--class-map 5:11" "--subsets 1,2:12"; do
    "$MEDSEG" prepare-npz -o "$d/u" $args "$d/in/a.nii.gz" 2> /dev/null
    rc=$?
    [ $rc -eq 2 ] || bad "prepare-npz $args: exit $rc, expected 2"
done
"$MEDSEG" prepare-npz "$d/in/a.nii.gz" 2> /dev/null
check '[ $? -eq 2 ]' "missing -o should exit 2"
ok

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
