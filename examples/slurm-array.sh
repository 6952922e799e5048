#!/bin/sh
# A Slurm job array converting one DICOM study per task:
#   sbatch --array=0-99 examples/slurm-array.sh studies.txt out/
# studies.txt lists one DICOM directory per line. Outside Slurm, set
# SLURM_ARRAY_TASK_ID yourself (the examples test runs it that way).
#SBATCH --job-name=medseg-convert
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
set -eu
list=$1
out=$2
medseg=${MEDSEG:-medseg}
task=${SLURM_ARRAY_TASK_ID:?set by sbatch --array}
study=$(sed -n "$((task + 1))p" "$list")
[ -n "$study" ] || { echo "task $task: no line $((task + 1)) in $list" >&2; exit 2; }
mkdir -p "$out"
# Atomic outputs make a re-queued task safe: a file exists only when complete.
"$medseg" convert --threads "${SLURM_CPUS_PER_TASK:-2}" "$study" "$out/$(basename "$study").nii.gz"
