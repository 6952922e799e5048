#!/bin/sh
# segment and propagate from the command line: bad prompts and inputs exit 3
# and leave nothing; --on-error blank writes an empty mask with the image's
# geometry and a report naming the error; usage errors exit 2; the JSON
# reports parse; prompt files work like options; results are deterministic
# and independent of --threads.
set -u
pass=0 fail=0
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }

img="$d/les.nii.gz"
"$MEDSEG" phantom lesion -o "$img" --mask "$d/ref.nii.gz" -q || bad phantom
seg() { "$MEDSEG" segment "$img" -q "$@"; }
prop() { "$MEDSEG" propagate "$img" -q "$@"; }

# Exit 3, no output.
expect3() {
    what=$1; shift
    rm -f "$d/o.nii.gz"
    "$@" >/dev/null 2>"$d/err"; rc=$?
    check "[ $rc -eq 3 ]" "$what: exit $rc, want 3"
    check "[ ! -e '$d/o.nii.gz' ]" "$what: left an output behind"
    check "[ \$(wc -l < '$d/err') -eq 1 ]" "$what: want a one-line message, got: $(cat "$d/err")"
}
expect3 "box outside" seg -o "$d/o.nii.gz" --slice 24 --box 100,100,140,120
expect3 "empty box" seg -o "$d/o.nii.gz" --slice 24 --box 60,60,50,70
expect3 "negative box" seg -o "$d/o.nii.gz" --slice 24 --box -3,10,20,20
expect3 "point off the slice" seg -o "$d/o.nii.gz" --slice 24 --point 128,5
expect3 "fg point outside the box" seg -o "$d/o.nii.gz" --slice 24 --box 50,50,70,70 --point 80,80
expect3 "slice outside" seg -o "$d/o.nii.gz" --slice 48 --box 50,50,70,70
expect3 "coronal slice outside" seg -o "$d/o.nii.gz" --axis coronal --slice 200 --box 5,5,9,9
printf 'not json' > "$d/bad.json"
expect3 "malformed prompt file" seg -o "$d/o.nii.gz" --prompts "$d/bad.json"
printf '{"box": [1, 2, 3]}' > "$d/short.json"
expect3 "short box in prompt file" seg -o "$d/o.nii.gz" --prompts "$d/short.json"
head -c 300 "$img" > "$d/trunc.nii.gz"
expect3 "truncated image" "$MEDSEG" segment "$d/trunc.nii.gz" -o "$d/o.nii.gz" --box 1,1,5,5
"$MEDSEG" phantom lesion -o "$d/zero.nii.gz" --mask "$d/zero_src.nii.gz" -q
/usr/bin/python3 -c "
import nibabel as nib, numpy as np, sys
r = nib.load(sys.argv[1]); nib.save(nib.Nifti1Image(np.zeros(r.shape, np.uint8), r.affine), sys.argv[2])
nib.save(nib.Nifti1Image(np.ones((10, 10, 10), np.uint8), r.affine), sys.argv[3])" \
    "$d/ref.nii.gz" "$d/empty.nii.gz" "$d/small.nii.gz" 2>/dev/null
if [ -f "$d/empty.nii.gz" ]; then
    expect3 "empty key mask" prop -o "$d/o.nii.gz" --mask "$d/empty.nii.gz"
    expect3 "key mask on another grid" prop -o "$d/o.nii.gz" --mask "$d/small.nii.gz"
fi
printf '{"points": [[60, 60, 20], [70, 70, 99]]}' > "$d/far.json"
expect3 "3-D point off the volume" prop -o "$d/o.nii.gz" --points "$d/far.json"
printf '{"points": [[60, 60, 20]]}' > "$d/one.json"
expect3 "a single 3-D point" prop -o "$d/o.nii.gz" --points "$d/one.json"
printf '{"points": [[0, 0, 20], [3, 3, 22]]}' > "$d/dark.json"
expect3 "nothing in the points' box" prop -o "$d/o.nii.gz" --points "$d/dark.json"
expect3 "propagate box outside" prop -o "$d/o.nii.gz" --slice 24 --box 120,120,130,130

