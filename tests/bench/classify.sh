#!/bin/sh
# classify image benchmark (prints figures; never asserts on time): 200
# PNGs of 512x512 through the test image-classifier, the model loaded once,
# on all cores and on one: images per second, and the time per image
# outside the model (decode, resize, normalise; the test model's own work
# is a mean over 64x64), against the goal of <= 5 ms.
set -eu
medseg=${1:-build/cli/medseg}
src=$(cd "$(dirname "$0")/../.." && pwd)
d=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$d/png"
/usr/bin/python3 - "$d/png" <<'PY'
import sys
import numpy as np
from PIL import Image
rng = np.random.default_rng(0)
for i in range(200):
    Image.fromarray((rng.random((512, 512)) * 255).astype(np.uint8)).save(f"{sys.argv[1]}/cxr{i:03d}.png")
PY
model="$src/data/models/image_mean_tone.pt"
"$medseg" classify image "$d/png/cxr000.png" --model "$model" -q > /dev/null   # warm the page cache
for t in 0 1; do
    s=$(date +%s.%N)
    "$medseg" classify image "$d"/png/*.png --model "$model" --threads $t --csv "$d/out.csv" -q > /dev/null
    e=$(date +%s.%N)
    one=$( { /usr/bin/time -f %e "$medseg" classify image "$d/png/cxr000.png" --model "$model" -q > /dev/null; } 2>&1 )
    echo "$t" "$s" "$e" "$one" | awk '{ n = 200; total = $3 - $2; per = (total - $4) / (n - 1) * 1000;
        printf "classify image, %s threads: 200 PNGs 512x512 in %.2f s, %.1f images/s, %.2f ms per image beyond the model load (goal <= 5 ms)\n",
               ($1 == 0 ? "all" : $1), total, n / total, per }'
done
