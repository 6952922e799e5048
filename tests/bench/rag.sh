#!/bin/sh
# rag-index benchmark (prints figures; never asserts on time):
#  - build throughput of the default embedder (images/s) on phantom slices
#    and, when ../shared/data is present, on the 1,000-image retrieval set;
#  - search latency per query (k = 10, one query at a time) at 10^4, 10^5
#    and 10^6 synthetic 768-d vectors for flat and IVF, medseg's shim beside
#    python3-faiss searching the same index files in the same run.
# RAG_SIZES overrides the sizes (default "10000 100000 1000000").
set -eu
build=${1:-build}
medseg=$build/cli/medseg
src=$(cd "$(dirname "$0")/../.." && pwd)
d=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$d/rag"
if "$medseg" rag-index info /nonexistent 2>&1 | grep -q "without FAISS"; then
    echo "rag bench: skipped, this medseg was built without FAISS"; exit 0
fi
[ -f "$d/rag/ph.nii.gz" ] || "$medseg" phantom chest -q -o "$d/rag/ph.nii.gz" --size 512,512,200 --spacing 0.7,0.7,1.5
{ echo "case_id,image_path,report,labels,diagnosis,slice"; k=0; while [ $k -lt 200 ]; do echo "s$k,ph.nii.gz,r,a,d,$k"; k=$((k + 1)); done; } > "$d/rag/cases.csv"
for j in 1 2; do
    s=$(date +%s.%N); "$medseg" rag-index build -q -o "$d/rag/idx" --cases "$d/rag/cases.csv" --jobs $j; e=$(date +%s.%N)
    echo "$s $e $j" | awk '{ printf "rag-index build: 200 slices 512x512 of one NIfTI volume, --jobs %d: %.1f images/s\n", $3, 200 / ($2 - $1) }'
done
s=$(date +%s.%N); "$medseg" rag-index search "$d/rag/idx" "$d/rag/ph.nii.gz" --slice 100 -q > /dev/null; e=$(date +%s.%N)
echo "$s $e" | awk '{ printf "rag-index search: one 512x512 query, 45 + finer views, whole command %.0f ms\n", ($2 - $1) * 1000 }'
if [ -d "$src/../shared/data" ]; then
    /usr/bin/python3 - "$src" "$medseg" "$d/rag/real" <<'PY'
import subprocess, sys, time
sys.path.insert(0, sys.argv[1] + "/tests/oracle")
import rag_data
rows, queries = rag_data.build(sys.argv[3], sys.argv[2], sys.argv[1] + "/../shared/data")
t = time.time()
subprocess.run([sys.argv[2], "rag-index", "build", "-q", "-o", sys.argv[3] + "/idx", "--cases", sys.argv[3] + "/cases.csv"], check=True)
print(f"rag-index build: {len(rows)} real/phantom/X-ray images: {len(rows) / (time.time() - t):.1f} images/s")
PY
fi
/usr/bin/python3 -c "import faiss" 2>/dev/null || { echo "rag bench: python3-faiss missing, no side-by-side search"; exit 0; }
for n in ${RAG_SIZES:-10000 100000 1000000}; do
    nlist=$(echo "n = sqrt($n) / 4; if (n < 16) n = 16; scale = 0; n / 1" | bc)
    "$build/tests/bench_rag" "$n" 768 100 "$nlist" "$d/rag" > "$d/rag/ours.txt"
    while read -r kind size probes ms built path; do
        py=$(/usr/bin/python3 - "$path" "$d/rag/queries_768.f32" "$probes" <<'PY'
import sys, time
import faiss, numpy as np
ix = faiss.read_index(sys.argv[1])
q = np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, 768)
if int(sys.argv[3]) > 0:
    faiss.extract_index_ivf(ix).nprobe = int(sys.argv[3])
t = time.perf_counter()
for i in range(len(q)):
    ix.search(q[i:i + 1], 10)
print(f"{(time.perf_counter() - t) / len(q) * 1000:.3f}")
PY
)
        echo "$kind $size $ms $py $built $probes" | awk '{ printf "search %-4s %8d x 768: medseg %.3f ms/query, python3-faiss %.3f ms/query, ratio faiss/medseg %.2f (built in %.1f s%s)\n",
            $1, $2, $3, $4, $4 / $3, $5, ($1 == "ivf" ? sprintf(", %d probes", $6) : "") }'
        rm -f "$path"
    done < "$d/rag/ours.txt"
done
