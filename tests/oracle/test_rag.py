#!/usr/bin/python3
"""rag-index against independent oracles: numpy brute force (flat top-k
with the test embedder model, whose vectors numpy computes), python3-faiss
reading our index.faiss, sqlite3 reading cases.sqlite; sharded build +
merge and add equal a single build; IVF recall@10 against flat; the
embedder check; bad input leaves the previous index untouched; and, when
../shared/data is present, retrieval of perturbed real slices
(tests/oracle/rag_data.py)."""
import csv
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import Checker, medseg, need, tmpdir  # noqa: E402

np, nib = need("numpy", "nibabel")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "data", "models", "embed_pool16.pt")
ck = Checker()


def write_cases(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "image_path", "report", "labels", "diagnosis", "slice"])
        w.writerows(rows)


def search(idx, images, *extra, check=True):
    r = medseg("rag-index", "search", idx, *images, "--json", *extra, check=check)
    if not check:
        return r
    a = json.loads(r.stdout)
    return a if isinstance(a, list) else [a]


def digest(d):
    h = hashlib.sha256()
    for n in sorted(os.listdir(d)):
        h.update(n.encode() + open(os.path.join(d, n), "rb").read())
    return h.hexdigest()


def make_images(d, n=60, size=64, seed=3):
    """n 64x64 2-D NIfTI images of blobs on a ramp (values 0..1000)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    out = []
    for i in range(n):
        img = np.full((size, size), 100.0) + 3.0 * xx
        for _ in range(3):
            cx, cy, r = rng.uniform(10, 54), rng.uniform(10, 54), rng.uniform(4, 12)
            img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] += rng.uniform(200, 600)
        p = f"{d}/img{i:03d}.nii.gz"
        nib.save(nib.Nifti1Image(img.T.astype(np.float32)[:, :, None], np.eye(4)), p)
        out.append((p, img))
    return out


def pool16(img):
    """The test embedder in numpy: min-max, 4x4 cell means, centred, unit."""
    v = (img - img.min()) / (img.max() - img.min())
    p = v.reshape(4, 16, 4, 16).mean(axis=(1, 3)).ravel()
    p = p - p.mean()
    return p / np.linalg.norm(p)


def labels_of(i):
    return "even" if i % 2 == 0 else "odd;prime=%d" % (1 if i in (3, 5, 7, 11, 13) else 0) + (";maybe=-1" if i % 3 == 0 else "")


def check_vote(a):
    total = sum(c["similarity"] for c in a["cases"])
    votes = {}
    for c in a["cases"]:
        for k, v in c["labels"].items():
            votes.setdefault(k, [0.0, 0])
            votes[k][0] += c["similarity"] * {1: 1.0, -1: 0.5, 0: 0.0}[v]
            votes[k][1] += v == 1
    got = {v["label"]: (v["confidence"], v["supporting_cases"]) for v in a["aggregated_labels"]}
    return set(got) == set(votes) and all(abs(got[k][0] - votes[k][0] / total) < 1e-9 and got[k][1] == votes[k][1] for k in votes)


def test_model_flat(d, imgs):
    """Flat index with the test model: top-k equals numpy brute force."""
    have_torch = medseg("rag-index", "build", "-o", f"{d}/m", "--cases", f"{d}/cases.csv", "--model", MODEL, "-q",
                        check=False)
    if have_torch.returncode == 2 and "without LibTorch" in have_torch.stderr:
        print("SKIP part: this build has no LibTorch (model embedder)")
        return
    ck.check(have_torch.returncode == 0, f"build with model: {have_torch.stderr}")
    ref = np.stack([pool16(img) for _, img in imgs])
    db = sqlite3.connect(f"{d}/m/cases.sqlite")
    stored = np.stack([np.frombuffer(b, dtype="<f4") for (b,) in db.execute("SELECT vector FROM embeddings ORDER BY case_id")])
    ck.check(stored.shape == ref.shape and np.abs(stored - ref).max() < 1e-5,
             f"stored model embeddings equal numpy's (max diff {np.abs(stored - ref).max():.2g})")
    qs = [p for p, _ in imgs[::7]]
    ans = search(f"{d}/m", qs, "--model", MODEL, "--top-k", "7")
    ok = True
    for (p, img), a in zip(imgs[::7], ans):
        sims = ref @ pool16(img)
        order = sorted(range(len(sims)), key=lambda i: (-sims[i], i))[:7]
        got = [int(c["case_id"][4:]) for c in a["cases"]]
        ok &= got == order and all(abs(c["similarity"] - max(0, sims[i])) < 1e-5 for c, i in zip(a["cases"], order))
    ck.check(ok, "flat top-7 ids and similarities equal numpy brute force")
    r = search(f"{d}/m", qs[:1], check=False)
    ck.check(r.returncode == 3 and "pool16" in r.stderr, f"search without the model it was built with: exit 3 ({r.stderr.strip()})")
    r = search(f"{d}/flat", qs[:1], "--model", MODEL, check=False)
    ck.check(r.returncode == 3 and "medseg-classic" in r.stderr, "classic index searched with a model: exit 3")
    r = medseg("rag-index", "merge", "-o", f"{d}/mix", f"{d}/flat", f"{d}/m", check=False)
    ck.check(r.returncode == 3 and not os.path.exists(f"{d}/mix"), "merging indexes of different embedders: exit 3, nothing written")


def test_classic(d, imgs):
    medseg("rag-index", "build", "-o", f"{d}/flat", "--cases", f"{d}/cases.csv", "-q")
    meta = json.loads(medseg("rag-index", "info", f"{d}/flat").stdout)
    ck.check(meta["count"] == len(imgs) and meta["embedder"]["name"] == "medseg-classic" and meta["index"] == "flat"
             and meta["metric"] == "inner_product", f"info: {meta}")
    ans = search(f"{d}/flat", [p for p, _ in imgs[:10]], "--top-k", "5")
    ck.check(all(a["cases"][0]["case_id"] == f"case{i:03d}" and a["cases"][0]["similarity"] > 0.9999
                 for i, a in enumerate(ans)), "an indexed image finds itself first, similarity 1")
    ck.check(all(len(a["cases"]) == 5 and a["index_size"] == len(imgs) and a["search_ms"] > 0 for a in ans), "top-k, index_size, search_ms")
    ck.check(all(check_vote(a) for a in ans), "aggregated_labels = similarity-weighted vote of the returned cases")
    c0 = ans[3]["cases"][0]
    ck.check(c0["report"] == "report of case 3\nsecond line, with a comma" and c0["diagnosis"] == "diag3" and
             c0["labels"] == {"odd": 1, "prime": 1, "maybe": -1}, f"case fields round-trip: {c0}")
    a = search(f"{d}/flat", [imgs[0][0]], "--min-similarity", "0.99")[0]
    ck.check(all(c["similarity"] >= 0.99 for c in a["cases"]), "--min-similarity drops less similar cases")
    a = search(f"{d}/flat", [imgs[0][0]], "--region", "0,0,32,32")[0]
    ck.check(len(a["cases"]) == 5 and a["region"] == [0, 0, 32, 32], "--region searches a pixel box")
    r = search(f"{d}/flat", [imgs[0][0]], "--region", "0,0,65,32", check=False)
    ck.check(r.returncode == 3 and "region" in r.stderr, "region outside the image: exit 3")
    try:
        import faiss
    except ImportError:
        print("SKIP part: python3-faiss is missing (index.faiss read back by faiss)")
        return
    ix = faiss.read_index(f"{d}/flat/index.faiss")
    db = sqlite3.connect(f"{d}/flat/cases.sqlite")
    stored = np.stack([np.frombuffer(b, dtype="<f4") for (b,) in db.execute("SELECT vector FROM embeddings ORDER BY case_id")])
    rec = np.stack([ix.reconstruct(i) for i in range(ix.ntotal)])
    ck.check(ix.ntotal == len(imgs) and ix.d == stored.shape[1] and np.array_equal(rec, stored),
             "faiss reads index.faiss: same vectors as cases.sqlite")
    ck.check(np.allclose(np.linalg.norm(stored, axis=1), 1, atol=1e-5), "embeddings are unit length")
    D, I = ix.search(stored[:5], 3)
    ck.check(list(I[:, 0]) == list(range(5)), "faiss finds each stored vector first")
    n_lab = db.execute("SELECT count(*) FROM labels WHERE value = -1").fetchone()[0]
    ck.check(n_lab == sum(1 for i in range(len(imgs)) if i % 2 and i % 3 == 0), "labels table holds -1 for uncertain")


def test_shards_add(d, imgs):
    qs = [p for p, _ in imgs[::5]]
    ref = search(f"{d}/flat", qs, "--top-k", "8")
    for i in range(3):
        medseg("rag-index", "build", "-o", f"{d}/s{i}", "--cases", f"{d}/cases.csv", "--shard", f"{i}/3", "-q")
    medseg("rag-index", "merge", "-o", f"{d}/merged", f"{d}/s2", f"{d}/s0", f"{d}/s1", "-q")
    got = search(f"{d}/merged", qs, "--top-k", "8")
    strip = lambda a: [(c["case_id"], round(c["similarity"], 6)) for c in a["cases"]]
    ck.check([strip(a) for a in got] == [strip(a) for a in ref], "3 shards merged (in any order) = one build")
    rows = list(csv.reader(open(f"{d}/cases.csv")))
    write_cases(f"{d}/first.csv", rows[1:31])
    write_cases(f"{d}/rest.csv", rows[31:])
    medseg("rag-index", "build", "-o", f"{d}/grown", "--cases", f"{d}/first.csv", "-q")
    medseg("rag-index", "add", f"{d}/grown", "--cases", f"{d}/rest.csv", "-q")
    got = search(f"{d}/grown", qs, "--top-k", "8")
    ck.check([strip(a) for a in got] == [strip(a) for a in ref], "build + add = one build")
    r = medseg("rag-index", "add", f"{d}/grown", "--cases", f"{d}/rest.csv", check=False)
    ck.check(r.returncode == 3 and "already in" in r.stderr, "adding a case_id twice: exit 3")
    medseg("rag-index", "build", "-o", f"{d}/j1", "--cases", f"{d}/cases.csv", "--jobs", "1", "-q")
    medseg("rag-index", "build", "-o", f"{d}/j2", "--cases", f"{d}/cases.csv", "--jobs", "2", "-q")
    e = [sqlite3.connect(f"{d}/{j}/cases.sqlite").execute("SELECT vector FROM embeddings ORDER BY case_id").fetchall()
         for j in ("j1", "j2")]
    ck.check(e[0] == e[1], "--jobs 1 and --jobs 2 give the same embeddings")


def test_bad_input(d, imgs):
    before = digest(f"{d}/flat")
    rows = list(csv.reader(open(f"{d}/cases.csv")))
    bad = rows[:5] + [["ghost", "missing.nii.gz", "r", "x", "d", ""]] + rows[5:8]
    write_cases(f"{d}/bad.csv", [r for r in bad[1:]])
    r = medseg("rag-index", "build", "-o", f"{d}/flat", "--cases", f"{d}/bad.csv", check=False)
    ck.check(r.returncode == 3 and "ghost" in r.stderr and "line" in r.stderr, f"missing image: exit 3 naming the row ({r.stderr.strip()})")
    ck.check(digest(f"{d}/flat") == before, "a failed rebuild leaves the index as it was")
    open(f"{d}/junk.csv", "wb").write(b"\x00\x01garbage")
    r = medseg("rag-index", "build", "-o", f"{d}/x", "--cases", f"{d}/junk.csv", check=False)
    ck.check(r.returncode == 3 and not os.path.exists(f"{d}/x"), "unreadable CSV: exit 3, nothing written")
    write_cases(f"{d}/dup.csv", rows[1:4] + rows[2:3])
    r = medseg("rag-index", "build", "-o", f"{d}/x", "--cases", f"{d}/dup.csv", check=False)
    ck.check(r.returncode == 3 and "case_id" in r.stderr, "duplicate case_id: exit 3")
    write_cases(f"{d}/lab.csv", [rows[1][:3] + ["a=2"] + rows[1][4:]])
    r = medseg("rag-index", "build", "-o", f"{d}/x", "--cases", f"{d}/lab.csv", check=False)
    ck.check(r.returncode == 3 and "labels" in r.stderr, "label value 2: exit 3")
    r = medseg("rag-index", "build", "-o", f"{d}/x", "--cases", f"{d}/cases.csv", "--index", "ivf:500", check=False)
    ck.check(r.returncode == 3 and "ivf:500" in r.stderr, "IVF with more lists than cases: exit 3")
    r = medseg("rag-index", "build", "-o", f"{d}/x", "--cases", f"{d}/cases.csv", "--index", "pq:8", check=False)
    ck.check(r.returncode == 2, "unknown index kind: exit 2")
    os.makedirs(f"{d}/notindex")
    open(f"{d}/notindex/keep.txt", "w").write("mine")
    r = medseg("rag-index", "build", "-o", f"{d}/notindex", "--cases", f"{d}/cases.csv", check=False)
    ck.check(r.returncode == 2 and os.path.exists(f"{d}/notindex/keep.txt"), "a folder that is not an index is not replaced")
    subprocess.run(["cp", "-r", f"{d}/flat", f"{d}/corrupt"], check=True)
    data = open(f"{d}/corrupt/index.faiss", "rb").read()
    open(f"{d}/corrupt/index.faiss", "wb").write(data[: len(data) // 2])
    r = search(f"{d}/corrupt", [imgs[0][0]], check=False)
    ck.check(r.returncode == 3 and r.stderr.count("\n") == 1, f"truncated index.faiss: exit 3, one line ({r.stderr.strip()})")
    subprocess.run(["cp", f"{d}/flat/index.faiss", f"{d}/corrupt/index.faiss"], check=True)
    m = json.load(open(f"{d}/corrupt/meta.json"))
    m["count"] += 1
    json.dump(m, open(f"{d}/corrupt/meta.json", "w"))
    r = medseg("rag-index", "info", f"{d}/corrupt", check=False)
    ck.check(r.returncode == 3 and "corrupt" in r.stderr, "meta.json disagreeing with the index: exit 3")
    r = medseg("rag-index", "add", f"{d}/corrupt", "--cases", f"{d}/cases.csv", check=False)
    ck.check(r.returncode == 3, "adding to a corrupt index: exit 3")


def test_interrupt(d, imgs):
    """SIGTERM and SIGKILL in the middle of a rebuild: the old index stays."""
    before = digest(f"{d}/flat")
    rows = list(csv.reader(open(f"{d}/cases.csv")))[1:]
    big = [[f"b{k}_{r[0]}"] + r[1:] for k in range(400) for r in rows]
    write_cases(f"{d}/big.csv", big)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        p = subprocess.Popen([os.environ["MEDSEG"], "rag-index", "build", "-o", f"{d}/flat", "--cases", f"{d}/big.csv",
                              "-q", "--jobs", "1"])
        time.sleep(0.7)
        p.send_signal(sig)
        p.wait()
        ck.check(p.returncode == -sig and digest(f"{d}/flat") == before, f"signal {sig} mid-build: index untouched")
        a = search(f"{d}/flat", [imgs[0][0]])[0]
        ck.check(a["cases"][0]["case_id"] == "case000", f"signal {sig}: the old index still answers")
    left = [n for n in os.listdir(d) if n.startswith(".flat") or n.startswith("flat.")]
    ck.check(len(left) <= 1, f"at most one temporary left after SIGKILL: {left}")


def test_ivf_recall(d, rows, queries, flat_answers):
    """ivf recall@10 against flat with the default probes."""
    n = len(rows)
    nlist = max(4, int(round(n ** 0.5 / 2)))
    medseg("rag-index", "build", "-o", f"{d}/ivf", "--cases", f"{d}/cases.csv", "--index", f"ivf:{nlist}", "-q")
    ivf = search(f"{d}/ivf", [q for q, _ in queries], "--top-k", "10")
    rec = [len({c["case_id"] for c in a["cases"]} & {c["case_id"] for c in b["cases"]}) / 10 for a, b in zip(ivf, flat_answers)]
    r = float(np.mean(rec))
    print(f"ivf:{nlist} over {n} cases: recall@10 vs flat {r:.4f} (default probes {json.loads(medseg('rag-index', 'info', f'{d}/ivf').stdout)['default_probes']})")
    ck.check(r >= 0.95, f"IVF recall@10 {r:.4f} >= 0.95")


def test_retrieval(d):
    shared_dir = os.environ.get("SHARED_DATA", "../shared/data")
    if not os.path.isdir(shared_dir):
        print(f"SKIP part: {shared_dir} is absent (retrieval on real slices)")
        return
    need("scipy", "PIL", "pydicom")
    import rag_data
    rows, queries = rag_data.build(d, os.environ["MEDSEG"], shared_dir)
    ck.check(len(rows) >= 1000, f"retrieval set holds {len(rows)} images (>= 1000)")
    t = time.time()
    medseg("rag-index", "build", "-o", f"{d}/flat", "--cases", f"{d}/cases.csv", "-q")
    print(f"built {len(rows)} images in {time.time() - t:.1f} s")
    step = int(os.environ.get("RAG_QUERY_STEP", "1"))
    qs = queries[::step]
    t = time.time()
    ans = search(f"{d}/flat", [q for q, _ in qs], "--top-k", "10")
    print(f"{len(qs)} queries in {time.time() - t:.1f} s")
    top1, top5, misses = rag_data.score(rows, qs, ans)
    print(f"retrieval: top-1 original or adjacent {top1:.4f}, original in top 5 {top5:.4f}; misses by series:",
          json.dumps({s: sum(1 for m in misses if m[0].split(':')[0] == s) for s in {m[0].split(':')[0] for m in misses}}))
    ck.check(top1 >= 0.99, f"top-1 {top1:.4f} >= 0.99")
    ck.check(top5 >= 0.975, f"top-5 {top5:.4f} >= 0.975")
    test_ivf_recall(d, rows, qs, ans)


def main():
    r = medseg("rag-index", "info", "/nonexistent", check=False)
    if "without FAISS" in r.stderr:
        print("SKIP: this medseg was built without FAISS (libfaiss-dev)")
        sys.exit(77)
    d = tmpdir()
    imgs = make_images(d)
    write_cases(f"{d}/cases.csv", [[f"case{i:03d}", os.path.basename(p),
                                    f"report of case {i}\nsecond line, with a comma", labels_of(i), f"diag{i}", ""]
                                   for i, (p, _) in enumerate(imgs)])
    test_classic(d, imgs)
    test_model_flat(d, imgs)
    test_shards_add(d, imgs)
    test_bad_input(d, imgs)
    test_interrupt(d, imgs)
    test_retrieval(tmpdir())
    ck.done()


if __name__ == "__main__":
    main()
