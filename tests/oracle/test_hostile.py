"""Hostile inputs of issue 21, each built here: exit code, a one-line message
naming the reason, and nothing left behind. NIfTI headers are poked byte by
byte; DICOM series come from `medseg phantom --dicom` and are edited with
pydicom (those cases skip, saying so, when pydicom is missing)."""
import json
import os
import shutil
import struct
import subprocess
import sys
import warnings

from common import Checker, medseg, tmpdir

T = tmpdir()
C = Checker()


def expect(args, code, fragment, out=None, what=""):
    r = medseg(*args, check=False)
    err = r.stderr.strip()
    lines = [x for x in err.splitlines() if not x.startswith("medseg: warning:")]
    # A usage error (exit 2) adds the command's usage line after the message.
    want_lines = (1, 2) if code == 2 else (1,)
    ok = r.returncode == code and bool(lines) and fragment in lines[0] and len(lines) in want_lines
    C.check(ok, f"{what or args[0]}: exit {r.returncode} (want {code}), message {err!r} (want one line with {fragment!r})")
    if out:
        C.check(not os.path.exists(out), f"{what}: {out} left behind")
    return r


def poke(src, dst, *edits):
    b = bytearray(open(src, "rb").read())
    for off, fmt, v in edits:
        struct.pack_into(fmt, b, off, v)
    open(dst, "wb").write(b)
    return dst


# ---- NIfTI headers (items 3, 4, 11, 12, 21) ----
base = os.path.join(T, "base.nii")
medseg("phantom", "chest", "-q", "-o", base, "--size", "16,16,8", "--spacing", "2,2,2", "--nodules", "0")
nan, inf = float("nan"), float("inf")
cases = [
    ("vox_offset 0", [(108, "<f", 0.0)], "vox_offset 0 is not a byte offset"),
    ("vox_offset negative", [(108, "<f", -352.0)], "vox_offset -352 is not a byte offset"),
    ("vox_offset NaN", [(108, "<f", nan)], "vox_offset nan is not a byte offset"),
    ("vox_offset fraction", [(108, "<f", 352.5)], "is not a byte offset"),
    ("sform NaN", [(254, "<h", 1), (280, "<f", nan)], "the sform holds NaN or infinity"),
    ("sform infinite", [(254, "<h", 1), (300, "<f", inf)], "the sform holds NaN or infinity"),
    ("qform NaN", [(254, "<h", 0), (252, "<h", 1), (256, "<f", nan)], "the qform (quaternion or offset) holds NaN"),
    ("sform singular", [(254, "<h", 1)] + [(280 + 4 * i, "<f", v) for i, v in
                                           enumerate([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])],
     "voxel spacing along axis 2 is 0 mm"),
    ("sform parallel axes", [(254, "<h", 1)] + [(280 + 4 * i, "<f", v) for i, v in
                                                enumerate([1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0])],
     "the voxel axes are (nearly) parallel"),
    ("spacing 1e30", [(254, "<h", 1), (280, "<f", 1e30)], "outside 0.0001..10000 mm"),
    ("datatype 999", [(70, "<h", 999)], "NIfTI datatype 999"),
    ("dims overflow", [(40, "<h", 7)] + [(42 + 2 * i, "<h", 32767) for i in range(7)], "more than 2^62 voxels"),
    ("extension past data", [(108, "<f", 4000.0), (348, "<B", 1), (352, "<i", 1_500_000_000)],
     "claims 1500000000 bytes, past vox_offset 4000"),
]
for name, edits, frag in cases:
    f = poke(base, os.path.join(T, name.replace(" ", "_") + ".nii"), *edits)
    out = os.path.join(T, "out.nii")
    expect(["convert", f, out], 3, frag, out, f"NIfTI {name}")
# The same refusals reach every reader: segment and --like.
bad = os.path.join(T, "sform_NaN.nii")
expect(["segment", bad, "-o", os.path.join(T, "m.nii"), "--box", "2,2,9,9"], 3, "NaN", os.path.join(T, "m.nii"),
       "segment on a NaN sform")
expect(["convert", base, os.path.join(T, "l.nii"), "--like", bad], 3, "NaN", os.path.join(T, "l.nii"),
       "convert --like a NaN sform")

# NIfTI-2 fields that NIfTI-1 cannot hold (item 12): named, exit 3.
n2 = os.path.join(T, "n2.nii")
medseg("convert", base, n2, "--nifti-version", "2")
# NIfTI-2 layout: slice_start int64 at 224, intent_code int32 at 504.
for field, off, fmt, v in (("slice_start", 224, "<q", 2 ** 40), ("intent_code", 504, "<i", 2 ** 30)):
    f = poke(n2, os.path.join(T, f"n2_{field}.nii"), (off, fmt, v))
    out = os.path.join(T, "n1.nii")
    expect(["convert", f, out, "--nifti-version", "1"], 3, f"{field} = {v} does not fit NIfTI-1", out,
           f"NIfTI-2 {field} to NIfTI-1")

