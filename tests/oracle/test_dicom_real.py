"""Real series from ../shared/data: medseg convert agrees with dcm2niix (same
intensity at the same LPS position) and with pydicom's pixel values at the
positions the DICOM headers give; the GE gantry-tilt series with uneven
spacing is checked slice by slice against pydicom; a JPEG 2000 series
decodes bit-exact against dcm2niix, and a damaged one is exit 3, no output."""
import glob
import json
import os
import shutil
import subprocess
from common import need, shared, medseg, tmpdir, Checker

np, nib, pydicom = need("numpy", "nibabel", "pydicom")
base = shared()
if not shutil.which("dcm2niix"):
    print("SKIP: dcm2niix is not installed")
    raise SystemExit(77)
c = Checker()
d = tmpdir()


def lps(img):
    return np.diag([-1.0, -1.0, 1, 1]) @ img.affine


def dcm2niix(src, name):
    out = os.path.join(d, "d2n_" + name)
    os.makedirs(out, exist_ok=True)
    subprocess.run(["dcm2niix", "-z", "n", "-b", "n", "-f", "x", "-o", out, src], capture_output=True, check=True)
    files = sorted(glob.glob(os.path.join(out, "x*.nii")))
    return nib.load(files[0])


def same_grid_compare(name, ours, ref):
    """Maps every voxel of ours into dcm2niix's grid; positions must land on
    voxel centres and intensities must be equal."""
    a, b = np.asanyarray(ours.dataobj).astype(np.float64), ref.get_fdata()
    m = np.linalg.inv(lps(ref)) @ lps(ours)
    ii, jj, kk = np.meshgrid(*[np.arange(s) for s in a.shape], indexing="ij")
    pts = np.stack([ii.ravel(), jj.ravel(), kk.ravel(), np.ones(ii.size)])
    q = (m @ pts)[:3]
    c.check(np.abs(q - np.rint(q)).max() < 1e-3, f"{name}: grids do not coincide ({np.abs(q - np.rint(q)).max()})")
    qi = np.rint(q).astype(int)
    inside = np.all((qi >= 0) & (qi < np.array(b.shape)[:3, None]), axis=0)
    c.check(inside.mean() == 1.0, f"{name}: {100 * (1 - inside.mean()):.1f}% of voxels fall outside dcm2niix's grid")
    diff = np.abs(a.ravel()[inside] - b[qi[0, inside], qi[1, inside], qi[2, inside]])
    c.check(diff.max() == 0, f"{name}: intensities differ from dcm2niix by up to {diff.max()}")


def pydicom_compare(name, folder, ours, exact_slices_only=False):
    """Every file's pixels (HU) sit at the voxel whose LPS position is given by
    that file's ImagePositionPatient/Orientation/PixelSpacing."""
    data, inv = np.asanyarray(ours.dataobj).astype(np.float64), np.linalg.inv(lps(ours))
    worst_pos = worst_val = 0.0
    found = 0
    for f in sorted(glob.glob(os.path.join(folder, "*"))):
        try:
            ds = pydicom.dcmread(f)
            px = ds.pixel_array.astype(np.float64) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
        except Exception:
            continue
        ipp = np.array(ds.ImagePositionPatient, float)
        iop = np.array(ds.ImageOrientationPatient, float)
        dr, dc = map(float, ds.PixelSpacing)
        k = (inv @ np.r_[ipp, 1])[2]
        if exact_slices_only and abs(k - round(k)) > 1e-3:
            continue      # an input slice between two output slices (resampled)
        found += 1
        for j, i in ((0, 0), (7, 300), (255, 256), (400, 17), (px.shape[0] - 1, px.shape[1] - 1)):
            w = ipp + i * dc * iop[:3] + j * dr * iop[3:]
            q = (inv @ np.r_[w, 1])[:3]
            worst_pos = max(worst_pos, float(np.abs(q - np.rint(q)).max()))
            worst_val = max(worst_val, abs(data[tuple(np.rint(q).astype(int))] - px[j, i]))
    c.check(found > 0, f"{name}: no slice compared")
    c.check(worst_pos < 1e-3, f"{name}: positions off by {worst_pos} voxel")
    c.check(worst_val == 0, f"{name}: values differ from pydicom by {worst_val}")
    return found


for name, rel in (("lidc2", "lidc_ct_slabs/LIDC-IDRI-0002"), ("lidc3", "lidc_ct_slabs/LIDC-IDRI-0003"),
                  ("petct", "lung_pet_ct_dx/Lung_Dx-A0002_series3_8mm_B40f")):
    folder = os.path.join(base, rel)
    out = os.path.join(d, name + ".nii.gz")
    medseg("convert", folder, out)
    ours = nib.load(out)
    same_grid_compare(name, ours, dcm2niix(folder, name))
    n = pydicom_compare(name, folder, ours)
    c.check(n == ours.shape[2], f"{name}: {n} files vs {ours.shape[2]} slices")

