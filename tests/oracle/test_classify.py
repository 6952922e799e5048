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
  size, a CSV without a column, --model without --image;
- classify image: the test image-classifier's probabilities recomputed
  with numpy (bilinear resize with align_corners=False, min-max
  normalisation, the model's three logits) on the PNGs and the CR DICOM of
  ../shared/data/chest_xray, an RGB and a 16-bit PNG, a NIfTI slice, and
  DICOMs made here with pydicom (MONOCHROME1 with a window, a VOI LUT),
  whose display values come from PS3.3's pipeline written here; a corrupt
  PNG, a missing file and a multi-frame DICOM get their own errors while
  the others are scored; cards that disagree with the model exit 3 before
  any image is read."""
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


# ---- classify image ----

MODEL = os.path.join(SRC, "data", "models", "image_mean_tone.pt")


def resize(img, oh, ow):
    """Bilinear, align_corners=False: source centre (i + 0.5) * in/out - 0.5, clamped."""
    ih, iw = img.shape
    fy = np.clip((np.arange(oh) + 0.5) * ih / oh - 0.5, 0, ih - 1)
    fx = np.clip((np.arange(ow) + 0.5) * iw / ow - 0.5, 0, iw - 1)
    y0, x0 = np.floor(fy).astype(int), np.floor(fx).astype(int)
    y1, x1 = np.minimum(y0 + 1, ih - 1), np.minimum(x0 + 1, iw - 1)
    ty, tx = (fy - y0)[:, None], (fx - x0)[None, :]
    top = img[y0][:, x0] * (1 - tx) + img[y0][:, x1] * tx
    bot = img[y1][:, x0] * (1 - tx) + img[y1][:, x1] * tx
    return top * (1 - ty) + bot * ty


def expected(grey):
    x = resize(grey.astype(np.float64), 64, 64)
    x = (x - x.min()) / (x.max() - x.min())
    m, t = x.mean(), x[:32].mean() - x[32:].mean()
    logits = [6 * (m - 0.4), 6 * (0.45 - m), 10 * t]
    return {k: 1 / (1 + math.exp(-v)) for k, v in zip(("bright", "dark", "top-heavy"), logits)}


def dicom_display(path):
    """PS3.3 pixel pipeline written here: modality rescale, VOI LUT or the
    LINEAR window onto 0..255 (else the image's range), MONOCHROME1 inverted."""
    import pydicom
    ds = pydicom.dcmread(path)
    v = ds.pixel_array.astype(np.float64) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
    if "VOILUTSequence" in ds:
        it = ds.VOILUTSequence[0]
        n, first, bits = [int(a) for a in it.LUTDescriptor]
        data = it.LUTData
        lut = (np.frombuffer(data, "<u2") if isinstance(data, bytes) else np.asarray(data)).astype(np.float64)
        y = lut[np.clip(np.rint(v).astype(int) - first, 0, n - 1)] / (2 ** bits - 1) * 255
    elif "WindowCenter" in ds:
        c, w = float(np.ravel(ds.WindowCenter)[0]), float(np.ravel(ds.WindowWidth)[0])
        y = np.where(v <= c - 0.5 - (w - 1) / 2, 0.0,
                     np.where(v > c - 0.5 + (w - 1) / 2, 255.0, ((v - (c - 0.5)) / (w - 1) + 0.5) * 255))
    else:
        y = (v - v.min()) / (v.max() - v.min()) * 255
    return 255 - y if ds.PhotometricInterpretation == "MONOCHROME1" else y


def synthetic_dicoms():
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    out = []
    rng = np.random.default_rng(4)
    for name in ("mono1_window", "voi_lut", "multiframe"):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = os.path.join(T, name + ".dcm")
        ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID, "CR"
        ds.Rows, ds.Columns, ds.SamplesPerPixel = 90, 70, 1
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        frames = 2 if name == "multiframe" else 1
        img = (rng.random((frames, 90, 70)) * 1500 + np.linspace(0, 2500, 90)[None, :, None]).astype(np.uint16)
        ds.PhotometricInterpretation = "MONOCHROME1" if name == "mono1_window" else "MONOCHROME2"
        if name == "mono1_window":
            ds.WindowCenter, ds.WindowWidth = 1800, 2200
            ds.RescaleSlope, ds.RescaleIntercept = 1, -100
        if name == "voi_lut":
            item = pydicom.Dataset()
            item.add_new(0x00283002, "US", [4096, 0, 12])   # LUTDescriptor
            item.add_new(0x00283006, "US", [int(4095 * (i / 4095) ** 0.5) for i in range(4096)])   # LUTData
            ds.VOILUTSequence = [item]
        if frames > 1:
            ds.NumberOfFrames = frames
        ds.PixelData = img[0].tobytes() if frames == 1 else img.tobytes()
        ds.save_as(path, write_like_original=False)
        out.append(path)
    return out


def colour_dicom_cases():
    """Colour DICOM (pydicom's RLE RGB, uncompressed YBR_FULL_422 and JPEG 2000 RGB files)
    reaches a 3-channel model as R, G, B (pydicom's values, YCbCr converted
    by pydicom) and a 1-channel model as their luma."""
    import pydicom
    from pydicom.pixel_data_handlers.util import convert_color_space
    rgb_model = os.path.join(SRC, "data", "models", "image_rgb_means.pt")
    tf = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
    for name in ("SC_rgb_rle.dcm", "SC_ybr_full_422_uncompressed.dcm", "SC_rgb_gdcm_KY.dcm"):
        path = os.path.join(tf, name)
        if not os.path.exists(path):
            print(f"note: {path} is absent")
            continue
        ds = pydicom.dcmread(path)
        a = ds.pixel_array
        if str(ds.PhotometricInterpretation).startswith("YBR"):
            a = convert_color_space(a, "YBR_FULL", "RGB")
        a = a.astype(np.float64)
        planes = np.stack([resize(a[..., k], 64, 64) for k in range(3)])
        planes = (planes - planes.min()) / (planes.max() - planes.min())
        want = {lab: 1 / (1 + math.exp(-6 * (planes[k].mean() - 0.4))) for k, lab in enumerate(("red", "green", "blue"))}
        for model, w in ((rgb_model, want), (MODEL, expected(a @ np.array([0.299, 0.587, 0.114])))):
            r = medseg("classify", "image", path, "--model", model, "--json", check=False)
            C.check(r.returncode == 0, f"{name}: {r.stderr.strip()}")
            if r.returncode:
                continue
            got = {q["label"]: q["probability"] for q in json.loads(r.stdout)["predictions"]}
            err = max(abs(got.get(k, -1) - v) for k, v in w.items())
            C.check(err <= 1e-4, f"{name} with {os.path.basename(model)}: {got} vs {w}")


def image_cases():
    r = medseg("classify", "image", os.path.join(T, "none.png"), "--model", MODEL, check=False)
    if "LibTorch" in r.stderr:
        print("note: this build has no LibTorch; classify image cases skipped")
        return False
    try:
        from PIL import Image
    except ImportError:
        print("note: Pillow is missing (install python3-pil); classify image cases skipped")
        return
    chest = os.path.join(os.environ.get("SHARED_DATA", "../shared/data"), "chest_xray")
    want = {}
    imgs = []
    if os.path.isdir(chest):
        for f in sorted(os.listdir(chest)):
            p = os.path.join(chest, f)
            imgs.append(p)
            want[p] = expected(np.asarray(Image.open(p), dtype=np.float64) if f.endswith(".png") else dicom_display(p))
    else:
        print("note: ../shared/data/chest_xray is absent; the real radiographs are skipped")
    rng = np.random.default_rng(7)
    rgb = (rng.random((50, 80, 3)) * 255).astype(np.uint8)
    rgb[:20] //= 3
    Image.fromarray(rgb).save(os.path.join(T, "rgb.png"))
    want[os.path.join(T, "rgb.png")] = expected(rgb @ np.array([0.299, 0.587, 0.114]))
    g16 = (rng.random((40, 30)) * 60000).astype(np.uint16)
    g16[:10] = 65000
    Image.fromarray(g16).save(os.path.join(T, "g16.png"))
    want[os.path.join(T, "g16.png")] = expected(g16 / 257.0)
    vol = rng.normal(0, 300, (60, 50, 7)).astype(np.float32)
    vol[:, :20, 3] += 900
    nib.save(nib.Nifti1Image(vol, np.diag([0.8, 0.8, 2.5, 1])), os.path.join(T, "vol.nii.gz"))
    try:
        mono1, lut, multi = synthetic_dicoms()
        for p in (mono1, lut):
            want[p] = expected(dicom_display(p))
    except ImportError:
        mono1 = lut = multi = None
        print("note: pydicom is missing; the synthetic DICOM cases are skipped")
    paths = imgs + [p for p in want if p not in imgs]
    r = medseg("classify", "image", *paths, "--model", MODEL, "--json", check=False)
    got = {e["image"]: e for e in json.loads(r.stdout)} if r.returncode == 0 else {}
    C.check(r.returncode == 0, f"classify image: {r.stderr.strip()}")
    worst = 0.0
    for p, w in want.items():
        e = got.get(p, {})
        probs = {q["label"]: q["probability"] for q in e.get("predictions", [])}
        for k, v in w.items():
            err = abs(probs.get(k, -1) - v)
            worst = max(worst, err)
            C.check(err <= 1e-5, f"{os.path.basename(p)}: {k} {probs.get(k)} vs {v}")
        ps = [q["probability"] for q in e.get("predictions", [])]
        C.check(ps == sorted(ps, reverse=True), f"{os.path.basename(p)}: predictions sorted")
    print(f"classify image: {len(want)} images, worst difference {worst:.2e}")
    # The test model takes batches: one image alone answers as in the batch.
    one = paths[-1]
    r = medseg("classify", "image", one, "--model", MODEL, "--json")
    alone = {q["label"]: q["probability"] for q in json.loads(r.stdout)["predictions"]}
    batched = {q["label"]: q["probability"] for q in got.get(one, {}).get("predictions", [])}
    C.check(alone == batched, f"batched and single answers agree: {alone} vs {batched}")
    # A NIfTI slice (--slice), --top and the CSV.
    out = os.path.join(T, "cls.csv")
    r = medseg("classify", "image", os.path.join(T, "vol.nii.gz"), "--model", MODEL, "--slice", 3, "--top", 2,
               "--csv", out, "--json")
    e = json.loads(r.stdout)
    w = expected(vol[:, :, 3].T)
    C.check(len(e["predictions"]) == 2 and all(abs(q["probability"] - w[q["label"]]) <= 1e-5 for q in e["predictions"]),
            f"NIfTI slice 3, top 2: {e['predictions']} vs {w}")
    rows = list(csv.DictReader(open(out)))
    C.check(len(rows) == 2 and rows[0]["label"] == e["predictions"][0]["label"], "CSV rows as the JSON")
    # Bad images: reported one by one, the good one still scored, exit 3.
    bad_png = os.path.join(T, "bad.png")
    open(bad_png, "wb").write(open(os.path.join(T, "rgb.png"), "rb").read()[:100])
    listed = [os.path.join(T, "rgb.png"), bad_png, os.path.join(T, "missing.png")] + ([multi] if multi else [])
    r = medseg("classify", "image", *listed, "--model", MODEL, "--json", check=False)
    res = json.loads(r.stdout) if r.stdout.strip() else []
    errs = {x["image"]: x.get("error", "") for x in res}
    C.check(r.returncode == 3 and "predictions" in res[0], f"bad images: exit 3, the good one scored ({r.returncode})")
    C.check("corrupt PNG" in errs.get(bad_png, ""), f"corrupt PNG named: {errs.get(bad_png)}")
    C.check("no such file" in errs.get(listed[2], ""), f"missing image named: {errs.get(listed[2])}")
    if multi:
        C.check("multi-frame" in errs.get(multi, ""), f"multi-frame DICOM named: {errs.get(multi)}")
    # Card and model that disagree: refused before any image is read.
    import shutil
    for name, change in (("contract", {"contract": "patch-classifier", "input_size": [16, 16, 16]}),
                         ("labels", {"labels": ["a", "b", "c", "d"]}), ("size", {"input_size": [32, 32]})):
        d = os.path.join(T, "card_" + name)
        os.makedirs(d)
        shutil.copy(MODEL, os.path.join(d, "m.pt"))
        card = json.load(open(MODEL[:-3] + ".json"))
        card.update(change)
        json.dump(card, open(os.path.join(d, "m.json"), "w"))
        r = medseg("classify", "image", os.path.join(T, "missing.png"), "--model", os.path.join(d, "m.pt"), check=False)
        C.check(r.returncode == 3 and "missing.png" not in r.stderr and
                ("contract" in r.stderr if name == "contract" else "does not match" in r.stderr),
                f"card with wrong {name}: exit {r.returncode}, {r.stderr.strip()}")


brock_cases()
report_case()
model_case()
bad_cases()
if image_cases() is not False:
    colour_dicom_cases()
C.done()