# ---- memory (item 7): a small .nii.gz whose header asks for 4e9 voxels,
# inside the voxel limit: refused from the header with the estimate
# (exit 1) where the command would need more than the machine has ----
import gzip
big = os.path.join(T, "big_header.nii.gz")
hdr = bytearray(open(base, "rb").read()[:352])
struct.pack_into("<8h", hdr, 40, 3, 2000, 2000, 1000, 1, 1, 1, 1)
struct.pack_into("<hh", hdr, 70, 2, 8)   # uint8
with gzip.open(big, "wb") as f:
    f.write(bytes(hdr) + bytes(4096))
mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
if 4e9 * 13 > 0.8 * mem:
    out = os.path.join(T, "big_cc.nii")
    expect(["components", big, out], 1, "needs about 52.0 GB", out, "components on 4e9 voxels")
else:
    print("note: this machine holds 52 GB; the memory refusal is not exercised")
# Item 18: a 32 GB float64 grid is refused for its size, not as truncated.
big64 = os.path.join(T, "big64.nii.gz")
struct.pack_into("<hh", hdr, 70, 64, 64)   # float64
with gzip.open(big64, "wb") as f:
    f.write(bytes(hdr) + bytes(4096))
if 4e9 * 8 > 0.8 * mem:
    expect(["info", big64], 1, "needs about 32.0 GB", what="info on a 32 GB grid")
# --max-voxels overrides: the reader then finds the data missing (exit 3).
expect(["components", big, os.path.join(T, "big_cc.nii"), "--max-voxels", "5e9"], 3, "more than a gzip file",
       what="--max-voxels overrides the memory estimate")

# ---- label maps with NaN or infinity (item 13) ----
lab = os.path.join(T, "labels.nii")
medseg("convert", base, lab, "--dtype", "float32")
raw = bytearray(open(lab, "rb").read())
struct.pack_into("<f", raw, 352 + 4 * 100, nan)
open(lab, "wb").write(raw)
out = os.path.join(T, "cc.nii")
expect(["components", lab, out], 3, "a label map holding NaN or infinity", out, "components on NaN")

# ---- CSV with a NUL byte (item 14) ----
csv, ref = os.path.join(T, "pred.csv"), os.path.join(T, "ref.csv")
open(csv, "wb").write(b"id,score\na,0.5\nb\x00x,0.7\n")
open(ref, "wb").write(b"id,label\na,1\nb,0\n")
expect(["validate", "classify", "--pred", csv, "--ref", ref, "--csv", os.path.join(T, "v.csv")], 3, "a NUL byte",
       os.path.join(T, "v.csv"), "CSV with NUL")

# ---- numeric options (items 15, 16): exit 2 ----
for args, frag in ((["--max-voxels", "nan"], "finite number"), (["--max-voxels", "inf"], "finite number"),
                   (["--max-voxels", "1e30"], "at most 2^62"), (["--max-voxels", "-3"], "at least 1")):
    expect(["info", base, *args], 2, frag, what=f"info {' '.join(args)}")
expect(["segment", base, "-o", os.path.join(T, "s.nii"), "--slice", "-7", "--box", "2,2,9,9"], 2, "must be 0 or more",
       os.path.join(T, "s.nii"), "--slice -7")
expect(["segment", base, "-o", os.path.join(T, "s.nii"), "--box", "2,2,9,9", "--window", "nan,400"], 2,
       "--window expects", os.path.join(T, "s.nii"), "--window nan")
expect(["convert", base, os.path.join(T, "g.nii.gz"), "--gz-level", "99"], 2, "--gz-level must be 0..12",
       os.path.join(T, "g.nii.gz"), "--gz-level 99")
expect(["validate", "seg", "--pred", base, "--ref", base, "--labels", "99999999999999999999"], 2, "--labels expects",
       what="--labels overflow")

# ---- all or nothing (item 9): a later output that fails takes the
# earlier ones with it ----
nowhere = os.path.join(T, "no", "such", "dir")
mask = os.path.join(T, "mask9.nii")
r = medseg("segment", base, "-o", mask, "--box", "2,2,9,9", "--json", os.path.join(nowhere, "r.json"), check=False)
C.check(r.returncode != 0 and not os.path.exists(mask), f"segment: mask left behind when --json fails ({r.returncode})")
img9, truth9 = os.path.join(T, "ph9.nii"), os.path.join(T, "ph9.csv")
r = medseg("phantom", "chest", "-q", "-o", img9, "--size", "16,16,8", "--truth", truth9, "--mask",
           os.path.join(nowhere, "m.nii"), check=False)
C.check(r.returncode != 0 and not os.path.exists(img9) and not os.path.exists(truth9),
        f"phantom: image or truth left behind when --mask fails ({r.returncode})")
npz_out = os.path.join(T, "npz_all_fail")
r = medseg("prepare-npz", os.path.join(T, "vox_offset_0.nii"), "-o", npz_out, check=False)
C.check(r.returncode != 0 and not os.path.exists(npz_out),
        f"prepare-npz: output folder left behind when every case fails ({r.returncode})")

