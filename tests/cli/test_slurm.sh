#!/bin/sh
# A real one-node Slurm cluster on this machine (munged, slurmctld and
# slurmd with a generated slurm.conf, loopback only, in a temporary
# directory): the example job array (examples/slurm/) over 8 phantom cases
# and its afterok merge, run with the installed medseg; the merged outputs
# must be byte-identical to one process converting the same list. Stops
# only the daemons it started. Skips (77) only when they cannot start.
set -u
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; exit 77; }
for c in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v $c >/dev/null || skip "$c is absent (scripts/install-deps.sh installs slurm-wlm and munge)"
done
build=$(cd "$(dirname "$MEDSEG")/.." && pwd)
t=$(mktemp -d /tmp/medseg-slurm.XXXXXX)
chmod 755 "$t"
mkdir -p "$t/state" "$t/spool" "$t/in"
export SLURM_CONF="$t/slurm.conf"
stop() {
    scontrol shutdown >/dev/null 2>&1
    for p in slurmctld slurmd; do
        [ -f "$t/$p.pid" ] && kill "$(cat "$t/$p.pid")" 2>/dev/null
    done
    [ -S "$t/munge.sock" ] && munged --stop -S "$t/munge.sock" >/dev/null 2>&1
    sleep 1
    rm -rf "$t"
}
trap stop EXIT

# munge with its own key and socket
dd if=/dev/urandom of="$t/munge.key" bs=1024 count=1 2>/dev/null && chmod 600 "$t/munge.key"
munged --force --key-file="$t/munge.key" --socket="$t/munge.sock" --pid-file="$t/munged.pid" \
    --log-file="$t/munged.log" --seed-file="$t/munge.seed" 2>"$t/munged.err" || skip "munged does not start: $(cat "$t/munged.err")"

host=$(hostname -s)
port=$((20000 + $$ % 20000))
cat > "$t/slurm.conf" <<CONF
ClusterName=medsegtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$t/munge.sock
CredType=cred/munge
SlurmUser=$(id -un)
SlurmdUser=root
StateSaveLocation=$t/state
SlurmdSpoolDir=$t/spool
SlurmctldPidFile=$t/slurmctld.pid
SlurmdPidFile=$t/slurmd.pid
SlurmctldLogFile=$t/slurmctld.log
SlurmdLogFile=$t/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) State=UNKNOWN
PartitionName=medseg Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -f "$t/slurm.conf" -i 2>"$t/ctld.err" || skip "slurmctld does not start: $(cat "$t/ctld.err")"
slurmd -f "$t/slurm.conf" -N "$host" 2>"$t/slurmd.err" || skip "slurmd does not start (no permission?): $(cat "$t/slurmd.err")"
i=0
until sinfo -h -o %t 2>/dev/null | grep -q idle; do
    i=$((i + 1))
    [ $i -gt 60 ] && skip "the node never became idle: $(tail -3 "$t/slurmd.log" 2>/dev/null)"
    sleep 0.5
done
ok

# the installed medseg, 8 phantom cases, and the single-process reference
cmake --install "$build" --prefix "$t/prefix" >/dev/null && ok || bad "install"
export MEDSEG="$t/prefix/bin/medseg"
for s in 1 2 3 4 5 6 7 8; do
    "$MEDSEG" phantom chest -q --size 64,64,32 --spacing 5.2,5.2,9.5 --seed $s -o "$t/in/case$s.nii.gz" || bad "phantom $s"
done
ls "$t"/in/*.nii.gz | sort -r > "$t/list.txt"   # order must not matter
"$MEDSEG" convert -q --list "$t/list.txt" --out-dir "$t/single" && ok || bad "single-process run"

ids=$(sh "$SRC/examples/slurm/submit.sh" "$t/list.txt" "$t/out" 4) && ok || bad "submit: $ids"
merge=$(echo "$ids" | sed -n 's/.*merge \([0-9]*\).*/\1/p')
i=0
while squeue -h 2>/dev/null | grep -q .; do
    i=$((i + 1))
    [ $i -gt 600 ] && { bad "jobs still queued after 300 s: $(squeue)"; break; }
    sleep 0.5
done
state=$(scontrol show job "$merge" 2>/dev/null | grep -o 'JobState=[A-Z_]*')
[ "$state" = "JobState=COMPLETED" ] && ok || bad "merge job: $state $(cat "$t"/out/slurm-merge-*.log 2>/dev/null)"
n=0
for f in "$t"/single/*.nii.gz; do
    cmp -s "$f" "$t/out/$(basename "$f")" && n=$((n + 1)) || bad "$(basename "$f") differs from the single run"
done
[ $n -eq 8 ] && ok || bad "$n of 8 outputs identical"
[ "$(wc -l < "$t/out/manifest.tsv")" -eq 8 ] && ok || bad "manifest: $(cat "$t/out/manifest.tsv")"
[ "$(cat "$t/out/failed.tsv")" = "$(printf 'input\texit\tmessage')" ] && ok || bad "failures: $(cat "$t/out/failed.tsv")"
[ "$(ls "$t"/out/failed-*-of-4.tsv | wc -l)" -eq 4 ] && ok || bad "not every shard reported"
# The same experiment with make -j on this machine gives the same files.
make -s -f "$SRC/examples/slurm/local.mk" -j2 LIST="$t/list.txt" OUT="$t/local" TASKS=4 MEDSEG="$MEDSEG" >/dev/null &&
    ok || bad "examples/slurm/local.mk"
for f in "$t"/out/*.nii.gz "$t/out/manifest.tsv" "$t/out/failed.tsv"; do
    cmp -s "$f" "$t/local/$(basename "$f")" || bad "$(basename "$f"): make -j and the job array differ"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
