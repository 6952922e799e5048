"""classify nodules against values worked out here:

- Brock (McWilliams et al., NEJM 2013, full model 2b with spiculation),
  written from the published coefficients, for 14 nodules covering every
  term (each type, sex, upper lobe, spiculation, count, age, family
  history, emphysema, size 3..40 mm), to 1e-9;
- a report.json keeps its schema: only brock, lung_rads, fleischner,
  patient, exam (and classify) change;
- --model with --image: the patch-classifier test model's probability,
  recomputed with scipy's trilinear map_coordinates (-1024 HU outside) and
  the card's window, to 1e-5;
- bad input: a report without nodules (valid, empty), a nodule without a
  size, a CSV without a column, --model without --image."""
import csv
import json
import math
import os

from common import Checker, medseg, need, ras_to_lps, tmpdir

np, nib, _ = need("numpy", "nibabel", "scipy")
from scipy import ndimage as ndi  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T = tmpdir()
C = Checker()
TYPE = {"solid": 0.0, "part-solid": 0.377, "ground-glass": -0.1276}


def brock(age, female, family, emphysema, size, kind, upper, spiculated, count):
    logit = (-6.7892 + 0.0287 * (age - 62) + 0.6011 * female + 0.2961 * family + 0.2953 * emphysema
             - 5.3854 * ((size / 10.0) ** -0.5 - math.sqrt(10 / 4)) + TYPE[kind] + 0.6581 * upper
             - 0.0824 * (count - 4) + 0.7729 * spiculated)
    return 1 / (1 + math.exp(-logit))


ROWS = [  # id, diameter, type, upper, spiculation, count
    (1, 3.0, "solid", 0, 0.1, 1), (2, 4.5, "solid", 1, 0.9, 2), (3, 6.0, "part-solid", 0, 0.0, 3),
    (4, 8.0, "part-solid", 1, 0.6, 4), (5, 10.0, "ground-glass", 0, 0.2, 5), (6, 12.5, "ground-glass", 1, 0.7, 6),
    (7, 15.0, "solid", 1, 0.49, 8), (8, 20.0, "solid", 0, 0.5, 10), (9, 25.0, "part-solid", 1, 0.3, 1),
    (10, 30.0, "ground-glass", 1, 1.0, 12), (11, 35.0, "solid", 0, 0.0, 20), (12, 40.0, "part-solid", 0, 0.95, 7),
    (13, 5.0, "ground-glass", 1, 0.0, 3), (14, 9.0, "solid", 1, 0.8, 15),
]


def brock_cases():
    path = os.path.join(T, "nodules.csv")
    with open(path, "w") as f:
        f.write("id,diameter_mm,type,upper_lobe,spiculation,nodule_count\n")
        for r in ROWS:
            f.write(",".join(map(str, r)) + "\n")
    worst = 0.0
    for age, sex, fam, emph in ((45, "M", 0, 0), (62, "F", 1, 0), (80, "F", 0, 1), (55.5, "M", 1, 1)):
        out = os.path.join(T, "out.json")
        medseg("classify", "nodules", path, "--patient", f"age={age},sex={sex},family-history={fam},emphysema={emph}",
               "-o", out, "-q")
        got = {n["id"]: n for n in json.load(open(out))["nodules"]}
        for r in ROWS:
            want = brock(age, sex == "F", fam, emph, r[1], r[2], r[3], r[4] >= 0.5, r[5])
            err = abs(got[r[0]]["brock"] - want)
            worst = max(worst, err)
            C.check(err <= 1e-9, f"Brock nodule {r[0]} age {age} {sex}: {got[r[0]]['brock']} vs {want}")
    print(f"Brock: {len(ROWS)} nodules x 4 patients, worst difference {worst:.2e}")
    doc = json.load(open(out))
    C.check(doc["patient"]["age"] == 55.5 and doc["patient"]["defaults"] == [], "patient recorded, no defaults")
    C.check(doc["exam"]["lung_rads"] in ("4B", "4X"), f"exam category {doc['exam']['lung_rads']}")
    # Defaults flagged when --patient is missing.
    r = medseg("classify", "nodules", path, "-q")
    C.check(set(json.loads(r.stdout)["patient"]["defaults"]) == {"age", "sex", "family_history", "emphysema"},
            "every default flagged without --patient")


def report_json(path, image=None):
    """A report as detect-nodules writes it, two nodules on the image grid."""
    nod = []
    for i, (c, d, kind) in enumerate(((( -10.0, 20.0, 5.0), 9.0, "solid"), ((12.0, -6.0, -3.0), 14.0, "part-solid"))):
        nod.append({"id": i + 1, "center_lps": list(c), "center_voxel": [0, 0, 0], "probability": 0.9,
                    "diameter_mm": d, "long_axis_mm": d + 1, "short_axis_mm": d - 1, "volume_mm3": 100.0,
                    "mean_hu": 20.0, "type": kind, "solid_diameter_mm": d / 2, "sphericity": 0.9,
                    "spiculation": 0.1, "location": {"side": "right", "zone": "upper"}, "juxtapleural": False,
                    "brock": 0.5, "lung_rads": {"category": "x", "rule": "x", "management": "x"},
                    "fleischner": {"rule": "x", "low_risk": "x", "high_risk": "x"}})
    doc = {"schema": "medseg-detect-nodules/1", "input": image or "ct.nii.gz", "series": {"format": "nifti"},
           "patient": {}, "lungs": {"total_ml": 5000}, "nodules": nod, "exam": {}, "timings": {}, "warnings": []}
    json.dump(doc, open(path, "w"))
    return doc


