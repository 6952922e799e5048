#!/bin/sh
# Similar cases: an index of every fourth slice of one chest phantom, the
# slices holding a nodule labelled "nodule", then a query with the middle
# slice of a second phantom (same anatomy, other nodules and noise): the
# most similar reference is the slice at the same level.
#   sh examples/rag.sh OUTDIR
set -eu
out=${1:-rag-out}
medseg=${MEDSEG:-medseg}
mkdir -p "$out"
"$medseg" phantom chest -q -o "$out/ref.nii.gz" --seed 1 --size 160,160,64 --truth "$out/truth.csv"
"$medseg" phantom chest -q -o "$out/query.nii.gz" --seed 2 --size 160,160,64
# The slices (2.5 mm apart, z of slice k = origin + 2.5 k) that hold a nodule.
z0=$("$medseg" info "$out/ref.nii.gz" --json | tr -d ' \n\t' | sed 's/.*"affine_lps":\[\[[^]]*\],\[[^]]*\],\[[^,]*,[^,]*,[^,]*,\([^]]*\)\].*/\1/')
echo "case_id,image_path,report,labels,diagnosis,slice" > "$out/cases.csv"
k=0
while [ $k -lt 64 ]; do
    z=$(echo "$z0 + 2.5 * $k" | bc)
    hit=$(awk -F, -v z="$z" 'NR > 1 && (z - $4) ^ 2 < ($5 / 2) ^ 2 {n++} END {print n + 0}' "$out/truth.csv")
    if [ "$hit" -gt 0 ]; then lab="chest;nodule"; dx="nodule at this level"; else lab="chest;nodule=0"; dx="no nodule"; fi
    printf 'slice%03d,ref.nii.gz,"phantom slice %d\nseed 1",%s,%s,%d\n' $k $k "$lab" "$dx" $k >> "$out/cases.csv"
    k=$((k + 4))
done
"$medseg" rag-index build -q -o "$out/index" --cases "$out/cases.csv"
"$medseg" rag-index search "$out/index" "$out/query.nii.gz" --slice 32 --top-k 3 --json > "$out/answer.json"
# The best match and the label vote.
tr -d '\n\t ' < "$out/answer.json" | grep -o '"case_id":"[a-z0-9]*"' | head -1 | sed 's/.*:"\(.*\)"$/top: \1/'
tr -d '\n\t ' < "$out/answer.json" | grep -o '"label":"[a-z]*","confidence":[0-9.e-]*' | sed 's/"//g; s/^/vote /'
