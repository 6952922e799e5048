#!/bin/sh
# Many inputs in one command (convert --list/--out-dir/--shard/--skip-existing/
# --jobs): shards cover every input exactly once whatever N and the list's
# order; a failed input is reported and does not stop the others; a run
# killed with SIGKILL part way resumes without redoing finished inputs and
# leaves no partial files; outputs equal those of one process.
set -u
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

# 1. Shards: 40 names (missing files fail at once, so each shard lists
# exactly the inputs it owns in its failed-I-of-N.tsv).
i=0
while [ $i -lt 40 ]; do echo "$d/none/study-$i.nii.gz"; i=$((i + 1)); done > "$d/names.txt"
sort -r "$d/names.txt" > "$d/names-rev.txt"
for n in 1 2 3 4 5 6 7; do
    for list in names names-rev; do
        rm -rf "$d/sh"
        k=0
        while [ $k -lt $n ]; do
            "$MEDSEG" convert -q --list "$d/$list.txt" --out-dir "$d/sh" --shard $k/$n 2>/dev/null
            k=$((k + 1))
        done
        cat "$d"/sh/failed*.tsv | grep -v '^input' | cut -f1 | sort > "$d/got.txt"
        sort "$d/names.txt" | cmp -s - "$d/got.txt" && ok || bad "N=$n ($list): inputs not covered exactly once"
        [ $list = names ] && cat "$d"/sh/failed*.tsv | sort > "$d/part-$n.txt"
        [ $list = names-rev ] && { cat "$d"/sh/failed*.tsv | sort | cmp -s - "$d/part-$n.txt" && ok ||
            bad "N=$n: the partition depends on the list's order"; }
    done
done
"$MEDSEG" convert --list "$d/names.txt" --shard 7/7 --out-dir "$d/x" 2>/dev/null; [ $? -eq 2 ] && ok || bad "--shard 7/7 must be a usage error"
"$MEDSEG" convert --list "$d/names.txt" 2>/dev/null; [ $? -eq 2 ] && ok || bad "--list without --out-dir must be a usage error"
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_MAX=6 \
    "$MEDSEG" convert -q --list "$d/names.txt" --out-dir "$d/sl" --shard slurm 2>/dev/null
[ -f "$d/sl/failed-1-of-3.tsv" ] && ok || bad "--shard slurm: task 5 of 4..6 is shard 1/3 ($(ls "$d/sl"))"

# 2. Real inputs, one bad among them: the others are converted, exit 3.
mkdir -p "$d/in"
for s in 1 2 3 4 5 6 7 8 9 10; do
    "$MEDSEG" phantom chest -q --size 160,160,96 --spacing 2.2,2.2,3.5 --seed $s -o "$d/in/c$s.nii.gz"
