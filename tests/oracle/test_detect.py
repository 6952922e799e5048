"""detect-nodules on a chest phantom, checked with independent readers:
the phantom's truth (every nodule >= 6 mm found, centre within its radius,
diameter within 1.5 mm, type right), nibabel (lungs.nii.gz and
nodules.nii.gz on the input's grid, nodule labels = report ids, volumes =
voxel counts), pydicom (the SR's measurements equal the JSON's) and
DCMTK's dsrdump (parses the SR); candidates.csv in LUNA16 columns; the
model stages through the committed test models; a rerun gives the same
report."""
import csv
import json
import math
import os
import shutil
import subprocess

from common import Checker, medseg, need, ras_to_lps, tmpdir

np, nib, pydicom = need("numpy", "nibabel", "pydicom")
C = Checker()
d = tmpdir()
SRC = os.path.join(os.path.dirname(__file__), "..", "..")
MODELS = os.path.join(SRC, "data", "models")


def load(p):
    return json.load(open(p))


def phantom_run():
    ct = f"{d}/ct.nii.gz"
    medseg("phantom", "chest", "-o", ct, "--truth", f"{d}/truth.csv", "--seed", "3", "--nodules", "8",
           "--size", "220,220,110", "-q")
    medseg("detect-nodules", ct, "-o", f"{d}/out", "--seriesuid", "seed3", "-q")
    return ct, load(f"{d}/out/report.json"), list(csv.DictReader(open(f"{d}/truth.csv")))


def check_truth(rep, truth):
    types = []
    for g in truth:
        c = [float(g[k]) for k in ("coordX", "coordY", "coordZ")]
        dia = float(g["diameter_mm"])
        if dia < 6:
            continue
        hits = [n for n in rep["nodules"] if math.dist(c, n["center_lps"]) <= dia / 2]
        C.check(bool(hits), f"nodule {g['type']} {dia:.1f} mm at {c} not reported")
        if hits:
            n = min(hits, key=lambda n: math.dist(c, n["center_lps"]))
            C.check(abs(n["diameter_mm"] - dia) <= 1.5, f"diameter {n['diameter_mm']} for a {dia:.1f} mm nodule")
            types.append(n["type"] == g["type"])
            if n["type"] != g["type"]:
                print(f"note: type {n['type']} for a {g['type']} nodule of {dia:.1f} mm")
    # The goal (>= 90% right) is over 20 phantoms in tests/bench; one scan may miss one.
    C.check(sum(types) >= len(types) - 1, f"types right for {sum(types)} of {len(types)} nodules")


def check_report_fields(rep):
    for key in ("series", "lungs", "nodules", "exam", "timings", "versions", "warnings", "patient"):
        C.check(key in rep, f"report lacks {key}")
    C.check(2000 < rep["lungs"]["total_ml"] < 9000, f"lung volume {rep['lungs']['total_ml']} ml")
    C.check(abs(rep["lungs"]["right_ml"] - rep["lungs"]["left_ml"]) < 0.3 * rep["lungs"]["total_ml"], "L/R split")
    C.check(set(rep["patient"]["defaults"]) == {"age", "sex", "family_history", "emphysema"}, "patient defaults flagged")
    probs = [n["probability"] for n in rep["nodules"]]
    C.check(probs == sorted(probs, reverse=True), "nodules sorted by probability")
    C.check([n["id"] for n in rep["nodules"]] == list(range(1, len(probs) + 1)), "ids 1..n")
    for n in rep["nodules"]:
        C.check(abs(n["diameter_mm"] - 0.5 * (n["long_axis_mm"] + n["short_axis_mm"])) < 0.02, "diameter = mean axes")
        C.check(0 <= n["spiculation"] <= 1 and 0 < n["sphericity"] <= 1, "spiculation, sphericity in range")
        C.check(n["lung_rads"]["category"] in ("2", "3", "4A", "4B", "4X"), "Lung-RADS category")
        C.check(n["location"]["side"] in ("right", "left") and n["location"]["zone"] in ("upper", "lower"), "location")
        C.check(0 < n["brock"] < 1, "Brock probability")


