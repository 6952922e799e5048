"""DICOM series written with pydicom from known arrays: oblique orientation,
shuffled file names, rescale slope/intercept, two series in one folder, a
missing slice, a tilted stack. Checks values and world (LPS) positions of
voxels against the known geometry, through `medseg convert` and nibabel."""
import json
import os
import random
from common import need, medseg, tmpdir, Checker

np, nib, pydicom = need("numpy", "nibabel", "pydicom")
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid, CTImageStorage

c = Checker()
root = tmpdir()
rng = np.random.default_rng(11)


def write_series(folder, arrays, ipps, iop, spacing, slope=1.0, inter=-1024.0, series_uid=None, signed=False,
                 bits=(16, 16), implicit=False, trailer=False):
    """arrays hold the stored words themselves when bits[1] < bits[0]
    (high bits may carry garbage the reader must mask away)."""
    os.makedirs(folder, exist_ok=True)
    series_uid = series_uid or generate_uid()
    names = [f"{random.random():.12f}.dcm" for _ in arrays]   # order must not matter
    for n, (arr, ipp) in enumerate(zip(arrays, ipps)):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.SeriesInstanceUID = series_uid
        ds.StudyInstanceUID = "1.2.3.4"
        ds.Modality = "CT"
        ds.PatientName = "SECRET^NAME"
        ds.PatientID = "ID-SECRET-42"
        ds.InstanceNumber = len(arrays) - n          # reversed on purpose
        ds.ImagePositionPatient = [f"{v:.6f}" for v in ipp]
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in iop]
        ds.PixelSpacing = [f"{spacing[0]}", f"{spacing[1]}"]
        ds.SliceThickness = "1"
        ds.Rows, ds.Columns = arr.shape
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits[0], bits[1], bits[1] - 1
        ds.PixelRepresentation = 1 if signed else 0
        ds.RescaleSlope = f"{slope}"
        ds.RescaleIntercept = f"{inter}"
        word = {8: np.uint8, 16: np.uint16, 32: np.uint32}[bits[0]]
        ds.PixelData = (arr.astype(np.int64) & np.iinfo(word).max).astype(word).tobytes()
        if trailer:   # an element after Pixel Data: the file no longer ends with the values
            ds.add_new(0xFFFCFFFC, "OB", b"\0" * 6)
        ds.is_implicit_VR, ds.is_little_endian = implicit, True
        ds.save_as(os.path.join(folder, names[n]), write_like_original=False)
    return series_uid


def stack(iop, ipp0, step_vec, n):
    return [np.asarray(ipp0) + k * np.asarray(step_vec) for k in range(n)]


def load_lps(path):
    img = nib.load(path)
    return np.asanyarray(img.dataobj), np.diag([-1.0, -1.0, 1, 1]) @ img.affine


def check_positions(tag, out_path, arrays, ipps, iop, spacing, slope, inter, samples=200):
    """Every sampled pixel of every input slice is found, with its HU value,
    at the voxel whose world position equals the pixel's DICOM position."""
    data, aff = load_lps(out_path)
    inv = np.linalg.inv(aff)
    r, cc = np.asarray(iop[:3]), np.asarray(iop[3:])
    worst_pos, worst_val = 0.0, 0.0
    for arr, ipp in zip(arrays, ipps):
        rows, cols = arr.shape
        for _ in range(samples):
            j, i = rng.integers(rows), rng.integers(cols)
            world = np.asarray(ipp) + i * spacing[1] * r + j * spacing[0] * cc
            ijk = (inv @ np.r_[world, 1])[:3]
            worst_pos = max(worst_pos, float(np.abs(ijk - np.rint(ijk)).max()))
            vi = tuple(int(x) for x in np.rint(ijk))
            expected = arr[j, i] * slope + inter
            worst_val = max(worst_val, abs(float(data[vi]) - expected))
    c.check(worst_pos < 1e-3, f"{tag}: voxel position off by {worst_pos} voxel")
    c.check(worst_val < 1e-3 * max(1, abs(slope)), f"{tag}: value off by {worst_val}")


