"""validate detect: hand-built LUNA16 cases with answers worked out by hand
(every rule: the strict radius test, excluded findings, double hits, the
100-mark cap, scans without findings), then random cases against an
independent implementation of the LUNA16 evaluation written here with
sklearn's roc_curve and numpy.interp, as the challenge's script does."""
import json
import os
import xml.etree.ElementTree as ET

from common import Checker, medseg, need, tmpdir

np, sklearn = need("numpy", "sklearn")
from sklearn.metrics import roc_curve  # noqa: E402

T = tmpdir()
C = Checker()
FPS = [0.125, 0.25, 0.5, 1, 2, 4, 8]


def write(name, header, rows):
    p = os.path.join(T, name)
    with open(p, "w") as f:
        f.write(header + "\n")
        for r in rows:
            f.write(",".join(map(str, r)) + "\n")
    return p


def run(cands, annots, excl=None, scans=None, *extra):
    c = write("cand.csv", "seriesuid,coordX,coordY,coordZ,probability", cands)
    a = write("annot.csv", "seriesuid,coordX,coordY,coordZ,diameter_mm", annots)
    args = ["validate", "detect", "--pred", c, "--ref", a, "--json", "--bootstrap", "0", *extra]
    if excl is not None:
        args += ["--exclude", write("excl.csv", "seriesuid,coordX,coordY,coordZ,diameter_mm", excl)]
    if scans is not None:
        p = os.path.join(T, "scans.txt")
        open(p, "w").write("\n".join(scans) + "\n")
        args += ["--scans", p]
    return json.loads(medseg(*args).stdout)


def sens(r):
    return [r["sensitivity_at"][f"{x:g}"] for x in FPS]


def hand_cases():
    annots = [("A", 0, 0, 0, 10), ("B", 50, 50, 50, 8)]
    cands = [("A", 4.9, 0, 0, 0.9), ("A", 30, 0, 0, 0.8), ("B", 0, 0, 0, 0.6), ("B", 50, 50, 53.9, 0.4),
             ("A", 0, 30, 0, 0.2)]
    r = run(cands, annots)
    # Curve (0,0) (0,.5) (.5,.5) (1,.5) (1,1) (1.5,1): sens .5 .5 .5 1 1 1 1.
    C.check(np.allclose(sens(r), [0.5, 0.5, 0.5, 1, 1, 1, 1]), f"hand FROC: {sens(r)}")
    C.check(abs(r["cpm"] - 5.5 / 7) < 1e-12, f"hand CPM {r['cpm']} = 5.5/7")
    C.check(r["false_positives"] == 3 and r["detected"] == 2, "hand: 3 FPs, 2 nodules hit")
    # Two listed scans without findings double the FP denominator.
    r = run(cands, annots, None, ["A", "B", "C", "D"])
    C.check(np.allclose(sens(r), [0.5, 0.5, 1, 1, 1, 1, 1]) and abs(r["cpm"] - 6 / 7) < 1e-12,
            f"empty listed scans count: {sens(r)}")
    # Strict radius: exactly diameter/2 away is a miss (and a false positive).
    r = run([("A", 5, 0, 0, 0.9)], [("A", 0, 0, 0, 10)])
    C.check(r["detected"] == 0 and r["false_positives"] == 1, "distance == radius is not a hit")
    r = run([("A", 4.999999, 0, 0, 0.9)], [("A", 0, 0, 0, 10)])
    C.check(r["detected"] == 1 and r["false_positives"] == 0, "just inside the radius is a hit")
    # Double hits: the nodule keeps the best probability, neither mark is an FP.
    r = run([("A", 1, 0, 0, 0.3), ("A", -1, 0, 0, 0.7), ("A", 40, 0, 0, 0.5)], [("A", 0, 0, 0, 10)])
    C.check(r["double_hits"] == 1 and r["false_positives"] == 1, "double hit counted once")
    C.check(r["curve"]["sensitivity"][1] == 1.0 and r["curve"]["fp_per_scan"][1] == 0,
            "the nodule enters the curve at its best probability (0.7, above the 0.5 FP)")
    # Excluded findings: marks on them are ignored; negative diameter = 10 mm.
    r = run([("A", 20, 0, 0, 0.9), ("A", 34, 0, 0, 0.8), ("A", 60, 0, 0, 0.7)], [("A", 0, 0, 0, 6)],
            [("A", 21, 0, 0, 4), ("A", 30, 0, 0, -1)])
    C.check(r["ignored_on_excluded"] == 2 and r["false_positives"] == 1, f"excluded findings: {r['ignored_on_excluded']}")
    # A mark on both an included nodule and an excluded finding is a hit.
    r = run([("A", 1, 0, 0, 0.9)], [("A", 0, 0, 0, 6)], [("A", 2, 0, 0, 6)])
    C.check(r["detected"] == 1 and r["ignored_on_excluded"] == 0, "included nodules take precedence")
    # The cap: 150 marks, the nodule only hit by the 120th most probable.
    cands = [("A", 100 + i, 100, 100, 1 - i / 1000) for i in range(150)]
    cands[119] = ("A", 0, 0, 0, 1 - 119 / 1000)
    r = run(cands, [("A", 0, 0, 0, 10)])
    C.check(r["detected"] == 0 and r["false_positives"] == 100 and r["dropped_over_max_marks"] == 50,
            f"100-mark cap: {r['detected']} hit, {r['false_positives']} FP")
    r = run(cands, [("A", 0, 0, 0, 10)], None, None, "--max-marks", "0")
    C.check(r["detected"] == 1 and r["false_positives"] == 149, "--max-marks 0 keeps every mark")
    # Ties at the cut are dropped together (LUNA16 keeps marks above the 101st).
    tied = [("A", 100 + i, 0, 0, 0.5) for i in range(101)]
    r = run(tied, [("A", 0, 0, 0, 10)])
    C.check(r["false_positives"] == 0 and r["dropped_over_max_marks"] == 101, "ties at the cap are all dropped")
    # Strata: one nodule per stratum.
    annots = [("A", 0, 0, 0, 4), ("A", 100, 0, 0, 8), ("A", 200, 0, 0, 30), ("A", 300, 0, 0, 31)]
    r = run([("A", 0, 0, 0, 0.9), ("A", 300, 0, 0, 0.8)], annots)
    st = {s["diameter_mm"]: s for s in r["strata"]}
    C.check(st["3-6"]["detected"] == 1 and st["6-10"]["detected"] == 0 and st["10-30"]["nodules"] == 1
            and st[">30"]["detected"] == 1 and "<3" not in st, f"strata: {st.keys()}")