def report_case():
    rep = os.path.join(T, "report.json")
    before = report_json(rep)
    out = os.path.join(T, "rescored.json")
    medseg("classify", "nodules", rep, "--patient", "age=70,sex=F", "-o", out, "-q")
    after = json.load(open(out))
    C.check(set(after) == set(before) | {"classify"}, f"report keys kept: {sorted(set(after) ^ set(before))}")
    for b, a in zip(before["nodules"], after["nodules"]):
        for k in b:
            if k in ("brock", "lung_rads", "fleischner"):
                continue
            C.check(a[k] == b[k], f"nodule {b['id']}: {k} unchanged")
        want = brock(70, 1, 0, 0, b["long_axis_mm"], b["type"], 1, False, 2)
        C.check(abs(a["brock"] - want) <= 1e-9, f"report nodule {b['id']}: Brock {a['brock']} vs {want}")
        C.check(a["lung_rads"]["category"] != "x" and a["fleischner"]["rule"] != "x", "Lung-RADS and Fleischner set")
    C.check(after["exam"]["nodule_count"] == 2, "exam counts the nodules")


def model_case():
    model = os.path.join(SRC, "data", "models", "patch_density.pt")
    ct = os.path.join(T, "ct.nii.gz")
    rng = np.random.default_rng(2)
    vol = (rng.normal(-600, 250, (48, 44, 40))).astype(np.float32)
    aff = np.array([[-1.0, 0, 0, 24], [0, -1.0, 0, 20], [0, 0, 1.0, -20], [0, 0, 0, 1]])
    nib.save(nib.Nifti1Image(vol, aff), ct)
    rep = os.path.join(T, "report_m.json")
    report_json(rep, ct)
    out = os.path.join(T, "model.json")
    r = medseg("classify", "nodules", rep, "--image", ct, "--model", model, "-o", out, check=False)
    if r.returncode == 2 and "LibTorch" in r.stderr:
        print("note: this build has no LibTorch; the model case is skipped")
        return
    C.check(r.returncode == 0, f"classify with the model: {r.stderr.strip()}")
    got = json.load(open(out))
    lps = ras_to_lps(aff)
    inv = np.linalg.inv(lps)
    for n in got["nodules"]:
        c = (inv @ np.array(n["center_lps"] + [1.0]))[:3]
        off = np.arange(16) - 7.5
        zz, yy, xx = np.meshgrid(off, off, off, indexing="ij")
        pts = np.stack([c[0] + xx, c[1] + yy, c[2] + zz]).reshape(3, -1)
        hu = ndi.map_coordinates(vol.astype(np.float64), pts, order=1, mode="constant", cval=-1024).reshape(16, 16, 16)
        x = np.clip((hu - (-400 - 600)) / 1200, 0, 1)
        p = 1 / (1 + math.exp(-10 * (x[6:10, 6:10, 6:10].mean() - 0.45)))
        C.check(abs(n["model_probability"] - p) <= 1e-5, f"model probability {n['model_probability']} vs {p}")
    C.check(got["classify"]["model"] == "patch density test model" or bool(got["classify"]["model"]),
            "the model is named")


def bad_cases():
    empty = os.path.join(T, "empty.json")
    json.dump({"schema": "medseg-detect-nodules/1", "nodules": []}, open(empty, "w"))
    r = medseg("classify", "nodules", empty, "-q", check=False)
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    C.check(r.returncode == 0 and doc.get("nodules") == [] and doc["exam"]["lung_rads"] == "1",
            f"a report without nodules: valid and empty ({r.returncode})")
    bad = os.path.join(T, "bad.json")
    json.dump({"nodules": [{"id": 4, "type": "solid"}]}, open(bad, "w"))
    out = os.path.join(T, "bad_out.json")
    r = medseg("classify", "nodules", bad, "-o", out, check=False)
    C.check(r.returncode == 3 and "nodule 4" in r.stderr and "diameter_mm" in r.stderr and not os.path.exists(out),
            f"a nodule without a size: exit 3 naming it ({r.stderr.strip()})")
    csvp = os.path.join(T, "nocol.csv")
    open(csvp, "w").write("id,diameter_mm,type\n1,5,solid\n")
    r = medseg("classify", "nodules", csvp, check=False)
    C.check(r.returncode == 3 and "upper_lobe" in r.stderr, f"a CSV without a column: {r.stderr.strip()}")
    r = medseg("classify", "nodules", csvp, "--model", "m.pt", check=False)
    C.check(r.returncode == 2 and "--image" in r.stderr, f"--model without --image: {r.stderr.strip()}")
    r = medseg("classify", "images", csvp, check=False)
    C.check(r.returncode == 2, "an unknown mode is a usage error")


brock_cases()
report_case()
model_case()
bad_cases()
C.done()
