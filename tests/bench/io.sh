#!/bin/sh
# Volume I/O against the peers users already have, side by side in one run,
# on a 512x512x300 int16 chest phantom (and its DICOM series):
#  - DICOM series -> .nii: medseg convert vs dcm2niix (-z n), one thread and all
#  - reading every voxel of the .nii.gz: medseg info vs nibabel
#  - writing .nii.gz: medseg convert .nii -> .nii.gz at its default level and
#    --gz-level 1, vs nibabel's save (gzip level 1), with the file sizes
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
for lv in default 1; do
    if [ $lv = default ]; then opt=""; else opt="--gz-level $lv"; fi
    # shellcheck disable=SC2086
    m=$(best "$medseg" convert -q $opt "$d/ct300.nii" "$d/w.nii.gz")
    echo "write .nii.gz, level $lv: nibabel ${pt}s ${ps} bytes, medseg ${m}s $(stat -c %s "$d/w.nii.gz") bytes" \
         "($(ratio "$pt" "$m")x faster, size $(ratio "$(stat -c %s "$d/w.nii.gz")" "$ps")x)"
done
