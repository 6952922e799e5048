#!/bin/sh
# Volume I/O against the peers users already have, side by side in one run,
# on a 512x512x300 int16 chest phantom (and its DICOM series):
#  - DICOM series -> .nii: medseg convert vs dcm2niix (-z n), one thread and all
#  - reading every voxel of the .nii.gz: medseg info vs nibabel, on medseg's
#    file (members read in parallel) and on nibabel's (one stream)
#  - DICOM series -> .nii.gz vs dcm2niix -z y; the real series of ../shared/data
#    (when present) -> .nii vs dcm2niix
#  - components end to end (.nii.gz in, label, .nii.gz out) vs nibabel + scipy
#  - writing .nii.gz: medseg convert .nii -> .nii.gz at its default level and
#    --gz-level 6, vs nibabel's save (gzip level 1) and pigz (-6, -1), with the file sizes
# Prints best-of-3 seconds and ratios (peer / medseg: above 1 medseg is
# faster); never asserts on time. Peak memory (max RSS) of the DICOM runs.
set -eu
build=${1:-build}
d=${2:-$(mktemp -d)}
mkdir -p "$d"
medseg=$build/cli/medseg py=/usr/bin/python3
if [ ! -f "$d/ct300.nii.gz" ]; then
    rm -rf "$d/dcm"
    "$medseg" phantom chest -q --size 512,512,300 --spacing 0.7,0.7,1.25 -o "$d/ct300.nii.gz" --dicom "$d/dcm"
fi
[ -f "$d/ct300.nii" ] || "$medseg" convert -q "$d/ct300.nii.gz" "$d/ct300.nii"

# best SECONDS of 3 runs of a command (output discarded)
best() {
    b=""
    for _ in 1 2 3; do
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
    done
    printf '%.3f' "$b"
}
ratio() { echo "scale=2; $1 / $2" | bc; }
# max RSS (KiB) of a command run once
maxrss() { /usr/bin/time -f %M -o "$d/rss" "$@" >/dev/null 2>&1; cat "$d/rss"; }

conv() { rm -rf "$d/out.nii"; "$medseg" convert -q --threads "$1" "$d/dcm" "$d/out.nii"; }
d2n() { rm -rf "$d/d2n"; mkdir -p "$d/d2n"; dcm2niix -z n -f ct -o "$d/d2n" "$d/dcm"; }
if command -v dcm2niix >/dev/null; then
    peer=$(best d2n)
    m1=$(best conv 1)
    m2=$(best conv 0)
    echo "DICOM 512x512x300 -> .nii: dcm2niix ${peer}s, medseg 1 thread ${m1}s ($(ratio "$peer" "$m1")x)," \
         "all threads ${m2}s ($(ratio "$peer" "$m2")x); peak memory dcm2niix" \
         "$(rm -rf "$d/d2n"; mkdir -p "$d/d2n"; maxrss dcm2niix -z n -f ct -o "$d/d2n" "$d/dcm") KiB," \
         "medseg $(rm -f "$d/out.nii"; maxrss "$medseg" convert -q "$d/dcm" "$d/out.nii") KiB"
else
    echo "DICOM -> .nii: dcm2niix is absent; skipped"
fi

nib_read='import sys, time, numpy as np, nibabel as nib
best = 1e30
for _ in range(3):
    t = time.perf_counter(); x = np.asanyarray(nib.load(sys.argv[1]).dataobj); s = int(x.min())
    best = min(best, time.perf_counter() - t)
print(f"{best:.3f}")'
peer=$($py -c "$nib_read" "$d/ct300.nii.gz")
m=$(best "$medseg" info -q "$d/ct300.nii.gz")
echo "read .nii.gz ($(stat -c %s "$d/ct300.nii.gz") bytes): nibabel ${peer}s, medseg info ${m}s ($(ratio "$peer" "$m")x)"

nib_write='import sys, time, os, numpy as np, nibabel as nib
im = nib.load(sys.argv[1]); x = np.asanyarray(im.dataobj)
best = 1e30
for _ in range(3):
    t = time.perf_counter(); nib.save(nib.Nifti1Image(x, im.affine, im.header), sys.argv[2])
    best = min(best, time.perf_counter() - t)