# ---- signals (item 8): a killed write leaves no temporary ----
import signal
import time
sig_dir = os.path.join(T, "sig")
os.makedirs(sig_dir)
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    p = subprocess.Popen([os.environ["MEDSEG"], "phantom", "chest", "-q", "-o", os.path.join(sig_dir, "big.nii.gz"),
                          "--size", "384,384,200", "--nodules", "0"], stderr=subprocess.DEVNULL)
    seen = False
    t0 = time.time()
    while p.poll() is None and time.time() - t0 < 60:
        if any(".tmp" in f for f in os.listdir(sig_dir)):
            seen = True
            p.send_signal(sig)
            break
        time.sleep(0.005)
    p.wait()
    left = [f for f in os.listdir(sig_dir) if ".tmp" in f]
    C.check(seen and p.returncode == -sig and not left,
            f"{sig.name} during a write: temporary seen {seen}, exit {p.returncode}, left {left}")
    for f in os.listdir(sig_dir):
        os.remove(os.path.join(sig_dir, f))

# ---- DICOM folders (items 2, 3, 5, 6, 17) ----
warnings.simplefilter("ignore")   # pydicom warns of the over-long UIDs made on purpose
try:
    import pydicom
except ImportError:
    pydicom = None
    print("note: pydicom is missing (install python3-pydicom); DICOM cases skipped")


def series(name, n=4, seed=1):
    d = os.path.join(T, name)
    medseg("phantom", "chest", "-q", "-o", os.path.join(T, name + ".nii"), "--size", f"16,16,{n}", "--spacing",
           "2,2,2", "--nodules", "0", "--seed", seed, "--dicom", d)
    return d, sorted(os.path.join(d, f) for f in os.listdir(d))


if pydicom:
    # Item 2: two symlinks to "." -- the walk visits each folder once.
    d, files = series("loop")
    os.symlink(".", os.path.join(d, "a"))
    os.symlink(".", os.path.join(d, "b"))
    try:
        r = subprocess.run([os.environ["MEDSEG"], "info", "--json", d], capture_output=True, text=True, timeout=60)
        info = json.loads(r.stdout) if r.returncode == 0 else {}
        C.check(info.get("dicom", {}).get("files") == len(files),
                f"symlink loop: each file once ({info.get('dicom', {}).get('files')} of {len(files)})")
    except subprocess.TimeoutExpired:
        C.check(False, "symlink loop: the walk did not end within 60 s")

    # Item 3: PixelSpacing 0 and 1e300.
    for name, ps in (("spacing0", [0, 0]), ("spacing1e300", [1e300, 1e300])):
        d, files = series(name)
        for f in files:
            ds = pydicom.dcmread(f)
            ds.PixelSpacing = ps
            ds.save_as(f)
        out = os.path.join(T, name + "_out.nii")
        expect(["convert", d, out], 3, "PixelSpacing", out, f"DICOM {name}")

    # Item 5: a truncated file inside the series: named, refused; read
    # without it only with --skip-bad-files, and counted by info.
    d, files = series("trunc", n=6)
    data = open(files[2], "rb").read()
    open(files[2], "wb").write(data[:400])
    out = os.path.join(T, "trunc_out.nii")
    expect(["convert", d, out], 3, os.path.basename(files[2]), out, "truncated DICOM file")
    r = medseg("info", "--json", "--skip-bad-files", d, check=False)
    info = json.loads(r.stdout) if r.returncode == 0 else {}
    C.check(info.get("dicom", {}).get("unreadable_files") == 1 and
            info["dicom"].get("first_unreadable_file", "").endswith(os.path.basename(files[2])),
            f"--skip-bad-files: info counts the unreadable file ({r.returncode}, {r.stderr.strip()})")
    C.check(os.path.basename(files[2]) in r.stderr, "--skip-bad-files: the warning names the file")

    # Item 6: slice-gap amplification (z = 0, 0.001, 0.002, 4000 mm).
    d, files = series("gaps", n=4)
    for f, z in zip(files, (0.0, 0.001, 0.002, 4000.0)):
        ds = pydicom.dcmread(f)
        ds.ImagePositionPatient = [0, 0, z]
        ds.save_as(f)
    out = os.path.join(T, "gaps_out.nii")
    expect(["convert", d, out], 3, "resampling 4 images onto the median gap would make", out, "slice-gap amplification")

    # Item 17: two series whose long UIDs differ only at the end stay two.
    d1, f1 = series("long1", n=3, seed=1)
    d2, f2 = series("long2", n=4, seed=2)
    stem = "1.2.826.0.1.3680043.8.498." + "1" * 70
    study = os.path.join(T, "long_study")
    os.makedirs(study)
    for k, (fs, tail) in enumerate(((f1, "1"), (f2, "2"))):
        for i, f in enumerate(fs):
            ds = pydicom.dcmread(f)
            ds.SeriesInstanceUID = stem + tail
            ds.save_as(os.path.join(study, f"s{k}_{i}.dcm"))
    r = medseg("info", "--json", study, check=False)
    info = json.loads(r.stdout) if r.returncode == 0 else {}
    C.check(info.get("dicom", {}).get("n_series") == 2,
            f"long UIDs differing at the end: 2 series ({info.get('dicom', {}).get('n_series')}, {r.stderr.strip()})")

shutil.rmtree(T, ignore_errors=True)
C.done()