def check_masks(ct, rep):
    img = nib.load(ct)
    for name in ("lungs", "nodules"):
        m = nib.load(f"{d}/out/{name}.nii.gz")
        C.check(m.shape == img.shape and np.allclose(m.affine, img.affine, atol=1e-4), f"{name}.nii.gz grid")
    lungs = np.asarray(nib.load(f"{d}/out/lungs.nii.gz").dataobj)
    C.check(set(np.unique(lungs)) <= {0, 1, 2}, "lung labels 0/1/2")
    vox = float(np.prod(img.header.get_zooms()[:3]))
    C.check(abs((lungs == 1).sum() * vox / 1000 - rep["lungs"]["right_ml"]) < 0.03 * rep["lungs"]["right_ml"] + 5,
            "right lung volume = voxels")
    # Right lung is on the patient's right: smaller LPS x.
    aff = ras_to_lps(img.affine)
    xs = [np.mean((aff @ np.c_[np.argwhere(lungs == v), np.ones((lungs == v).sum())].T)[0]) for v in (1, 2)]
    C.check(xs[0] < xs[1], f"label 1 is the right lung (x {xs[0]:.0f} < {xs[1]:.0f})")
    nod = np.asarray(nib.load(f"{d}/out/nodules.nii.gz").dataobj)
    C.check(set(np.unique(nod)) - {0} <= {n["id"] for n in rep["nodules"]}, "nodule labels are report ids")
    for n in rep["nodules"]:
        if n["diameter_mm"] < 6:
            continue
        v = (nod == n["id"]).sum() * vox
        C.check(abs(v - n["volume_mm3"]) < 0.25 * n["volume_mm3"] + 30, f"nodule {n['id']} volume {v:.0f} vs "
                f"{n['volume_mm3']}")
        ijk = np.round(n["center_voxel"]).astype(int)
        world = aff @ np.r_[n["center_voxel"], 1]
        C.check(np.allclose(world[:3], n["center_lps"], atol=0.05), "center_voxel maps to center_lps")


def check_csv(rep):
    rows = list(csv.DictReader(open(f"{d}/out/candidates.csv")))
    C.check(list(rows[0].keys()) == ["seriesuid", "coordX", "coordY", "coordZ", "probability"], "LUNA16 columns")
    C.check(len(rows) == rep["exam"]["candidates"] and all(r["seriesuid"] == "seed3" for r in rows), "all candidates")
    for n in rep["nodules"]:
        C.check(any(math.dist(n["center_lps"], [float(r[k]) for k in ("coordX", "coordY", "coordZ")]) < 0.01
                    for r in rows), "every nodule is a candidate")