# Usage errors: exit 2.
for args in "--slice 24 --box 1,2,3" "--slice 24 --point 1" "--slice 24 --box 50,50,70,70 --axis up" \
            "--slice 24 --box 50,50,70,70 --label 300" "--slice 24 --box 50,50,70,70 --window 40" \
            "--slice 24 --box 50,50,70,70 --on-error maybe" "--slice 24"; do
    # shellcheck disable=SC2086
    seg -o "$d/o.nii.gz" $args 2>/dev/null; rc=$?
    check "[ $rc -eq 2 ]" "segment $args: exit $rc, want 2"
done
seg --slice 24 --box 50,50,70,70 2>/dev/null; check "[ $? -eq 2 ]" "segment without -o must exit 2"
for args in "--mask $d/ref.nii.gz --points $d/far.json" "--box 50,50,70,70" "--slice 24" \
            "--mask $d/ref.nii.gz --range 9:3" "--mask $d/ref.nii.gz --range x"; do
    # shellcheck disable=SC2086
    prop -o "$d/o.nii.gz" $args 2>/dev/null; rc=$?
    check "[ $rc -eq 2 ]" "propagate $args: exit $rc, want 2"
done

# --on-error blank: an empty mask on the image's grid plus a report.
seg -o "$d/blank.nii.gz" --slice 24 --box 100,100,140,120 --on-error blank --json "$d/blank.json" 2>/dev/null
check "[ $? -eq 0 ]" "--on-error blank must exit 0"
"$PY" - "$d/blank.nii.gz" "$img" "$d/blank.json" <<'PYEOF' && ok || bad "--on-error blank output"
import json, sys
import nibabel as nib, numpy as np
m, i = nib.load(sys.argv[1]), nib.load(sys.argv[2])
assert m.shape == i.shape and np.allclose(m.affine, i.affine) and not np.asarray(m.dataobj).any()
r = json.load(open(sys.argv[3]))
assert "outside" in r["error"] and r["voxels"] == 0, r
PYEOF
prop -o "$d/pblank.nii.gz" --points "$d/far.json" --on-error blank --json "$d/pblank.json" 2>/dev/null
check "[ $? -eq 0 ] && [ -f '$d/pblank.nii.gz' ] && grep -q error '$d/pblank.json'" "propagate --on-error blank"

# A prompt file equals the same options; JSON on stdout parses.
printf '{"box": [48, 47, 80, 75], "points": [[64, 60, 1]], "slice": 24}' > "$d/p.json"
seg -o "$d/a.nii.gz" --prompts "$d/p.json" --json - > "$d/a.json"
seg -o "$d/b.nii.gz" --slice 24 --box 48,47,80,75 --point 64,60 --threads 1
check "cmp -s '$d/a.nii.gz' '$d/b.nii.gz'" "prompt file and options differ"
check "\"$PY\" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r[\"voxels\"] > 300 and r[\"slice\"] == 24' '$d/a.json'" \
    "segment --json - report"
seg -o "$d/c.nii.gz" --slice 24 --box 48,47,80,75 --point 64,60 --threads 2
check "cmp -s '$d/b.nii.gz' '$d/c.nii.gz'" "segment depends on --threads"
prop -o "$d/p1.nii.gz" --mask "$d/a.nii.gz" --threads 1 --json "$d/p1.json"
prop -o "$d/p2.nii.gz" --mask "$d/a.nii.gz" --threads 2
check "cmp -s '$d/p1.nii.gz' '$d/p2.nii.gz'" "propagate depends on --threads"
prop -o "$d/p3.nii.gz" --slice 24 --box 48,47,80,75 --point 64,60
check "cmp -s '$d/p1.nii.gz' '$d/p3.nii.gz'" "propagate --slice/--box differs from segment + propagate --mask"
# --range clips the passes.
prop -o "$d/r.nii.gz" --mask "$d/a.nii.gz" --range 23:25 --json "$d/r.json"
check "\"$PY\" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r[\"slice_range\"] == [23, 25], r' '$d/r.json'" \
    "--range 23:25 must bound the result"
# Coronal: segment the lesion's middle coronal slice and propagate along j.
seg -o "$d/cor.nii.gz" --axis coronal --slice 62 --box 50,20,80,28 2>/dev/null
check "[ $? -eq 0 ]" "coronal segment"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