# 1. oblique, shuffled names, integer rescale -> int16 HU
iop = [0.8660254, 0.5, 0.0, 0.0, 0.0, -1.0]   # rows along (cos30, sin30, 0), columns down
n_vec = np.cross(iop[:3], iop[3:])
arrays = [rng.integers(0, 3000, size=(24, 20)) for _ in range(9)]
ipps = stack(iop, [-40.0, 22.5, 81.0], 1.75 * n_vec, 9)
folder = os.path.join(root, "oblique")
write_series(folder, arrays, ipps, iop, (0.6, 0.9))
out = os.path.join(root, "oblique.nii.gz")
medseg("convert", folder, out)
check_positions("oblique", out, arrays, ipps, iop, (0.6, 0.9), 1.0, -1024.0)
c.check(nib.load(out).get_data_dtype() == np.int16, "integer rescale keeps int16")

# 2. fractional slope -> float32; signed storage
arrays = [rng.integers(-2000, 2000, size=(16, 16)) for _ in range(5)]
ipps = stack([1, 0, 0, 0, 1, 0], [0, 0, -10], [0, 0, 2.0], 5)
folder = os.path.join(root, "slope")
write_series(folder, arrays, ipps, [1, 0, 0, 0, 1, 0], (1.0, 1.0), slope=0.25, inter=3.5, signed=True)
out = os.path.join(root, "slope.nii")
medseg("convert", folder, out)
check_positions("slope", out, arrays, ipps, [1, 0, 0, 0, 1, 0], (1.0, 1.0), 0.25, 3.5)
c.check(nib.load(out).get_data_dtype() == np.float32, "fractional rescale gives float32")

# 3. two series in one folder: default = the larger, --series picks the other
both = os.path.join(root, "two")
a_arrays = [rng.integers(0, 100, size=(8, 8)) for _ in range(6)]
b_arrays = [rng.integers(500, 600, size=(8, 8)) for _ in range(3)]
ua = write_series(both, a_arrays, stack([1, 0, 0, 0, 1, 0], [0, 0, 0], [0, 0, 1], 6), [1, 0, 0, 0, 1, 0], (1, 1))
ub = write_series(both, b_arrays, stack([1, 0, 0, 0, 1, 0], [0, 0, 0], [0, 0, 3], 3), [1, 0, 0, 0, 1, 0], (1, 1))
js = json.loads(medseg("info", "--json", both).stdout)
c.check(js["dicom"]["n_series"] == 2 and js["dicom"]["series_uid"] == ua and js["dims"][2] == 6, "largest series chosen")
js = json.loads(medseg("info", "--json", "--series", ub, both).stdout)
c.check(js["dicom"]["series_uid"] == ub and js["dims"][2] == 3 and js["min"] >= 500 - 1024, "--series selects")
r = medseg("info", "--series", "1.2.3.999", both, check=False)
c.check(r.returncode == 3 and "1.2.3.999" in r.stderr, "unknown --series is exit 3")
c.check("SECRET" not in r.stderr + medseg("info", both).stdout + medseg("info", both).stderr, "no patient identifiers")

