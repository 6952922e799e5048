#!/bin/sh
# make fuzz: seed corpora, then each libFuzzer harness for SECONDS.
#   scripts/fuzz.sh BUILD_DIR SECONDS
# Seeds come from the phantoms (always) and from ../shared/data when it is
# there (small files only). Corpora grow in BUILD_DIR/corpus between runs.
# Exit 1 on the first crash, leak, UB report or timeout; the reproducer is
# left in BUILD_DIR/crashes.
set -eu
b=${1:-build-fuzz}
secs=${2:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
medseg="$src/build/cli/medseg"
[ -x "$medseg" ] || medseg="$b/cli/medseg"
c="$b/corpus"
mkdir -p "$c/nifti" "$c/nifti_gz" "$c/dicom" "$c/csv" "$c/json" "$b/crashes"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Phantoms: a chest CT (int16), a heart label map (uint8), the same as
# NIfTI-2, and a 3-slice DICOM series.
"$medseg" phantom chest -q -o "$tmp/chest.nii" --size 12,10,4 --spacing 2,2,3 --nodules 0 --dicom "$tmp/dcm"
"$medseg" phantom heart -q -o "$tmp/heart.nii" --size 12,12,8
"$medseg" convert -q "$tmp/chest.nii" "$tmp/chest2.nii" --nifti-version 2
for f in chest heart chest2; do
    cp "$tmp/$f.nii" "$c/nifti/$f.nii"
    cp "$tmp/$f.nii" "$c/nifti_gz/$f.nii"
done
i=0
for f in "$tmp/dcm"/*; do
    i=$((i + 1))
    cp "$f" "$c/dicom/phantom$i.dcm"
done
# A folder: files joined by the harness's marker.
set -- "$tmp/dcm"/*
{ cat "$1"; printf 'MSFUZZ\n\n'; cat "$2"; } > "$c/dicom/folder2.bin"
printf 'seriesuid,coordX,coordY,coordZ,probability\ns,1.5,-2,30,0.9\ns,"4",5,6,1e-3\n' > "$c/csv/candidates.csv"
printf 'seriesuid,coordX,coordY,coordZ,diameter_mm\ns,0,0,0,5\n' > "$c/csv/annotations.csv"
printf 'id,score\na,0.25\nb,0.75\n' > "$c/csv/scores.csv"
printf '\357\273\277id,label\n"a ""quoted""",1\nb,0\n' > "$c/csv/labels.csv"
printf 'case_id,image_path,report,labels,diagnosis,slice\nc1,a.png,"two\nlines, comma",x;y=0;z=-1,d,\nc2,b.nii.gz,r,,d,3\n' > "$c/csv/cases.csv"
printf '{"format": "medseg-rag-index", "format_version": 1, "embedder": {"name": "medseg-classic", "version": "1", "dim": 1504}, "index": "flat", "count": 3, "index_bytes": 10, "index_hash": "00ff"}' > "$c/json/meta.json"
printf '{"box": [2, 3, 10, 12], "points": [[4, 5, 1], [8, 9, 0]], "slice": 2, "axis": "axial"}' > "$c/json/prompt.json"
printf '{"points": [[1, 2, 3], [4.5, 5, 6]], "space": "lps"}' > "$c/json/points.json"
printf 'age=62,sex=F,family-history=1,emphysema=0' > "$c/json/patient.txt"
cp "$src"/data/models/*.json "$c/json/" 2>/dev/null || true

shared="$src/../shared/data"
if [ -d "$shared" ]; then
    find "$shared" -name '*.nii.gz' -size -300k | head -8 | while read -r f; do
        gzip -dc "$f" > "$c/nifti/$(basename "$f" .gz)" 2>/dev/null || true
        cp "$c/nifti/$(basename "$f" .gz)" "$c/nifti_gz/" 2>/dev/null || true
    done
    find "$shared/dicom_edge_cases" -type f -size -600k | head -12 | while read -r f; do
        cp "$f" "$c/dicom/shared_$(echo "$f" | md5sum | cut -c1-8).dcm"
    done
fi

status=0
for t in nifti nifti_gz dicom csv json; do
    log="$b/fuzz_$t.log"
    # Whole CT slices (512 KB) make slow inputs; headers and small images
    # are where the parsing is.
    len=65536
    [ "$t" = dicom ] && len=32768
    if "$b/tests/fuzz/fuzz_$t" "$c/$t" -max_total_time="$secs" -max_len=$len -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$b/crashes/${t}_" -print_final_stats=1 > "$log" 2>&1; then
        echo "fuzz_$t: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') executions in ${secs} s, no crash"
    else
        echo "fuzz_$t: FAILED (see $log; reproducer in $b/crashes)"
        tail -30 "$log"
        status=1
    fi
done
exit $status
