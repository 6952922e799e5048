#!/bin/sh
# Reading benchmarks, side by side with peers in the same run:
#  - a 512x512x300 int16 .nii.gz: medseg info vs nibabel (load + get data)
#  - a 300-slice DICOM series: medseg convert vs dcm2niix (both to .nii)
# Prints medians of 3 runs and the ratios; never asserts on time.
set -eu
medseg=${1:-build/cli/medseg}
py=/usr/bin/python3
d=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$d"
echo "bench: data in $d"
[ -f "$d/ct.nii.gz" ] || "$medseg" phantom chest -q --size 512,512,300 --spacing 0.7,0.7,1 -o "$d/ct.nii.gz" --dicom "$d/dicom"
med3() { sort -n | sed -n 2p; }
t() { s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
nib_read='import sys, nibabel as n; n.load(sys.argv[1]).get_fdata(dtype="float32")'
nib_raw='import sys, numpy as np, nibabel as n; np.asanyarray(n.load(sys.argv[1]).dataobj)'
m=$(for i in 1 2 3; do t "$medseg" info "$d/ct.nii.gz"; done | med3)
r=$(for i in 1 2 3; do t $py -c "$nib_raw" "$d/ct.nii.gz"; done | med3)
echo "nii.gz 512x512x300 int16: medseg info ${m}s, nibabel dataobj ${r}s, ratio nibabel/medseg $(echo "scale=2; $r / $m" | bc)"
rm -rf "$d/o1" "$d/o2"; mkdir -p "$d/o2"
m=$(for i in 1 2 3; do rm -f "$d/o1.nii"; t "$medseg" convert "$d/dicom" "$d/o1.nii"; done | med3)
r=$(for i in 1 2 3; do rm -f "$d/o2/"*; t dcm2niix -z n -b n -o "$d/o2" "$d/dicom"; done | med3)
echo "DICOM 300 slices -> .nii: medseg convert ${m}s, dcm2niix ${r}s, ratio dcm2niix/medseg $(echo "scale=2; $r / $m" | bc)"
m=$(for i in 1 2 3; do t "$medseg" convert --threads 1 "$d/dicom" "$d/o1.nii"; done | med3)
echo "DICOM 300 slices, medseg --threads 1: ${m}s (dcm2niix is single-threaded)"