# 4. a missing slice: positions kept exact, the gap interpolated, reported
arrays = [rng.integers(0, 1000, size=(10, 12)) for _ in range(8)]
ipps = stack([1, 0, 0, 0, 1, 0], [5, 6, 7], [0, 0, 2.5], 8)
keep = [k for k in range(8) if k != 4]
folder = os.path.join(root, "missing")
write_series(folder, [arrays[k] for k in keep], [ipps[k] for k in keep], [1, 0, 0, 0, 1, 0], (0.5, 0.5))
out = os.path.join(root, "missing.nii.gz")
r = medseg("convert", folder, out)
c.check("uneven" in r.stderr, "missing slice reported")
data, _ = load_lps(out)
c.check(data.shape[2] == 8, f"missing slice restored on the even grid ({data.shape})")
check_positions("missing", out, [arrays[k] for k in keep], [ipps[k] for k in keep], [1, 0, 0, 0, 1, 0], (0.5, 0.5), 1, -1024)
mid = 0.5 * (arrays[3] + arrays[5]) - 1024
c.check(np.abs(data[:, :, 4].T - mid).max() <= 0.5, "gap filled by linear interpolation")
js = json.loads(medseg("info", "--json", folder).stdout)
c.check(js["dicom"]["uniform_spacing"] is False and js["dicom"]["resampled"] is True, "info reports uneven spacing")

# 5. tilted stack: kept exact in a sheared affine
iop = [1, 0, 0, 0, 0.9483237, -0.3173047]
arrays = [rng.integers(0, 1000, size=(12, 12)) for _ in range(6)]
ipps = stack(iop, [-20, -30, 5], [0, 0, 4.22], 6)
folder = os.path.join(root, "tilt")
write_series(folder, arrays, ipps, iop, (0.5, 0.5))
out = os.path.join(root, "tilt.nii.gz")
medseg("convert", folder, out)
check_positions("tilt", out, arrays, ipps, iop, (0.5, 0.5), 1, -1024)
js = json.loads(medseg("info", "--json", folder).stdout)
c.check(js["dicom"]["tilted"] and abs(js["dicom"]["tilt_deg"] - 18.5) < 0.05, f"tilt {js['dicom']['tilt_deg']}")

# 6. a single file reads as one slice
one = os.path.join(folder, sorted(os.listdir(folder))[0])
js = json.loads(medseg("info", "--json", one).stdout)
c.check(js["dims"][:2] == [12, 12] and js["dims"][2] == 1, "single DICOM file")

# 7. stored formats: each staged in its narrowest type, values exact
def stored_case(tag, arrays, expect, dtype, **kw):
    folder = os.path.join(root, tag)
    ipps = stack([1, 0, 0, 0, 1, 0], [0, 0, 0], [0, 0, 1.5], len(arrays))
    write_series(folder, arrays, ipps, [1, 0, 0, 0, 1, 0], (0.7, 0.7), **kw)
    out = os.path.join(root, tag + ".nii")
    medseg("convert", folder, out)
    img = nib.load(out)
    got = np.asarray(img.dataobj)
    want = np.stack([e.T for e in expect], axis=2)
    c.check(img.get_data_dtype() == dtype, f"{tag}: dtype {img.get_data_dtype()} (want {np.dtype(dtype)})")
    c.check(got.shape == want.shape and np.array_equal(got, want), f"{tag}: values exact")


def sign_extend(words, bits):
    v = words & ((1 << bits) - 1)
    return np.where(v >= 1 << (bits - 1), v - (1 << bits), v)


u16 = [rng.integers(0, 65536, size=(9, 11)) for _ in range(4)]
u16[0][0, 0], u16[1][0, 0] = 65535, 0
stored_case("u16_identity", u16, u16, np.uint16, inter=0.0)
stored_case("u16_intercept", u16, [a - 1024 for a in u16], np.int32)
stored_case("u16_implicit", u16, [a - 1024 for a in u16], np.int32, implicit=True)
stored_case("u16_trailer", u16, [a - 1024 for a in u16], np.int32, trailer=True)
w12 = [rng.integers(0, 65536, size=(9, 11)) for _ in range(4)]   # garbage above bit 11
stored_case("s12", w12, [sign_extend(w, 12) for w in w12], np.int16, signed=True, bits=(16, 12), inter=0.0)
stored_case("s12_trailer", w12, [sign_extend(w, 12) - 1024 for w in w12], np.int16, signed=True, bits=(16, 12),
            trailer=True)
