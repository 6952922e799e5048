#!/bin/sh
# A study folder with more series than info lists (40 > 32): every series
# counts (no write past the table, which ASan/UBSan caught before), the
# largest is read by default even when it comes last, and --series finds a
# series beyond the listed 32.
set -u
pass=0 fail=0
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
mkdir "$d/study"
for s in $(seq 1 40); do
    n=2
    [ "$s" -eq 40 ] && n=5   # the largest series sorts last by seed
    "$MEDSEG" phantom chest -q -o "$d/ct.nii" --size 8,8,$n --spacing 4,4,4 --nodules 0 --seed "$s" \
        --dicom "$d/s$s" || bad "phantom $s"
    "$MEDSEG" info --json "$d/s$s" | sed -n 's/.*"series_uid":[[:space:]]*"\([^"]*\)".*/\1/p' | head -1 >> "$d/uids"
    for f in "$d/s$s"/*; do mv "$f" "$d/study/s${s}_$(basename "$f")"; done
done
"$MEDSEG" info --json "$d/study" > "$d/info.json" 2> "$d/err" || bad "info: $(cat "$d/err")"
grep -q '"n_series":[[:space:]]*40' "$d/info.json" && ok || bad "n_series: $(grep n_series "$d/info.json")"
grep -q '"dims":[[:space:]]*\[8,[[:space:]]*8,[[:space:]]*5\]' "$d/info.json" && ok ||
    bad "the largest series (5 slices) is not the one read: $(tr -d '\n\t ' < "$d/info.json" | head -c 300)"
# A series the listing (32 entries) leaves out must still be readable.
want=""
for u in $(cat "$d/uids"); do grep -q "$u" "$d/info.json" || { want=$u; break; }; done
[ -n "$want" ] && ok || bad "every one of 40 series is listed; expected 32"
"$MEDSEG" convert "$d/study" "$d/one.nii" --series "$want" -q 2> "$d/err" && ok || bad "--series $want: $(cat "$d/err")"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
