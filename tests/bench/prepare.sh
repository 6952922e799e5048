#!/bin/sh
# prepare-npz on one 10-class 256^3 heart phantom with the default counts
# (100k surface, volume and near-surface points), side by side with the
# Python peer doing the same work (scikit-image marching cubes, Open3D
# distances, numpy sampling, np.savez; prepare_peer.py) in the same run.
# Then SDF queries/s on the phantom's ~230k-triangle union mesh, CPU and,
# when present, GPU. Prints seconds and ratios; never asserts on time.
set -eu
build=${1:-build}
d=${2:-$(mktemp -d)}
mkdir -p "$d"
medseg=$build/cli/medseg py=/usr/bin/python3 here=$(dirname "$0")
[ -f "$d/heart256.nii.gz" ] || "$medseg" phantom heart -q --size 256,256,256 --spacing 0.5,0.5,0.5 -o "$d/heart256.nii.gz"
if $py -c 'import skimage, open3d' 2> /dev/null; then
    peer=$($py "$here/prepare_peer.py" "$d/heart256.nii.gz" "$d/peer.npz")
    peer_total=$(echo "$peer" | sed 's/.*"total": \([0-9.]*\).*/\1/')
    echo "prepare-npz peer (scikit-image + Open3D, 2 cores): $peer"
else
    peer_total=""
    echo "prepare-npz peer skipped: python3-skimage or python3-open3d missing"
fi
best=""
for run in 1 2; do
    rm -rf "$d/out"
    t0=$(date +%s.%N)
    json=$("$medseg" prepare-npz -q --json --device cpu -o "$d/out" "$d/heart256.nii.gz")
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" -eq 1 ]; then best=$t split=$json; fi
done
split=$(echo "$split" | tr -d ' \t\n' | sed 's/.*"seconds":{\([^}]*\)}.*/\1/')
echo "prepare-npz medseg (2 cores): total ${best}s; $split"
[ -n "$peer_total" ] && echo "prepare-npz peer/medseg: $(echo "scale=2; $peer_total / $best" | bc)x"
"$build/tests/bench_sdf" "$d/heart256.nii.gz" 1000000 2> "$d/sdf.log" | while read -r dev thr tris sec qps; do
    echo "SDF queries: $dev, $thr thread(s), $tris triangles: $qps queries/s (${sec}s for 1e6)"
done
cat "$d/sdf.log"
