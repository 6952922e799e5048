"""DICOM Segmentation objects read as label maps, against pydicom.

A multi-frame BINARY SEG is made from pydicom's liver_1frame.dcm (its SEG
modules kept): two segments on planes z0, z0+1, z0+2 and z0+4 (z0+3 empty
and left out, as writers do), overlapping on one plane, 5x7 frames so the
1-bit frames do not start on byte boundaries. medseg must give, voxel for
voxel, the label map built from pydicom's decoding of the frames (the
highest segment where they overlap) on a grid whose affine puts each frame
at its Plane Position. Broken variants (a frame off the slice grid, a frame
naming no segment, truncated pixel data) are exit 3 with one line and no
output. pydicom's single-frame SEG files are compared in test_dicom_corpus.py."""
import copy
import os
import warnings

from common import Checker, medseg, need, ras_to_lps, tmpdir

np, nib, pydicom = need("numpy", "nibabel", "pydicom")
try:
    from pydicom.pixels import pack_bits
except ImportError:
    from pydicom.pixel_data_handlers.numpy_handler import pack_bits

c = Checker()
d = tmpdir()
template = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "liver_1frame.dcm")
if not os.path.exists(template):
    print(f"SKIP: pydicom's test file {template} is absent")
    raise SystemExit(77)

ROWS, COLS = 7, 5
Z0, SPACING = -40.0, (0.8, 0.6)
# (plane offset in slices, segment number) of each frame, in file order
FRAMES = [(2, 1), (0, 1), (1, 1), (1, 2), (4, 2)]


def frame_masks(seed=3):
    rng = np.random.default_rng(seed)
    return (rng.random((len(FRAMES), ROWS, COLS)) < 0.45).astype(np.uint8)


def make_seg(path, frames=FRAMES, masks=None, truncate=False, drop_segment=None, z_shift=None):
    ds = pydicom.dcmread(template)
    masks = frame_masks() if masks is None else masks
    ds.Rows, ds.Columns, ds.NumberOfFrames = ROWS, COLS, len(frames)
    seg2 = copy.deepcopy(ds.SegmentSequence[0])
    seg2.SegmentNumber, seg2.SegmentLabel = 2, "second"
    ds.SegmentSequence.append(seg2)
    item0 = ds.PerFrameFunctionalGroupsSequence[0]
    items = []
    for f, (k, s) in enumerate(frames):
        it = copy.deepcopy(item0)
        z = Z0 + k + (z_shift if z_shift is not None and f == 0 else 0)
        it.PlanePositionSequence[0].ImagePositionPatient = [-20.0, 10.0, z]
        it.SegmentIdentificationSequence[0].ReferencedSegmentNumber = s
        if drop_segment == f:
            del it.SegmentIdentificationSequence
        items.append(it)
    ds.PerFrameFunctionalGroupsSequence = items
    pm = ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
    pm.PixelSpacing, pm.SpacingBetweenSlices, pm.SliceThickness = list(SPACING), 1.0, 1.0
    packed = pack_bits(masks.reshape(-1))
    ds.PixelData = packed[: len(packed) // 2] if truncate else packed
    ds.save_as(path, write_like_original=False)


def expected_from_pydicom(path):
    """The label map built from pydicom's decoding of each frame."""
    ds = pydicom.dcmread(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        px = ds.pixel_array.reshape(len(FRAMES), ROWS, COLS)
    zs = [float(it.PlanePositionSequence[0].ImagePositionPatient[2]) for it in ds.PerFrameFunctionalGroupsSequence]
    segs = [int(it.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
            for it in ds.PerFrameFunctionalGroupsSequence]
    z0 = min(zs)
    out = np.zeros((COLS, ROWS, int(round(max(zs) - z0)) + 1), np.uint8)
    for f in range(len(FRAMES)):
        k = int(round(zs[f] - z0))
        out[:, :, k] = np.maximum(out[:, :, k], (px[f].T > 0) * segs[f])
    return out


good = f"{d}/seg.dcm"
make_seg(good)
r = medseg("convert", "-q", good, f"{d}/seg.nii", check=False)
c.check(r.returncode == 0, f"SEG converts ({r.stderr.strip()})")
if r.returncode == 0:
    img = nib.load(f"{d}/seg.nii")
    got = np.asarray(img.dataobj)
    want = expected_from_pydicom(good)
    c.check(got.dtype == np.uint8, f"labels as uint8 ({got.dtype})")
    c.check(got.shape == want.shape, f"shape {got.shape} vs {want.shape} (empty plane z0+3 kept)")
    if got.shape == want.shape:
        c.check(np.array_equal(got, want), f"labels equal pydicom's frames ({int((got != want).sum())} differ)")
    c.check(set(np.unique(got)) <= {0, 1, 2} and (got == 2).any() and (got == 1).any(), "both segments present")
    c.check(not got[:, :, 3].any(), "the plane no frame holds is empty")
    lps = ras_to_lps(img.affine)
    c.check(np.allclose(lps[:3, 3], [-20.0, 10.0, Z0], atol=1e-4), f"origin at the first plane: {lps[:3, 3]}")
    c.check(np.allclose(np.diag(lps)[:3], [SPACING[1], SPACING[0], 1.0], atol=1e-5),
            f"voxel size column, row, step: {np.diag(lps)[:3]}")
    c.check("overlap" in r.stderr, f"overlap warned: {r.stderr.strip()}")

for name, kw, msg in (("offgrid", {"z_shift": 0.4}, "off the"),
                      ("nosegment", {"drop_segment": 1}, "names no segment"),
                      ("truncated", {"truncate": True}, "pixel data holds")):
    p = f"{d}/{name}.dcm"
    make_seg(p, **kw)
    out = f"{d}/{name}.nii"
    r = medseg("convert", "-q", p, out, check=False)
    c.check(r.returncode == 3 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1,
            f"{name}: exit {r.returncode}, one line with '{msg}': {r.stderr.strip()}")
    c.check(not os.path.exists(out), f"{name}: no output")
c.done()
