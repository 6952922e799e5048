#!/bin/sh
# The job after the array (sbatch --dependency=afterok:ARRAY): one
# failed.tsv from the shards' lists, a manifest of every output (name,
# dims, value range, from medseg info) in list order, and a check
# that every input of the list has its output.
#SBATCH --job-name=medseg-merge
#SBATCH --cpus-per-task=1
set -eu
list=$1
out=$2
medseg=${MEDSEG:-medseg}
{
    echo "input	exit	message"
    for f in "$out"/failed-*-of-*.tsv; do [ -f "$f" ] && tail -n +2 "$f"; done
} > "$out/failed.tsv.tmp"
mv "$out/failed.tsv.tmp" "$out/failed.tsv"
missing=0
: > "$out/manifest.tsv.tmp"
grep -v '^[[:space:]]*\(#\|$\)' "$list" | while IFS= read -r input; do
    name=$(basename "${input%/}")
    name=${name%.gz}
    name=${name%.nii}
    name=${name%.dcm}
    f="$out/$name.nii.gz"
    if [ ! -f "$f" ]; then
        echo "merge: no output for $input" >&2
        echo missing >> "$out/missing.tmp"
        continue
    fi
    "$medseg" info "$f" | awk -v n="$name.nii.gz" '/^dims/ {d = $2 "x" $4 "x" $6} /^range/ {r = $2 "\t" $4}
        END {print n "\t" d "\t" r}' >> "$out/manifest.tsv.tmp"
done
[ -f "$out/missing.tmp" ] && missing=$(wc -l < "$out/missing.tmp") && rm -f "$out/missing.tmp"
mv "$out/manifest.tsv.tmp" "$out/manifest.tsv"
[ "$missing" -eq 0 ] || { echo "merge: $missing inputs have no output" >&2; exit 1; }
echo "merge: $(wc -l < "$out/manifest.tsv") outputs, $(($(wc -l < "$out/failed.tsv") - 1)) failed"