def luna16_reference(cands, annots, excl, scans, max_marks=100):
    """The challenge's rules, from its description, in plain numpy."""
    nod_probs, fps = [], []
    for s in scans:
        cs = [c for c in cands if c[0] == s]
        if max_marks > 0 and len(cs) > max_marks:
            cut = sorted((c[4] for c in cs), reverse=True)[max_marks]
            cs = [c for c in cs if c[4] > cut]
        used = [False] * len(cs)
        for a in (a for a in annots if a[0] == s):
            r2 = (a[4] / 2) ** 2
            best = None
            for i, c in enumerate(cs):
                if sum((a[k] - c[k]) ** 2 for k in (1, 2, 3)) < r2:
                    used[i] = True
                    best = c[4] if best is None else max(best, c[4])
            nod_probs.append(best)
        for e in (e for e in excl if e[0] == s):
            d = 10.0 if e[4] < 0 else e[4]
            for i, c in enumerate(cs):
                if not used[i] and sum((e[k] - c[k]) ** 2 for k in (1, 2, 3)) < (d / 2) ** 2:
                    used[i] = None
        fps += [c[4] for i, c in enumerate(cs) if used[i] is False]
    found = [p for p in nod_probs if p is not None]
    y = [1] * len(found) + [0] * len(fps)
    fpr, tpr, _ = roc_curve(y, found + fps)
    fp_per_scan = fpr * len(fps) / len(scans) if fps else np.zeros(len(fpr))
    sens_curve = tpr * len(found) / len(nod_probs)
    s = np.interp(FPS, fp_per_scan, sens_curve)
    return s, s.mean()


def random_cases():
    rng = np.random.default_rng(11)
    worst = 0
    for trial in range(12):
        nscans = int(rng.integers(3, 12))
        scans = [f"1.2.{trial}.{i}" for i in range(nscans)]
        annots, cands, excl = [], [], []
        for s in scans:
            for _ in range(int(rng.integers(0, 4))):
                annots.append((s, *np.round(rng.uniform(-100, 100, 3), 2), float(np.round(rng.uniform(3, 35), 2))))
            for _ in range(int(rng.integers(0, 2))):
                excl.append((s, *np.round(rng.uniform(-100, 100, 3), 2), float(rng.choice([-1, 5, 12]))))
            for _ in range(int(rng.integers(0, 140))):
                if annots and rng.random() < 0.15:
                    a = annots[int(rng.integers(len(annots)))]
                    xyz = np.array(a[1:4]) + rng.normal(0, a[4] / 3, 3)
                    s2 = a[0]
                else:
                    xyz, s2 = rng.uniform(-100, 100, 3), s
                p = float(np.round(rng.random(), 2 if trial % 2 else 6))   # ties on even trials
                cands.append((s2, *np.round(xyz, 3), p))
        if not annots:
            annots.append((scans[0], 0.0, 0.0, 0.0, 10.0))
        want_s, want_cpm = luna16_reference(cands, annots, excl, scans)
        r = run(cands, annots, excl, scans)
        got = np.array(sens(r))
        worst = max(worst, np.abs(got - want_s).max(), abs(r["cpm"] - want_cpm))
        C.check(np.allclose(got, want_s, atol=1e-12, rtol=0) and abs(r["cpm"] - want_cpm) < 1e-12,
                f"random case {trial}: {got} vs {want_s}")
    print(f"random cases: worst difference from the LUNA16 reference {worst:.1e}")