def check_sr(rep):
    sr = f"{d}/out/report-sr.dcm"
    if shutil.which("dsrdump"):
        r = subprocess.run(["dsrdump", sr], capture_output=True, text=True)
        C.check(r.returncode == 0 and "Imaging Measurement Report" in r.stdout and not r.stderr.strip(),
                f"dsrdump: {r.returncode} {r.stderr[:200]}")
    ds = pydicom.dcmread(sr)
    C.check(ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.22", "Enhanced SR")
    C.check(ds.ContentTemplateSequence[0].TemplateIdentifier == "1500", "TID 1500")
    C.check(ds.StudyInstanceUID == rep["series"]["study_uid"], "SR in the source study")
    C.check(not getattr(ds, "PatientName", ""), "no patient name")
    groups = []

    def walk(items):
        for it in items:
            name = it.ConceptNameCodeSequence[0].CodeMeaning
            if name == "Measurement Group":
                groups.append(it)
            if "ContentSequence" in it:
                walk(it.ContentSequence)
    walk(ds.ContentSequence)
    C.check(len(groups) == len(rep["nodules"]), f"{len(groups)} measurement groups for {len(rep['nodules'])} nodules")
    keys = {"Long Axis": "long_axis_mm", "Short Axis": "short_axis_mm", "Diameter": "diameter_mm",
            "Volume": "volume_mm3", "Brock (PanCan) probability of malignancy": "brock"}
    for g, n in zip(groups, rep["nodules"]):
        got = {}
        for it in g.ContentSequence:
            name = it.ConceptNameCodeSequence[0].CodeMeaning
            if it.ValueType == "NUM":
                got[name] = float(it.MeasuredValueSequence[0].NumericValue)
            if name == "Tracking Identifier":
                C.check(it.TextValue == f"nodule {n['id']}", "tracking id")
        for k, j in keys.items():
            C.check(k in got and abs(got[k] - n[j]) <= 0.0051, f"SR {k} {got.get(k)} vs JSON {n[j]}")


def small_phantom():
    """A chest of 180 x 180 x 150 mm: a fifth of the work, for the runs that
    check plumbing rather than accuracy."""
    ct = f"{d}/small.nii.gz"
    medseg("phantom", "chest", "-o", ct, "--seed", "4", "--nodules", "4", "--size", "120,120,60",
           "--spacing", "1.5,1.5,2.5", "-q")
    medseg("detect-nodules", ct, "-o", f"{d}/small", "--no-sr", "-q")
    return ct


def check_models(ct):
    medseg("detect-nodules", ct, "-o", f"{d}/m1", "--fp-model", f"{MODELS}/patch_density.pt", "--no-sr", "-q")
    rep = load(f"{d}/m1/report.json")
    C.check("patch_density" in rep["versions"]["method"], "fp model named in the report")
    rows = list(csv.DictReader(open(f"{d}/m1/candidates.csv")))
    base = {(r["coordX"], r["coordY"], r["coordZ"]): float(r["probability"])
            for r in csv.DictReader(open(f"{d}/small/candidates.csv"))}
    C.check(any(abs(float(r["probability"]) - base.get((r["coordX"], r["coordY"], r["coordZ"]), -1)) > 0.05
                for r in rows), "fp model changes probabilities")
    r = medseg("detect-nodules", ct, "-o", f"{d}/m2", "--fp-model", f"{MODELS}/patch_wrong_size.pt", check=False)
    C.check(r.returncode == 3 and "does not match its card" in r.stderr and not os.path.exists(f"{d}/m2"),
            f"model off its card: {r.returncode} {r.stderr}")
    r = medseg("detect-nodules", ct, "-o", f"{d}/m3", "--lung-model", f"{MODELS}/lung_empty3d.pt", check=False)
    C.check(r.returncode == 3 and "no lungs" in r.stderr and not os.path.exists(f"{d}/m3"), "empty lung model")
    medseg("detect-nodules", ct, "-o", f"{d}/m4", "--lung-model", f"{MODELS}/lung_threshold3d.pt", "--no-sr", "-q")
    m4 = load(f"{d}/m4/report.json")
    base_lungs = load(f"{d}/small/report.json")["lungs"]
    C.check(0.5 * base_lungs["total_ml"] < m4["lungs"]["total_ml"] < 1.5 * base_lungs["total_ml"] and
            m4["lungs"]["right_ml"] > 0 and m4["lungs"]["left_ml"] > 0,
            f"lung model's lungs {m4['lungs']} against the classical {base_lungs}")
    C.check(m4["lungs"] != base_lungs, "the lung model was used")


def main():
    ct, rep, truth = phantom_run()
    check_truth(rep, truth)
    check_report_fields(rep)
    check_masks(ct, rep)
    check_csv(rep)
    check_sr(rep)
    r = medseg("info", "--json", f"{d}/out/lungs.nii.gz")
    C.check(r.returncode == 0, "lungs.nii.gz readable by medseg info")
    small = small_phantom()
    medseg("detect-nodules", small, "-o", f"{d}/again", "--threads", "1", "--no-sr", "-q")
    C.check(load(f"{d}/again/report.json")["nodules"] == load(f"{d}/small/report.json")["nodules"],
            "same nodules with one thread")
    C.check(open(f"{d}/again/candidates.csv").read() == open(f"{d}/small/candidates.csv").read(),
            "same candidates with one thread")
    r = medseg("detect-nodules", small, "-o", f"{d}/probe", "--fp-model", f"{MODELS}/patch_wrong_size.pt", check=False)
    if "without LibTorch" in r.stderr:
        print("SKIP (models): this medseg was built without LibTorch")
    else:
        check_models(small)
    C.done()


main()