done
printf 'not a volume\n' > "$d/in/bad.nii.gz"
ls "$d"/in/*.nii.gz > "$d/list.txt"
"$MEDSEG" convert -q --list "$d/list.txt" --out-dir "$d/ref" --jobs 2 2>/dev/null
rc=$?
[ $rc -eq 3 ] && ok || bad "a bad input must make the exit status 3 (got $rc)"
[ "$(ls "$d"/ref/c*.nii.gz | wc -l)" -eq 10 ] && ok || bad "the good inputs were not all converted"
grep -q "bad.nii.gz	3	" "$d/ref/failed.tsv" && ok || bad "failed.tsv: $(cat "$d/ref/failed.tsv")"
grep -v bad.nii.gz "$d/list.txt" > "$d/good.txt"

# 3. SIGKILL part way, then the same command again.
setsid "$MEDSEG" convert -q --list "$d/good.txt" --out-dir "$d/run" --gz-level 9 --skip-existing 2>/dev/null &
pid=$!
i=0
until [ "$(ls "$d"/run/c*.nii.gz 2>/dev/null | wc -l)" -ge 3 ] || [ $i -gt 400 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 -"$pid" 2>/dev/null   # the process group: medseg and its child
wait "$pid" 2>/dev/null
done_before=$(ls "$d"/run/c*.nii.gz 2>/dev/null | wc -l)
[ "$done_before" -ge 3 ] && [ "$done_before" -lt 10 ] && ok || bad "the kill came at $done_before of 10 outputs"
ls -i --full-time "$d"/run/c*.nii.gz > "$d/before.txt" 2>/dev/null
"$MEDSEG" convert -q --list "$d/good.txt" --out-dir "$d/run" --gz-level 9 --skip-existing 2>/dev/null && ok || bad "resume failed"
ls -i --full-time "$d"/run/c*.nii.gz | grep -F -x -f "$d/before.txt" | wc -l | grep -qx "$done_before" && ok ||
    bad "finished outputs were redone"
[ -z "$(ls -A "$d/run" | grep '\.tmp')" ] && ok || bad "partial files left: $(ls -A "$d/run")"
"$MEDSEG" convert -q --list "$d/good.txt" --out-dir "$d/ref9" --gz-level 9 2>/dev/null
n=0
for f in "$d"/ref9/c*.nii.gz; do cmp -s "$f" "$d/run/$(basename "$f")" && n=$((n + 1)); done
[ $n -eq 10 ] && ok || bad "$n of 10 resumed outputs equal one uninterrupted run"
# 4. detect-nodules: one folder an input; a killed run's temporary folder
# (what SIGKILL leaves) is removed when the shard runs again.
mkdir -p "$d/small" "$d/det"
for s in 1 2 3; do
    "$MEDSEG" phantom chest -q --size 64,64,40 --spacing 5.2,5.2,7.5 --seed $s -o "$d/small/s$s.nii.gz"
done
mkdir -p "$d/det/.s2.tmp4242-00beef" && echo partial > "$d/det/.s2.tmp4242-00beef/report.json"
"$MEDSEG" detect-nodules -q --no-sr --out-dir "$d/det" --skip-existing --jobs 2 "$d"/small/*.nii.gz 2>/dev/null &&
    ok || bad "detect-nodules --out-dir"
[ -f "$d/det/s1/report.json" ] && [ -f "$d/det/s3/candidates.csv" ] && ok || bad "detect-nodules outputs: $(ls "$d/det")"
[ ! -e "$d/det/.s2.tmp4242-00beef" ] && ok || bad "the stale temporary folder is still there"
"$MEDSEG" detect-nodules -q --no-sr -o "$d/det/x" --out-dir "$d/det" "$d/small/s1.nii.gz" 2>/dev/null
[ $? -eq 2 ] && ok || bad "-o with --out-dir must be a usage error"
# 5. propagate and segment from a prompts CSV: each row as the one-image
# command gives it; a bad row listed; shards by id.
"$MEDSEG" phantom lesion -q -o "$d/les.nii.gz" --mask "$d/lesm.nii.gz"
printf 'id,image,slice,box\nles_a,%s,24,"49,47,79,74"\nles_b,%s,24,"50,48,78,73"\nbad,%s/missing.nii.gz,3,"1,1,5,5"\n' \
    "$d/les.nii.gz" "$d/les.nii.gz" "$d" > "$d/prompts.csv"
"$MEDSEG" propagate -q --prompts-csv "$d/prompts.csv" --out-dir "$d/pa" --jobs 2 2>/dev/null
[ $? -eq 3 ] && ok || bad "propagate --prompts-csv with a bad row must exit 3"
"$MEDSEG" propagate -q "$d/les.nii.gz" -o "$d/one.nii.gz" --slice 24 --box 49,47,79,74
cmp -s "$d/one.nii.gz" "$d/pa/les_a.nii.gz" && ok || bad "a prompts row differs from the one-image command"
grep -q "^bad	3	" "$d/pa/failed.tsv" && ok || bad "prompts failed.tsv: $(cat "$d/pa/failed.tsv")"
for k in 0 1; do "$MEDSEG" segment -q --prompts-csv "$d/prompts.csv" --out-dir "$d/sg" --shard $k/2 2>/dev/null; done
"$MEDSEG" segment -q "$d/les.nii.gz" -o "$d/one_s.nii.gz" --slice 24 --box 50,48,78,73
cmp -s "$d/one_s.nii.gz" "$d/sg/les_b.nii.gz" && [ -f "$d/sg/les_a.nii.gz" ] && ok || bad "segment --prompts-csv over two shards"
"$MEDSEG" segment --prompts-csv "$d/prompts.csv" 2>/dev/null; [ $? -eq 2 ] && ok || bad "--prompts-csv without --out-dir must be a usage error"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
