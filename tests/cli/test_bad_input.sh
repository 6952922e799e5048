#!/bin/sh
# Bad input: exit 3, one clear line naming the file, and no output left.
set -u
pass=0 fail=0
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_3 NAME INPUT [extra args]: convert must exit 3, name INPUT, leave nothing.
expect_3() {
    name=$1 in=$2
    shift 2
    "$MEDSEG" convert "$in" "$d/out.nii.gz" "$@" 2> "$d/err"
    rc=$?
    [ "$rc" -eq 3 ] || { bad "$name: exit $rc, expected 3"; return; }
    [ "$(wc -l < "$d/err")" -eq 1 ] || bad "$name: message is not one line: $(cat "$d/err")"
    grep -qF "$in" "$d/err" || bad "$name: message does not name the file: $(cat "$d/err")"
    [ -z "$(ls -A "$d" | grep -v -e '^err$' -e '^in' -e '^empty$' -e '^base' -e '^notdicom')" ] || bad "$name: output left behind: $(ls -A "$d")"
    pass=$((pass + 1))
}

"$MEDSEG" phantom lesion -o "$d/base.nii.gz" --mask "$d/base_mask.nii" --size 40,30,20 -q || bad "phantom"
"$PY" - "$d" <<'PY' || { echo "SKIP: needs numpy"; exit 77; }
import sys, gzip, struct, os
import numpy  # noqa: F401 (the oracle set is installed with the build deps)
d = sys.argv[1]
raw = gzip.open(os.path.join(d, "base.nii.gz")).read()
hdr = bytearray(raw[:348])
def save(name, data, gz=True):
    op = gzip.open if gz else open
    with op(os.path.join(d, name), "wb") as f:
        f.write(data)
gz = open(os.path.join(d, "base.nii.gz"), "rb").read()
open(os.path.join(d, "in_truncated.nii.gz"), "wb").write(gz[: len(gz) // 2])
save("in_truncated_data.nii", raw[: len(raw) - 500], gz=False)
h = bytearray(hdr); h[344:348] = b"xx1\0"; save("in_magic.nii.gz", bytes(h) + raw[348:])
h = bytearray(hdr); struct.pack_into("<h", h, 42, -5); save("in_negdim.nii.gz", bytes(h) + raw[348:])
h = bytearray(hdr); struct.pack_into("<hhh", h, 42, 32767, 32767, 32767); save("in_hugedim.nii", bytes(h) + raw[348:], gz=False)
h = bytearray(hdr); struct.pack_into("<f", h, 108, 1e9); save("in_voxoffset.nii", bytes(h) + raw[348:], gz=False)
h = bytearray(hdr); struct.pack_into("<h", h, 70, 2048); save("in_dtype.nii.gz", bytes(h) + raw[348:])
open(os.path.join(d, "notdicom.dcm"), "wb").write(b"hello, this is not DICOM\n" * 40)
os.mkdir(os.path.join(d, "empty"))
PY
for f in in_truncated.nii.gz in_truncated_data.nii in_magic.nii.gz in_negdim.nii.gz in_hugedim.nii in_voxoffset.nii in_dtype.nii.gz; do
    expect_3 "$f" "$d/$f"
done
expect_3 "non-DICOM file" "$d/notdicom.dcm"
expect_3 "empty directory" "$d/empty"
expect_3 "missing file" "$d/does-not-exist.nii"
expect_3 "voxel limit" "$d/base.nii.gz" --max-voxels 1000
# Usage errors are exit 2.
"$MEDSEG" convert "$d/base.nii.gz" 2>/dev/null; [ $? -eq 2 ] && pass=$((pass + 1)) || bad "missing OUT must be exit 2"
"$MEDSEG" convert "$d/base.nii.gz" "$d/x.nii" --dtype int7 2>/dev/null; [ $? -eq 2 ] && pass=$((pass + 1)) || bad "--dtype int7 exit 2"
"$MEDSEG" convert "$d/base.nii.gz" "$d/x.mha" 2>/dev/null; [ $? -eq 2 ] && pass=$((pass + 1)) || bad "unknown output suffix exit 2"
"$MEDSEG" phantom chest -o "$d/x.nii" --size 10,0,5 2>/dev/null; [ $? -eq 2 ] && pass=$((pass + 1)) || bad "--size 10,0,5 exit 2"
"$MEDSEG" info --device gpu "$d/base.nii.gz" 2>/dev/null; [ $? -eq 2 ] && pass=$((pass + 1)) || bad "--device gpu exit 2"
# Resampling and components: usage errors exit 2, bad data exit 3, no output.
usage2() {
    what=$1
    shift
    "$MEDSEG" "$@" 2> "$d/err"
    rc=$?
    [ "$rc" -eq 2 ] && [ ! -e "$d/r.nii" ] && pass=$((pass + 1)) || bad "$what: exit $rc, expected 2 and no output"
}
usage2 "--spacing 0" convert "$d/base.nii.gz" "$d/r.nii" --spacing 1,0,1
usage2 "--spacing and --shape" convert "$d/base.nii.gz" "$d/r.nii" --spacing 1,1,1 --shape 4,4,4
usage2 "--interp without grid" convert "$d/base.nii.gz" "$d/r.nii" --interp linear
usage2 "--interp bogus" convert "$d/base.nii.gz" "$d/r.nii" --shape 4,4,4 --interp bogus
usage2 "--labels cubic" convert "$d/base_mask.nii" "$d/r.nii" --shape 4,4,4 --labels --interp cubic
usage2 "--connectivity 7" components "$d/base_mask.nii" "$d/r.nii" --connectivity 7
usage2 "--largest -1" components "$d/base_mask.nii" "$d/r.nii" --largest -1
"$MEDSEG" convert "$d/base.nii.gz" "$d/r.nii" --like "$d/no-such-ref.nii" 2> "$d/err"
[ $? -eq 3 ] && [ ! -e "$d/r.nii" ] && grep -qF "no-such-ref" "$d/err" && pass=$((pass + 1)) || bad "--like missing ref: exit 3 naming it"
"$MEDSEG" components "$d/in_truncated.nii.gz" "$d/r.nii" 2> "$d/err"
[ $? -eq 3 ] && [ ! -e "$d/r.nii" ] && pass=$((pass + 1)) || bad "components on a truncated file: exit 3"
"$MEDSEG" convert "$d/base.nii.gz" "$d/r.nii" --spacing 0.001,0.001,0.001 --max-voxels 100000000 2> "$d/err"
[ $? -eq 3 ] && [ ! -e "$d/r.nii" ] && pass=$((pass + 1)) || bad "absurd --spacing must be refused before allocating (exit 3)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
