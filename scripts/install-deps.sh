#!/bin/sh
# Installs what medseg needs from Debian's packages, only what is missing.
# Build: compilers, CMake, zlib, libdeflate, OpenJPEG, libpng, niftilib, DCMTK, cJSON, SQLite, FAISS (static, with BLAS and
# LAPACK), LibTorch (the model plugin).
# Sanitizers and fuzzing: clang-14 with its runtimes (make check-ubsan, make fuzz).
# Tests: the oracles (nibabel, pydicom, numpy, scipy, scikit-image, Open3D, scikit-learn) and dcm2niix; Slurm and
# munge for the one-node cluster of the Slurm test; dpkg-dev for make package.
set -eu
pkgs="build-essential cmake pkg-config zlib1g-dev libdeflate-dev libopenjp2-7-dev libpng-dev libnifti2-dev libdcmtk-dev dcmtk libcjson-dev
libsqlite3-dev libfaiss-dev libblas-dev liblapack-dev
clang-14 libclang-rt-14-dev libomp-14-dev
libtorch-dev
python3 python3-numpy python3-nibabel python3-pydicom python3-pil python3-scipy python3-skimage python3-open3d python3-sklearn python3-faiss dcm2niix bc pigz
slurm-wlm munge dpkg-dev"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
