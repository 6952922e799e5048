"""A retrieval set for rag-index tests and benchmarks: every axial slice
of the real CTs in ../shared/data (NIfTI volumes referenced by slice,
DICOM slices converted to 2-D NIfTI in HU), the chest X-rays (PNG), and
slices of chest phantoms; and a perturbed query for each image (Gaussian
noise of 10 HU, or 1% of the grey range for X-rays; gain 0.95..1.05; a
shift of up to 3 pixels; a zoom of 0.9..1.1 about the centre).

Each case has a series name and a slice number, so a query can be scored
as "the original or an adjacent slice of the same series"."""
import csv
import glob
import os
import shutil
import subprocess

import numpy as np


def _nifti_2d(path, arr, affine=None):
    import nibabel as nib
    nib.save(nib.Nifti1Image(arr.astype(np.float32)[:, :, None], np.eye(4) if affine is None else affine), path)


def _dicom_slices(folder):
    import pydicom
    ds = []
    for f in glob.glob(os.path.join(folder, "*")):
        try:
            d = pydicom.dcmread(f)
            a = d.pixel_array.astype(np.float32) * float(getattr(d, "RescaleSlope", 1)) + float(getattr(d, "RescaleIntercept", 0))
        except Exception:
            continue
        ds.append((float(d.ImagePositionPatient[2]) if "ImagePositionPatient" in d else 0.0, a))
    ds.sort(key=lambda t: t[0])
    return [a for _, a in ds]


def perturb(img, rng, noise):
    """The query for an image (x fastest in img[x, y])."""
    from scipy import ndimage
    s = rng.uniform(0.9, 1.1)
    shift = rng.integers(-3, 4, size=2)
    c = (np.array(img.shape) - 1) / 2.0
    # output o samples input c + (o - c) / s - shift
    out = ndimage.affine_transform(img, np.eye(2) / s, offset=c - c / s - shift, order=1, mode="nearest")
    out = out * rng.uniform(0.95, 1.05)
    return out + rng.normal(0, noise, size=out.shape)


