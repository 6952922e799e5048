#!/bin/sh
# validate: FROC with 100000 candidates over 1000 scans and 1000 bootstrap
# resamples, on one core and on all (goal: <= 2 s on one core); HD95 on a
# 512^3 pair against the NumPy/SciPy implementation of the same
# definitions, side by side in this run (goal: >= 10x). Never asserts.
set -eu
build=${1:-build}
d=${2:-$(mktemp -d)}
medseg=$build/cli/medseg py=/usr/bin/python3 here=$(dirname "$0")
$py "$here/make_validate_data.py" "$d"
best() {   # seconds of the faster of two runs of "$@"
    b=""
    for run in 1 2; do
        t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N)
        t=$(echo "$t1 - $t0" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" -eq 1 ]; then b=$t; fi
    done
    echo "$b"
}
for th in 1 0; do
    t=$(best "$medseg" validate detect --pred "$d/candidates.csv" --ref "$d/annotations.csv" --bootstrap 1000 --threads $th -q)
    echo "validate detect, 100000 candidates, 1000 scans, 1000 resamples, --threads $th (0: all cores): ${t} s"
done
t=$(best "$medseg" validate detect --pred "$d/candidates.csv" --ref "$d/annotations.csv" --bootstrap 0 -q)
echo "validate detect without bootstrap: ${t} s"
ours=$(best "$medseg" validate seg --pred "$d/pred.nii" --ref "$d/ref.nii" -q)
"$medseg" validate seg --pred "$d/pred.nii" --ref "$d/ref.nii" --json | grep -E '"(hd95|assd)"' | tr -d '\t\n'; echo
if $py -c 'import scipy, nibabel' 2> /dev/null; then
    peer=$($py "$here/validate_peer.py" "$d/pred.nii" "$d/ref.nii")
    pt=$(echo "$peer" | sed 's/.*"seconds": \([0-9.]*\).*/\1/')
    echo "HD95 512^3 peer (NumPy/SciPy, same definitions): $peer"
    echo "HD95 512^3 medseg: ${ours} s; peer/medseg = $(echo "scale=1; $pt / $ours" | bc)x"
else
    echo "HD95 512^3 medseg: ${ours} s (peer skipped: python3-scipy or python3-nibabel missing)"
fi
