#!/bin/sh
# detect-nodules from the command line: inputs that are not a chest CT
# (a label map, MR-like values, a single slice, no lungs, an MR DICOM
# series, a truncated file) exit 3 with one line and leave no OUTDIR;
# usage errors exit 2; thick slices and missing slices are run but
# reported as warnings; a non-empty OUTDIR is refused before any work.
set -u
pass=0 fail=0
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }

expect() {
    want=$1 what=$2; shift 2
    rm -rf "$d/out"
    "$MEDSEG" detect-nodules "$@" -o "$d/out" -q >/dev/null 2>"$d/err"; rc=$?
    check "[ $rc -eq $want ]" "$what: exit $rc, want $want ($(cat "$d/err"))"
    check "[ ! -e '$d/out' ]" "$what: left $d/out behind"
    check "[ \$(wc -l < '$d/err') -eq 1 ]" "$what: want a one-line message, got: $(cat "$d/err")"
}

"$MEDSEG" phantom chest -o "$d/ct.nii.gz" --size 100,100,50 --spacing 2.8,2.8,5 --nodules 3 -q \
    --dicom "$d/dcm" || bad "phantom chest"
"$MEDSEG" phantom heart -o "$d/labels.nii.gz" --size 64,64,64 -q || bad "phantom heart"
expect 3 "label map" "$d/labels.nii.gz"
grep -q "not CT Hounsfield" "$d/err" || bad "label map message: $(cat "$d/err")"

if "$PY" -c "import nibabel, numpy" 2>/dev/null; then
    "$PY" - "$d" <<'PY'
import sys, numpy as np, nibabel as nib
d = sys.argv[1]
img = nib.load(f"{d}/ct.nii.gz")
a = np.asarray(img.dataobj).astype(np.int16)
nib.save(nib.Nifti1Image(a[:, :, 25:26], img.affine), f"{d}/one_slice.nii.gz")
nib.save(nib.Nifti1Image((a.astype(np.float32) + 1024) * 0.5, img.affine), f"{d}/mr_like.nii.gz")
x, y = np.mgrid[:100, :100]
body = ((x - 50) ** 2 + (y - 50) ** 2 < 40 ** 2)[:, :, None] * np.ones((1, 1, 50), bool)
nib.save(nib.Nifti1Image(np.where(body, 40, -1000).astype(np.int16), img.affine), f"{d}/no_lungs.nii.gz")
PY
    expect 3 "single slice" "$d/one_slice.nii.gz"
    grep -q "too small" "$d/err" || bad "single slice message: $(cat "$d/err")"
    expect 3 "MR-like values" "$d/mr_like.nii.gz"
    expect 3 "no lungs" "$d/no_lungs.nii.gz"
    grep -q "no lungs found" "$d/err" || bad "no lungs message: $(cat "$d/err")"
else
    echo "note: nibabel missing, single-slice/MR/no-lung inputs not built"
fi

head -c 5000 "$d/ct.nii.gz" > "$d/trunc.nii.gz"
expect 3 "truncated NIfTI" "$d/trunc.nii.gz"

if command -v dcmodify >/dev/null; then
    cp -r "$d/dcm" "$d/mr"
    dcmodify -nb -m "(0008,0060)=MR" "$d"/mr/* >/dev/null 2>&1
    expect 3 "MR series" "$d/mr"
    grep -q "is MR, not CT" "$d/err" || bad "MR message: $(cat "$d/err")"
fi

# Usage errors.
expect 2 "threshold out of range" "$d/ct.nii.gz" --threshold 2
expect 2 "bad patient" "$d/ct.nii.gz" --patient age=5
expect 2 "unknown patient field" "$d/ct.nii.gz" --patient smoker=1
mkdir -p "$d/full" && touch "$d/full/x"
"$MEDSEG" detect-nodules "$d/ct.nii.gz" -o "$d/full" -q 2>"$d/err"; rc=$?
check "[ $rc -eq 2 ] && [ -e '$d/full/x' ] && [ \$(ls '$d/full' | wc -l) -eq 1 ]" "non-empty OUTDIR: exit $rc"

# Thick slices (5 mm) and missing slices: processed, with warnings.
rm -rf "$d/out"
"$MEDSEG" detect-nodules "$d/ct.nii.gz" -o "$d/out" -q 2>/dev/null || bad "thick-slice run failed"
check "grep -q 'slice thickness 5.00 mm' '$d/out/report.json'" "no thick-slice warning"
for f in 20 21; do rm -f "$(ls "$d"/dcm/* | sed -n "${f}p")"; done
rm -rf "$d/out"
"$MEDSEG" detect-nodules "$d/dcm" -o "$d/out" -q 2>/dev/null || bad "missing-slice run failed"
check "grep -q 'uneven slice gaps' '$d/out/report.json'" "no missing-slice warning"
check "[ -e '$d/out/report-sr.dcm' ] && [ -e '$d/out/lungs.nii.gz' ] && [ -e '$d/out/candidates.csv' ]" "outputs"
check "! grep -qi 'PHANTOM^CHEST\\|MEDSEG-PHANTOM' '$d/out/report.json'" "patient name or ID in the report"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