stored_case("u12", w12, [(w & 0xFFF) * 2 - 1024 for w in w12], np.int16, bits=(16, 12), slope=2.0)
u8 = [rng.integers(0, 256, size=(9, 11)) for _ in range(3)]
stored_case("u8", u8, [a - 1024 for a in u8], np.int16, bits=(8, 8))
stored_case("s8_implicit", u8, [sign_extend(a, 8) for a in u8], np.int16, bits=(8, 8), signed=True, inter=0.0,
            implicit=True)
s16 = [rng.integers(-32768, 32768, size=(9, 11)) for _ in range(3)]
stored_case("s16_wide", s16, [a * 3 + 7 for a in s16], np.int32, signed=True, slope=3.0, inter=7.0)
# unsigned 32-bit samples above 2^31 are read unsigned (float64 holds them
# exactly); below it they stay int32
u32 = [rng.integers(0, 1 << 32, size=(9, 11), dtype=np.uint64) for _ in range(3)]
u32[0][0, 0], u32[1][0, 0] = (1 << 32) - 1, 0
stored_case("u32_high", u32, u32, np.float64, bits=(32, 32), inter=0.0)
stored_case("u32_low", [a >> 1 for a in u32], [a >> 1 for a in u32], np.int32, bits=(32, 32), inter=0.0)

# 8. geometry the files do not give is assumed, and said so
src = os.path.join(root, "u16_identity")
bare = pydicom.dcmread(os.path.join(src, sorted(os.listdir(src))[0]))
for tag in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "SliceThickness"):
    delattr(bare, tag)
bare_path = os.path.join(root, "bare.dcm")
bare.save_as(bare_path)
r = medseg("info", "--json", bare_path)
js = json.loads(r.stdout)
c.check(js["dicom"]["assumed_geometry"] == ["position", "orientation", "pixel_spacing", "slice_step"],
        f"assumed geometry listed: {js['dicom']['assumed_geometry']}")
c.check("ImagePositionPatient (origin 0 assumed)" in r.stderr and "PixelSpacing (1 mm assumed)" in r.stderr,
        f"assumed geometry warned: {r.stderr.strip()}")
js = json.loads(medseg("info", "--json", src).stdout)
c.check(js["dicom"]["assumed_geometry"] == [], "a complete series assumes nothing")

# 9. multi-frame Enhanced CT: geometry from the functional groups (per-frame
# positions in shuffled frame order, shared orientation and spacing, a
# per-frame rescale overriding the shared one), uncompressed and RLE.
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence


def item(**kw):
    d = Dataset()
    for k, v in kw.items():
        setattr(d, k, v)
    return d


def write_enhanced(path, arrays, ipps, iop, spacing, rescales, rle=False):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.SeriesInstanceUID, ds.StudyInstanceUID, ds.Modality = generate_uid(), "1.2.3.4", "CT"
    ds.NumberOfFrames = len(arrays)
    ds.Rows, ds.Columns = arrays[0].shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.SharedFunctionalGroupsSequence = Sequence([item(
        PixelMeasuresSequence=Sequence([item(PixelSpacing=[f"{spacing[0]}", f"{spacing[1]}"], SliceThickness="2")]),
        PlaneOrientationSequence=Sequence([item(ImageOrientationPatient=[f"{v:.8f}" for v in iop])]),
        PixelValueTransformationSequence=Sequence([item(RescaleSlope="1", RescaleIntercept="-1024",
                                                        RescaleType="HU")]))])
    per = []
    for ipp, (m, b) in zip(ipps, rescales):
        f = item(PlanePositionSequence=Sequence([item(ImagePositionPatient=[f"{v:.6f}" for v in ipp])]))
        if (m, b) != (1, -1024):
            f.PixelValueTransformationSequence = Sequence([item(RescaleSlope=f"{m}", RescaleIntercept=f"{b}",
                                                                RescaleType="HU")])
        per.append(f)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per)
    ds.PixelData = np.stack(arrays).astype(np.uint16).tobytes()
    ds.is_implicit_VR, ds.is_little_endian = False, True
    if rle:
        from pydicom.uid import RLELossless
        ds.compress(RLELossless)
    ds.save_as(path, write_like_original=False)


