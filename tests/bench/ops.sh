#!/bin/sh
# Labelling and resampling, in-process (bench_ops) against scipy.ndimage in
# the same run, on the same files:
#  - 26-connected labelling of 512^3 binary volumes: a lung/air mask from the
#    chest phantom resampled to 512^3, and uniform random noise (50 %)
#  - 512x512x300 int16 CT to 1 mm isotropic, trilinear, vs ndimage.zoom
# Then, with a GPU, the kernels on device-resident data vs a D2D copy.
# Prints best-of-N seconds and ratios; never asserts on time.
set -eu
build=${1:-build}
d=${2:-$(mktemp -d)}
mkdir -p "$d"
medseg=$build/cli/medseg ops=$build/tests/bench_ops py=/usr/bin/python3
[ -f "$d/ct300.nii.gz" ] || "$medseg" phantom chest -q --size 512,512,300 --spacing 0.7,0.7,1.25 -o "$d/ct300.nii.gz"
if [ ! -f "$d/lung512.nii" ]; then
    "$medseg" convert -q "$d/ct300.nii.gz" "$d/ct512.nii" --shape 512,512,512 --dtype int16
    $py - "$d" <<'PY'
import sys, numpy as np, nibabel as nib
d = sys.argv[1]
im = nib.load(f"{d}/ct512.nii")
nib.save(nib.Nifti1Image((np.asanyarray(im.dataobj) < -400).astype(np.uint8), im.affine), f"{d}/lung512.nii")
rng = np.random.default_rng(0)
nib.save(nib.Nifti1Image((rng.random((512, 512, 512)) < 0.5).astype(np.uint8), np.eye(4)), f"{d}/rand512.nii")
PY
fi
label_py='import sys, time, numpy as np, nibabel as nib
from scipy import ndimage
x = np.asanyarray(nib.load(sys.argv[1]).dataobj)
s = ndimage.generate_binary_structure(3, 3)
best = 1e30
for _ in range(2):
    t = time.perf_counter(); _, k = ndimage.label(x, s); best = min(best, time.perf_counter() - t)
print(f"{best:.6f} {k}")'
zoom_py='import sys, time, numpy as np, nibabel as nib
from scipy import ndimage
im = nib.load(sys.argv[1]); x = np.asanyarray(im.dataobj)
z = [s / 1.0 for s in im.header.get_zooms()[:3]]
t = time.perf_counter(); y = ndimage.zoom(x, z, order=1); t = time.perf_counter() - t
print(f"{t:.6f} {y.shape}")'
ratio() { echo "scale=1; $1 / $2" | bc; }
for v in lung512 rand512; do
    s=$($py -c "$label_py" "$d/$v.nii")
    m1=$($ops label "$d/$v.nii" 26 1 3)
    m2=$($ops label "$d/$v.nii" 26 2 3)
    st=${s%% *} t1=${m1%% *} t2=${m2%% *}
    echo "label $v 26-conn: scipy ${st}s (${s#* } comps), medseg 1 thread ${t1}s (${m1#* } comps), 2 threads ${t2}s;" \
         "scipy/medseg single-thread $(ratio "$st" "$t1")x, $(echo "scale=0; 134217728 / $t1 / 1000000" | bc) MVx/s," \
         "2-thread scaling $(echo "scale=2; $t1 / $t2" | bc)"
done
s=$($py -c "$zoom_py" "$d/ct300.nii.gz")
m1=$($ops resample "$d/ct300.nii.gz" 1,1,1 linear 1 3)
m2=$($ops resample "$d/ct300.nii.gz" 1,1,1 linear 2 3)
st=${s%% *} t1=${m1%% *} t2=${m2%% *}
echo "resample 512x512x300 int16 -> 1 mm (${m1#* }) trilinear: scipy zoom ${st}s, medseg 1 thread ${t1}s, 2 threads ${t2}s;" \
     "scipy/medseg single-thread $(ratio "$st" "$t1")x, 2-thread scaling $(echo "scale=2; $t1 / $t2" | bc)"
if [ -x "$build/tests/gpu_bench" ]; then
    "$build/tests/gpu_bench" "$d/lung512.nii" "$d/ct512.nii"
    "$build/tests/gpu_bench" "$d/rand512.nii" "$d/ct512.nii" | grep "GPU label"
fi