def bootstrap_and_plot():
    rng = np.random.default_rng(5)
    scans = [f"s{i}" for i in range(40)]
    annots = [(s, 0, 0, 0, 10) for s in scans]
    cands = [(s, 0, 0, 1, float(rng.random())) for s in scans if rng.random() < 0.8]
    cands += [(s, 50, 0, 0, float(rng.random())) for s in scans for _ in range(3)]
    c = write("bc.csv", "seriesuid,coordX,coordY,coordZ,probability", cands)
    a = write("ba.csv", "seriesuid,coordX,coordY,coordZ,diameter_mm", annots)
    svg = os.path.join(T, "froc.svg")
    out = [json.loads(medseg("validate", "detect", "--pred", c, "--ref", a, "--json", "--seed", s,
                             *(["--plot", svg] if s == 1 else [])).stdout) for s in (1, 1, 2)]
    C.check(out[0] == out[1], "the same seed gives the same intervals")
    C.check(out[0]["cpm_ci"] != out[2]["cpm_ci"], "another seed gives other intervals")
    lo, hi = out[0]["cpm_ci"]
    C.check(lo <= out[0]["cpm"] <= hi and hi - lo > 0.01, f"CPM CI {lo}-{hi} holds the CPM {out[0]['cpm']}")
    for x in FPS:
        l, h = out[0]["sensitivity_ci"][f"{x:g}"]
        C.check(l <= h, f"CI at {x}")
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    texts = " ".join(t.text or "" for t in root.iter(ns + "text"))
    C.check(len(list(root.iter(ns + "circle"))) == 7, "seven operating points marked")
    C.check("false positives per scan" in texts and "Sensitivity" in texts and "CPM" in texts, "axes labelled")
    C.check(any(p.get("fill-opacity") for p in root.iter(ns + "path")), "CI band shaded")


def bad_input():
    a = write("ok_a.csv", "seriesuid,coordX,coordY,coordZ,diameter_mm", [("A", 0, 0, 0, 10)])
    for name, header, rows, want in (
        ("badnum.csv", "seriesuid,coordX,coordY,coordZ,probability", [("A", 0, 0, 0, 0.5), ("A", "x", 0, 0, 0.5)],
         "badnum.csv:3"),
        ("badcols.csv", "seriesuid,x,y,z,probability", [("A", 0, 0, 0, 0.5)], "coordX"),
        ("short.csv", "seriesuid,coordX,coordY,coordZ,probability", [("A", 0, 0, 0)], "short.csv:2"),
    ):
        p = write(name, header, rows)
        r = medseg("validate", "detect", "--pred", p, "--ref", a, check=False)
        C.check(r.returncode == 3 and want in r.stderr, f"{name}: exit {r.returncode}, {r.stderr.strip()}")
    bom = os.path.join(T, "bom.csv")
    with open(bom, "wb") as f:
        f.write(b"\xef\xbb\xbfseriesuid,coordX,coordY,coordZ,probability\r\nA,0,0,1,0.5\r\n")
    r = json.loads(medseg("validate", "detect", "--pred", bom, "--ref", a, "--json", "--bootstrap", "0").stdout)
    C.check(r["detected"] == 1, "a CSV with a byte-order mark and CRLF lines is read")
    c = write("unk.csv", "seriesuid,coordX,coordY,coordZ,probability", [("Z", 0, 0, 0, 0.5)])
    lst = os.path.join(T, "list.txt")
    open(lst, "w").write("A\n")
    r = medseg("validate", "detect", "--pred", c, "--ref", a, "--scans", lst, check=False)
    C.check(r.returncode == 3 and "seriesuid Z" in r.stderr and "unk.csv:2" in r.stderr,
            f"unknown seriesuid: {r.stderr.strip()}")


hand_cases()
random_cases()
bootstrap_and_plot()
bad_input()
C.done()