def build(root, medseg, shared_dir, seed=7):
    """Writes root/cases.csv, root/queries/*, returns (cases, queries):
    cases: list of dict(case_id, series, slice); queries: list of
    (path, case index)."""
    import nibabel as nib
    from PIL import Image
    rng = np.random.default_rng(seed)
    os.makedirs(f"{root}/img", exist_ok=True)
    os.makedirs(f"{root}/queries", exist_ok=True)
    rows, queries = [], []

    def add(series, k, image_path, slice_, arr, kind, diag, labels):
        cid = f"{series}:{k:03d}"
        rows.append({"case_id": cid, "image_path": image_path, "report": f"{series} slice {k}",
                     "labels": labels, "diagnosis": diag, "slice": "" if slice_ is None else str(slice_),
                     "series": series, "k": k})
        q = f"{root}/queries/{len(rows) - 1:05d}" + (".png" if kind == "png" else ".nii.gz")
        if kind == "png":
            out = np.clip(perturb(arr, rng, 2.55), 0, 255)
            Image.fromarray(np.round(out.T).astype(np.uint8)).save(q)
        else:
            _nifti_2d(q, perturb(arr, rng, 10.0))
        queries.append((q, len(rows) - 1))

    # example_ct_sm.nii.gz is slices 82..111 of example_ct.nii.gz, byte for
    # byte: a duplicate series would make the answer ambiguous, so it is out.
    ts = os.path.join(shared_dir, "totalsegmentator")
    for name, f in [("ts_ct", "example_ct.nii.gz"), ("aorta", "aorta_report/ct_cropped.nii.gz")]:
        p = os.path.join(ts, f)
        if not os.path.exists(p):
            continue
        vol = np.asarray(nib.load(p).dataobj, dtype=np.float32)
        diag, labels = ("abdomen CT", "ct;abdomen") if name == "ts_ct" else ("aortic dissection", "ct;aorta;dissection")
        for k in range(vol.shape[2]):
            add(name, k, p, k, vol[:, :, k], "nii", diag, labels)
        # Sagittal and coronal slices, written as 2-D images.
        for axis, tag in ((0, "sag"), (1, "cor")):
            for k in range(vol.shape[axis]):
                a = np.take(vol, k, axis=axis)
                f2 = f"{root}/img/{name}_{tag}_{k:03d}.nii.gz"
                _nifti_2d(f2, a)
                add(f"{name}_{tag}", k, f2, None, a, "nii", diag, labels)
    for name, folder in [("lungpet", "lung_pet_ct_dx/Lung_Dx-A0002_series3_8mm_B40f"),
                         ("lidc2", "lidc_ct_slabs/LIDC-IDRI-0002"), ("lidc3", "lidc_ct_slabs/LIDC-IDRI-0003"),
                         ("headct", "dicom_edge_cases/ge_head_ct_gantry_tilt")]:
        p = os.path.join(shared_dir, folder)
        if not os.path.isdir(p):
            continue
        for k, a in enumerate(_dicom_slices(p)):
            f = f"{root}/img/{name}_{k:03d}.nii.gz"
            _nifti_2d(f, a.T)
            add(name, k, f, None, a.T, "nii", "head CT" if name == "headct" else "chest CT",
                "ct;head" if name == "headct" else "ct;chest;lung=1" + (";tumour" if name == "lungpet" else ""))
    j2k = os.path.join(ts, "example_ct_dicom_jpeg2000")
    if os.path.isdir(j2k) and shutil.which("dcm2niix"):
        # lossless JPEG 2000, decoded by dcm2niix (the peer) for the test
        subprocess.run(["dcm2niix", "-z", "y", "-o", f"{root}/img", "-f", "j2k", j2k], capture_output=True)
        if os.path.exists(f"{root}/img/j2k.nii.gz"):
            p = f"{root}/img/j2k.nii.gz"
            vol = np.asarray(nib.load(p).dataobj, dtype=np.float32)
            for k in range(vol.shape[2]):
                add("j2k", k, p, k, vol[:, :, k], "nii", "abdomen CT", "ct;abdomen")
    for f in sorted(glob.glob(os.path.join(shared_dir, "chest_xray", "*.png"))):
        a = np.asarray(Image.open(f).convert("L"), dtype=np.float32).T
        add("cxr_" + os.path.basename(f)[:20], 0, f, None, a, "png", "chest radiograph", "xray;chest")
    # One phantom of each kind: other seeds share the anatomy, so their
    # slices would be near-duplicates of these.
    # slices of the same anatomy, and the lesion phantom's slices differ only
    # by noise away from the lesion; so two chest phantoms of different
    # field of view, keeping the slices whose anatomy differs from the
    # slice two further on by more than the noise does from the next one.
    for name, extra in (("phantom_a", []), ("phantom_b", ["--seed", "2", "--size", "150,190,96", "--spacing", "1.6,1.3,3.2"]),
                        ("phantom_c", ["--seed", "3", "--size", "230,170,80", "--spacing", "1.2,1.7,4"])):
        p = f"{root}/{name}.nii.gz"
        if not os.path.exists(p):
            subprocess.run([medseg, "phantom", "chest", "-o", p, "-q", *extra], check=True)
        vol = np.asarray(nib.load(p).dataobj, dtype=np.float32)
        for k in range(vol.shape[2] - 2):
            d1 = np.abs(vol[:, :, k] - vol[:, :, k + 1]).mean()
            d2 = np.abs(vol[:, :, k] - vol[:, :, k + 2]).mean()
            if d2 > 1.15 * d1:
                add(name, k, p, k, vol[:, :, k], "nii", "chest phantom", "phantom;nodule=-1")
    with open(f"{root}/cases.csv", "w", newline="") as fp:
        w = csv.writer(fp)
        w.writerow(["case_id", "image_path", "report", "labels", "diagnosis", "slice"])
        for r in rows:
            w.writerow([r["case_id"], r["image_path"], r["report"], r["labels"], r["diagnosis"], r["slice"]])
    return rows, queries


def score(rows, queries, answers):
    """(top-1 original or adjacent, original in top 5) fractions."""
    index = {r["case_id"]: r for r in rows}
    top1 = top5 = 0
    misses = []
    for (q, i), a in zip(queries, answers):
        want = rows[i]
        got = [index[c["case_id"]] for c in a["cases"]]
        ok1 = bool(got) and got[0]["series"] == want["series"] and abs(got[0]["k"] - want["k"]) <= 1
        ok5 = any(g["case_id"] == want["case_id"] for g in got[:5])
        top1 += ok1
        top5 += ok5
        if not ok1 or not ok5:
            misses.append((want["case_id"], [g["case_id"] for g in got[:3]]))
    return top1 / len(queries), top5 / len(queries), misses
