#!/bin/sh
# Submits the experiment: the job array over the list (one task per shard)
# and the merge that waits for all of it (afterok).
#   sh examples/slurm/submit.sh studies.txt out/ [TASKS]
# The same experiment without a cluster: examples/slurm/local.mk (make -j).
set -eu
list=$1
out=$2
tasks=${3:-8}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
array=$(sbatch --parsable --array=0-$((tasks - 1)) -o "$out/slurm-%A_%a.log" "$here/convert-array.sh" "$list" "$out")
merge=$(sbatch --parsable --dependency=afterok:"$array" -o "$out/slurm-merge-%j.log" "$here/merge.sh" "$list" "$out")
echo "array $array, merge $merge"
