"""pydicom's own test corpus (shipped with python3-pydicom): every image file
pydicom decodes, medseg decodes to the same values (grey as medseg reads
colour: Y of YBR, else the luma 0.299 R + 0.587 G + 0.114 B), with the
rescale (or RT dose's DoseGridScaling) applied; every other file is a clean
exit 3, never a crash. Files pydicom decodes and medseg still refuses are
listed below with the reason, and the list is checked both ways."""
import glob
import os
import warnings
from common import need, medseg, tmpdir, Checker

np, nib, pydicom = need("numpy", "nibabel", "pydicom")

c = Checker()
d = tmpdir()
corpus = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
files = sorted(glob.glob(os.path.join(corpus, "*.dcm")))
if not files:
    print(f"SKIP: pydicom's test files are absent ({corpus})")
    raise SystemExit(77)

# Decoded by pydicom, refused by medseg (each says why in its message):
# none left. A file added here must be refused with that text.
REFUSED = {}
LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}   # JPEG baseline/extended: decoders differ by 1-2


def expected(ds):
    """pydicom's values as medseg reports them: frames x rows x cols, grey, rescaled."""
    a = ds.pixel_array.astype(np.float64)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    spp = int(getattr(ds, "SamplesPerPixel", 1))
    if frames == 1:
        a = a[None]
    if spp == 3:
        pi = str(ds.PhotometricInterpretation)
        if pi.startswith("YBR") and not ds.file_meta.TransferSyntaxUID.is_compressed:
            a = a[..., 0]   # medseg takes Y
        else:
            if pi.startswith("YBR"):   # pydicom leaves JPEG's YCbCr as it is; DCMTK gives RGB
                from pydicom.pixel_data_handlers.util import convert_color_space
                a = convert_color_space(a.astype(np.uint8), "YBR_FULL", "RGB").astype(float)
            a = np.rint(0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2])
    slope = float(getattr(ds, "RescaleSlope", 0) or 0) or float(getattr(ds, "DoseGridScaling", 1) or 1)
    return a * slope + float(getattr(ds, "RescaleIntercept", 0) or 0)


decoded = refused = 0
for path in files:
    name = os.path.basename(path)
    out = os.path.join(d, name + ".nii")
    r = medseg("convert", "-q", path, out, check=False)
    c.check(r.returncode in (0, 3), f"{name}: exit {r.returncode} ({r.stderr.strip()[:200]})")
    c.check(r.returncode == 0 or len(r.stderr.strip().splitlines()) == 1, f"{name}: message not one line")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path)
            want = expected(ds)
        except Exception:
            continue   # pydicom does not decode it either (or it is no image)
    if name in REFUSED:
        c.check(r.returncode == 3 and REFUSED[name] in r.stderr, f"{name}: expected refusal ({r.stderr.strip()})")
        refused += 1
        continue
    if r.returncode != 0:
        c.check(False, f"{name}: pydicom decodes it, medseg refuses: {r.stderr.strip()}")
        continue
    got = np.transpose(np.asanyarray(nib.load(out).dataobj), (2, 1, 0)).astype(np.float64)
    tol = 2.0 if ds.file_meta.TransferSyntaxUID in LOSSY and int(getattr(ds, "SamplesPerPixel", 1)) == 3 else 0.0
    tol = max(tol, 1e-6 * float(np.abs(want).max()))
    ok = got.shape == want.shape and float(np.abs(got - want).max()) <= tol
    c.check(ok, f"{name}: shape {got.shape} vs {want.shape}"
                + (f", max diff {np.abs(got - want).max()}" if got.shape == want.shape else ""))
    decoded += 1
print(f"corpus: {decoded} files decoded equal to pydicom, {refused} refused as listed, {len(files)} files in all")
c.check(decoded >= 30, f"only {decoded} files compared")
c.done()