iop = [0.8660254, 0.5, 0.0, 0.0, 0.0, -1.0]
n_vec = np.cross(iop[:3], iop[3:])
arrays = [rng.integers(0, 3000, size=(14, 12)) for _ in range(7)]
ipps = stack(iop, [-40.0, 22.5, 81.0], 2.5 * n_vec, 7)
order = [3, 0, 6, 2, 5, 1, 4]   # frames not in spatial order
rescales = [(1, -1024)] * 7
rescales[order.index(5)] = (1, -1000)    # one frame with its own intercept
hu = [arrays[k] * m + b for k, (m, b) in zip(order, rescales)]
for rle in (False, True):
    tag = "enhanced_rle" if rle else "enhanced"
    path = os.path.join(root, tag + ".dcm")
    try:
        write_enhanced(path, [arrays[k] for k in order], [ipps[k] for k in order], iop, (0.6, 0.9), rescales, rle)
    except Exception as e:   # pydicom without its RLE encoder
        print(f"note: {tag} not written ({e})")
        continue
    out = os.path.join(root, tag + ".nii.gz")
    medseg("convert", path, out)
    check_positions(tag, out, hu, [ipps[k] for k in order], iop, (0.6, 0.9), 1.0, 0.0)
    c.check(nib.load(out).shape == (12, 14, 7), f"{tag}: one slice a frame {nib.load(out).shape}")
# RT dose (pydicom's own files: GridFrameOffsetVector, 32-bit, DoseGridScaling;
# little and big endian, RLE with UN-encoded attributes) equal pydicom's values.
tf = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
for name in ("rtdose.dcm", "rtdose_expb.dcm", "rtdose_rle.dcm"):
    src = os.path.join(tf, name)
    if not os.path.exists(src):
        print(f"note: {src} absent")
        continue
    d = pydicom.dcmread(src)
    want = d.pixel_array.astype(np.float64) * float(d.DoseGridScaling)
    out = os.path.join(root, name + ".nii.gz")
    medseg("convert", src, out)
    img = nib.load(out)
    got = np.transpose(np.asanyarray(img.dataobj), (2, 1, 0))
    c.check(got.shape == want.shape and np.abs(got - want).max() <= 1e-6 * np.abs(want).max(),
            f"{name}: values equal pydicom's")
    c.check(np.allclose(img.header.get_zooms(), (10, 10, 5)), f"{name}: spacing {img.header.get_zooms()}")

# 10. a data set encoded otherwise than its meta header says (explicit VR
# under an implicit-VR header): read as encoded, equal to pydicom, warned.
import warnings
from pydicom.uid import ImplicitVRLittleEndian as _implicit
mm = pydicom.dcmread(os.path.join(tf, "CT_small.dcm"))
if not mm.is_implicit_VR:
    mm.file_meta.TransferSyntaxUID = _implicit
    mm_path = os.path.join(root, "vr_mismatch.dcm")
    mm.save_as(mm_path, write_like_original=True)
    out = os.path.join(root, "vr_mismatch.nii")
    r = medseg("convert", mm_path, out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = pydicom.dcmread(mm_path)
        want = e.pixel_array * float(e.RescaleSlope) + float(e.RescaleIntercept)
    got = np.asanyarray(nib.load(out).dataobj)[:, :, 0].T
    c.check(np.array_equal(got, want), "VR mismatch: values equal pydicom's")
    c.check("read as encoded" in r.stderr and "1.2.840.10008.1.2 " in r.stderr, f"VR mismatch warned: {r.stderr.strip()}")
c.done()
