#!/bin/sh
# detect-nodules benchmark (prints figures; never asserts on time):
#  - 20 chest phantoms (seeds 1..20, 6 nodules each): sensitivity for
#    nodules >= 5 mm, false positives per scan at the default threshold,
#    LUNA16 FROC/CPM over nodules >= 5 mm, diameter error (>= 6 mm), type
#    accuracy (tests/bench/detect_phantoms.py);
#  - the real scans of ../shared/data when present (tests/oracle/
#    test_detect_real.py prints the tumour's rank, the lung Dice and the
#    LIDC candidates);
#  - end to end on a 512x512x300 chest phantom (0.7 x 0.7 x 1.25 mm): seconds
#    per stage and peak memory, against the product's goals (whole scan
#    <= 60 s, lung mask <= 10 s).
set -eu
medseg=${1:-build/cli/medseg}
py=/usr/bin/python3
src=$(cd "$(dirname "$0")/../.." && pwd)
d=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$d"
echo "bench detect: data in $d ($(nproc) cores)"
$py "$src/tests/bench/detect_phantoms.py" "$medseg" --seeds "${SEEDS:-20}" --keep "$d/phantoms"
if [ -d "$src/../shared/data" ]; then
    MEDSEG="$medseg" SHARED_DATA="$src/../shared/data" $py "$src/tests/oracle/test_detect_real.py" || true
fi
[ -f "$d/big.nii.gz" ] || "$medseg" phantom chest -q --size 512,512,300 --spacing 0.7,0.7,1.25 --nodules 8 -o "$d/big.nii.gz"
rm -rf "$d/big"
/usr/bin/time -f "peak RSS %M kB, wall %e s" "$medseg" detect-nodules "$d/big.nii.gz" -o "$d/big" -q 2> "$d/big.time"
$py -c "import json, sys; r = json.load(open(sys.argv[1])); t = r['timings']
print('512x512x300: ' + ', '.join(f'{k} {v:.2f} s' for k, v in t.items()) +
      f' (goals: total <= 60 s, lungs <= 10 s); {len(r[\"nodules\"])} nodules')" "$d/big/report.json"
cat "$d/big.time"