print(f"{best:.3f} {os.path.getsize(sys.argv[2])}")'
p=$($py -c "$nib_write" "$d/ct300.nii" "$d/nib.nii.gz")
pt=${p%% *} ps=${p#* }
for lv in default 6; do
    if [ $lv = default ]; then opt=""; else opt="--gz-level $lv"; fi
    # shellcheck disable=SC2086
    m=$(best "$medseg" convert -q $opt "$d/ct300.nii" "$d/w.nii.gz")
    echo "write .nii.gz, level $lv: nibabel ${pt}s ${ps} bytes, medseg ${m}s $(stat -c %s "$d/w.nii.gz") bytes" \
         "($(ratio "$pt" "$m")x faster, size $(ratio "$(stat -c %s "$d/w.nii.gz")" "$ps")x)"
done

# Reading a file of one gzip stream (nibabel's, which medseg cannot split
# among threads) against nibabel reading it.
peer=$($py -c "$nib_read" "$d/nib.nii.gz")
m=$(best "$medseg" info -q "$d/nib.nii.gz")
echo "read nibabel's .nii.gz (one stream): nibabel ${peer}s, medseg info ${m}s ($(ratio "$peer" "$m")x)"

# The same compression by pigz (-6 and -1, all cores) of the raw .nii.
if command -v pigz >/dev/null; then
    for lv in 6 1; do
        p=$(best sh -c "pigz -$lv -c '$d/ct300.nii' > '$d/pigz.nii.gz'")
        m=$(best "$medseg" convert -q --gz-level $lv "$d/ct300.nii" "$d/w.nii.gz")
        echo "write .nii.gz, level $lv: pigz ${p}s $(stat -c %s "$d/pigz.nii.gz") bytes, medseg ${m}s" \
             "$(stat -c %s "$d/w.nii.gz") bytes ($(ratio "$p" "$m")x faster)"
    done
else
    echo "write .nii.gz: pigz is absent; skipped"
fi

# DICOM -> .nii.gz against dcm2niix -z y (its internal gzip; pigz when present).
conv_gz() { rm -f "$d/out.nii.gz"; "$medseg" convert -q --threads "$1" "$d/dcm" "$d/out.nii.gz"; }
d2n_gz() { rm -rf "$d/d2n"; mkdir -p "$d/d2n"; dcm2niix -z y -f ct -o "$d/d2n" "$d/dcm"; }
if command -v dcm2niix >/dev/null; then
    peer=$(best d2n_gz)
    m1=$(best conv_gz 1)
    m2=$(best conv_gz 0)
    echo "DICOM 512x512x300 -> .nii.gz: dcm2niix -z y ${peer}s, medseg 1 thread ${m1}s ($(ratio "$peer" "$m1")x)," \
         "all threads ${m2}s ($(ratio "$peer" "$m2")x)"
fi

# The real series of ../shared/data (small: each run is repeated 10 times).
# (`best` owns $s, $e, $t and $b.)
shared=$(cd "$(dirname "$0")/../.." && pwd)/../shared/data
ten() { for _ in 1 2 3 4 5 6 7 8 9 10; do "$@" || return 1; done; }
for series in lung_pet_ct_dx/Lung_Dx-A0002_series3_8mm_B40f lidc_ct_slabs/LIDC-IDRI-0002 totalsegmentator/example_ct_dicom_jpeg2000; do
    [ -d "$shared/$series" ] && command -v dcm2niix >/dev/null || continue
    real_m() { rm -f "$d/real.nii"; "$medseg" convert -q --threads "$1" "$shared/$series" "$d/real.nii"; }
    real_p() { rm -rf "$d/d2r"; mkdir -p "$d/d2r"; dcm2niix -z n -f r -o "$d/d2r" "$shared/$series"; }
    peer=$(best ten real_p)
    m1=$(best ten real_m 1)
    m2=$(best ten real_m 0)
    echo "real DICOM $series -> .nii (x10): dcm2niix ${peer}s, medseg 1 thread ${m1}s ($(ratio "$peer" "$m1")x)," \
         "all threads ${m2}s ($(ratio "$peer" "$m2")x)"
done

# components end to end (read .nii.gz, label 26-connected, write .nii.gz)
# against nibabel + scipy.ndimage.label, on the bones and vessels of the
# phantom (HU > 150).
[ -f "$d/mask.nii.gz" ] || $py -c 'import sys, numpy as np, nibabel as nib
im = nib.load(sys.argv[1]); m = (np.asanyarray(im.dataobj) > 150).astype(np.uint8)
nib.save(nib.Nifti1Image(m, im.affine), sys.argv[2])' "$d/ct300.nii.gz" "$d/mask.nii.gz"
sp_cc='import sys, numpy as np, nibabel as nib
from scipy import ndimage as ndi
im = nib.load(sys.argv[1]); lab, n = ndi.label(np.asanyarray(im.dataobj), np.ones((3, 3, 3)))
lab = lab.astype(np.uint8 if n < 256 else np.uint16 if n < 65536 else np.int32)
nib.save(nib.Nifti1Image(lab, im.affine), sys.argv[2])'
peer=$(best $py -c "$sp_cc" "$d/mask.nii.gz" "$d/sp_cc.nii.gz")
m=$(best "$medseg" components -q "$d/mask.nii.gz" "$d/cc.nii.gz")
echo "components 512x512x300 end to end (.nii.gz in and out): nibabel+scipy ${peer}s, medseg ${m}s ($(ratio "$peer" "$m")x)"