# GE head CT, gantry tilt 18.5 degrees and gaps of 4.22/1.14/7.38 mm.
tilt = os.path.join(base, "dicom_edge_cases/ge_head_ct_gantry_tilt")
out = os.path.join(d, "tilt.nii.gz")
r = medseg("convert", tilt, out)
c.check("tilt" in r.stderr and "uneven" in r.stderr, "tilt and uneven spacing are reported")
ours = nib.load(out)
n = pydicom_compare("ge-tilt", tilt, ours, exact_slices_only=True)
c.check(n >= 14, f"ge-tilt: only {n} input slices coincide with output slices")
# dcm2niix resamples tilted series in-plane ("tilt correction") and we keep
# the tilt in a sheared affine instead, so pydicom's positions above are the
# oracle here rather than dcm2niix's corrected grid.

# JPEG 2000 (lossless, from a Siemens scanner) through OpenJPEG: bit-exact
# against dcm2niix, which links OpenJPEG too, voxel for voxel through both
# affines (dcm2niix flips the rows); a damaged codestream header is exit 3,
# one line, no output.
j2k = os.path.join(base, "totalsegmentator/example_ct_dicom_jpeg2000")
out = os.path.join(d, "j2k.nii.gz")
medseg("convert", j2k, out)
ours = nib.load(out)
if shutil.which("dcm2niix"):
    pd = os.path.join(d, "j2k_peer")
    os.makedirs(pd)
    subprocess.run(["dcm2niix", "-z", "y", "-f", "peer", "-o", pd, j2k], capture_output=True, check=True)
    peer = nib.load(os.path.join(pd, "peer.nii.gz"))
    m = np.linalg.inv(peer.affine) @ ours.affine
    c.check(np.allclose(m[:3, :3], np.diag([1, -1, 1]), atol=1e-6) and abs(m[1, 3] - (ours.shape[1] - 1)) < 1e-3,
            f"JPEG 2000: affine differs from dcm2niix's beyond its row flip:\n{m}")
    a, b = np.asanyarray(ours.dataobj).astype(np.float64), peer.get_fdata()[:, ::-1, :]
    c.check(a.shape == b.shape and np.array_equal(a, b), "JPEG 2000: voxels differ from dcm2niix")
    c.check(a.min() == -1024 and a.max() > 1000, f"JPEG 2000: HU range {a.min()}..{a.max()}")
else:
    print("SKIP: dcm2niix is absent; JPEG 2000 is checked for shape only")
c.check(ours.shape == (512, 512, 20), f"JPEG 2000 shape {ours.shape}")
info = json.loads(medseg("info", "--json", j2k).stdout)
ts = info.get("dicom", {}).get("transfer_syntax")
c.check(ts == "1.2.840.10008.1.2.4.90", f"info transfer syntax {ts}")
bad = os.path.join(d, "j2k_bad")
os.makedirs(bad)
src = sorted(glob.glob(os.path.join(j2k, "*")))[0]
raw = bytearray(open(src, "rb").read())
soc = raw.find(b"\xff\x4f\xff\x51")
raw[soc + 4:soc + 44] = b"\xff" * 40   # the SIZ segment: image size and components
open(os.path.join(bad, "x.dcm"), "wb").write(raw)
out = os.path.join(d, "j2k_bad.nii.gz")
r = medseg("convert", bad, out, check=False)
c.check(r.returncode == 3, f"damaged JPEG 2000 exit code {r.returncode}")
c.check("JPEG 2000" in r.stderr and "x.dcm" in r.stderr and "frame 1 of 1" in r.stderr and r.stderr.count("\n") == 1,
        f"damaged JPEG 2000 message names the file and frame: {r.stderr!r}")
c.check(not os.path.exists(out), "no output after failure")

# JPEG baseline (a CR radiograph): lossy JPEG decoders differ by a few grey
# levels, so pydicom's decode is the oracle with a small tolerance.
cr = glob.glob(os.path.join(base, "chest_xray", "*.dcm"))[0]
out = os.path.join(d, "cr.nii.gz")
medseg("convert", cr, out)
a = np.asanyarray(nib.load(out).dataobj).astype(float)[:, :, 0].T
try:
    p = pydicom.dcmread(cr).pixel_array.astype(float)
except Exception as e:       # pydicom needs Pillow or pylibjpeg for JPEG
    p = None
    print("note: pydicom cannot decode JPEG here:", e)
if p is not None:
    c.check(a.shape == p.shape, f"CR shape {a.shape} vs {p.shape}")
    diff = np.abs(a - p)
    c.check(diff.max() <= 8 and diff.mean() < 1, f"CR JPEG baseline vs pydicom: max {diff.max()}, mean {diff.mean():.3f}")

# Two slices at 0 and 1 mm without other position data.
two = os.path.join(base, "dicom_edge_cases/chest_ct_2slices_no_position")
import json
js = json.loads(medseg("info", "--json", two).stdout)
c.check(js["dims"][2] == 2 and abs(js["spacing"][2] - 1.0) < 1e-6, f"two-slice series {js['dims']} {js['spacing']}")
c.done()
