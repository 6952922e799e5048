#!/bin/sh
# One task of a Slurm job array: its shard of a list of studies converted
# to NIfTI. Submit with submit.sh, or by hand:
#   sbatch --array=0-7 examples/slurm/convert-array.sh studies.txt out/
# studies.txt lists one DICOM folder or NIfTI file per line. The shard is
# the array task (--shard slurm: inputs are split by name, not by line, so
# the list's order does not matter); --skip-existing lets a re-queued or
# preempted task resume where it stopped. Outputs are atomic: a file exists
# only when complete. A failed input is listed in failed-I-of-N.tsv and
# fails the task (so afterok holds the merge back).
#SBATCH --job-name=medseg-convert
#SBATCH --cpus-per-task=1
#SBATCH --mem=4G
#SBATCH --array=0-7
set -eu
list=$1
out=$2
medseg=${MEDSEG:-medseg}
exec "$medseg" convert --list "$list" --out-dir "$out" --shard slurm --skip-existing \
    --threads "${SLURM_CPUS_PER_TASK:-1}"
