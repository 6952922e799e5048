"""NIfTI round trips of every dtype, .nii and .nii.gz, NIfTI-1 and -2,
checked against nibabel: data, affine, header codes; scl_slope applied."""
import os
from common import need, medseg, tmpdir, Checker

np, nib = need("numpy", "nibabel")
c = Checker()
d = tmpdir()
rng = np.random.default_rng(5)

# An oblique affine with anisotropic voxels.
theta = 0.3
rot = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
aff = np.eye(4)
aff[:3, :3] = rot @ np.diag([0.7, 0.8, 2.5])
aff[:3, 3] = [-90.5, 12.25, 33.0]

dtypes = {"uint8": np.uint8, "int16": np.int16, "uint16": np.uint16, "int32": np.int32,
          "float32": np.float32, "float64": np.float64}
for name, dt in dtypes.items():
    info = np.iinfo(dt) if np.issubdtype(dt, np.integer) else None
    shape = (13, 7, 5)
    if info:
        data = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dt)
    else:
        data = (rng.standard_normal(shape) * 1000).astype(dt)
    for cls, ver in ((nib.Nifti1Image, 1), (nib.Nifti2Image, 2)):
        for ext in (".nii", ".nii.gz"):
            src = os.path.join(d, f"{name}_v{ver}{ext}")
            img = cls(data, aff)
            img.header.set_qform(aff, code=1)
            img.header.set_sform(aff, code=2)
            img.header.set_data_dtype(dt)
            nib.save(img, src)
            dst = os.path.join(d, f"out_{name}_v{ver}{ext}")
            medseg("convert", src, dst)
            out = nib.load(dst)
            tag = f"{name} NIfTI-{ver} {ext}"
            c.check(out.get_data_dtype() == np.dtype(dt), f"{tag}: dtype {out.get_data_dtype()}")
            c.check(np.array_equal(np.asanyarray(out.dataobj), data), f"{tag}: data differ")
            c.check(np.allclose(out.affine, aff, atol=1e-5), f"{tag}: affine differs")
            c.check(int(out.header["sform_code"]) == 2 and int(out.header["qform_code"]) == 1,
                    f"{tag}: xform codes not kept")
            c.check(np.allclose(out.header.get_qform(), img.header.get_qform(), atol=1e-6), f"{tag}: qform changed")
            c.check(isinstance(out, cls), f"{tag}: NIfTI version changed to {type(out).__name__}")
            # --nifti-version switches the container, nothing else.
            other = 2 if ver == 1 else 1
            dst2 = os.path.join(d, f"sw_{name}_v{ver}{ext}")
            medseg("convert", src, dst2, "--nifti-version", other)
            sw = nib.load(dst2)
            c.check(isinstance(sw, nib.Nifti2Image if other == 2 else nib.Nifti1Image), f"{tag}: version switch")
            c.check(np.array_equal(np.asanyarray(sw.dataobj), data), f"{tag}: data differ after version switch")

# scl_slope / scl_inter: integer scaling stays integer, fractional becomes float32.
raw = rng.integers(0, 4000, size=(9, 8, 3), dtype=np.int16)
for slope, inter, expect in ((1.0, -1024.0, np.int16), (0.5, 10.0, np.float32), (2.0, 30000.0, np.int32)):
    img = nib.Nifti1Image(raw, aff)
    img.header.set_data_dtype(np.int16)
    img.header.set_slope_inter(slope, inter)
    src = os.path.join(d, f"scaled_{slope}_{inter}.nii.gz")
    nib.save(img, src)
    # nibabel picks its own on-disk scaling when saving floats; write raw ints with header scaling.
    img2 = nib.Nifti1Image(raw, aff, header=img.header)
    img2.header.set_slope_inter(slope, inter)
    img2.to_filename(src)
    expected = nib.load(src).get_fdata()
    dst = os.path.join(d, f"scaled_out_{slope}.nii.gz")
    medseg("convert", src, dst)
    out = nib.load(dst)
    c.check(out.get_data_dtype() == np.dtype(expect), f"scaling {slope},{inter}: dtype {out.get_data_dtype()}")
    c.check(np.allclose(out.get_fdata(), expected, atol=1e-4), f"scaling {slope},{inter}: values")
    slope_out = out.header["scl_slope"]
    c.check(np.isnan(slope_out) or slope_out in (0, 1), "output must carry no scaling")

# dtype cast with clamping
src = os.path.join(d, "float64_v1.nii.gz")
dst = os.path.join(d, "cast_u8.nii.gz")
r = medseg("convert", src, dst, "--dtype", "uint8")
ref = np.clip(np.rint(np.asanyarray(nib.load(src).dataobj)), 0, 255).astype(np.uint8)
c.check(np.array_equal(np.asanyarray(nib.load(dst).dataobj), ref), "cast to uint8 rounds and clamps")
c.check("clamped" in r.stderr, "clamping reported")

# info agrees with nibabel on dims, spacing, affine and orientation.
import json
for f in ("int16_v1.nii.gz", "float32_v2.nii"):
    p = os.path.join(d, f)
    js = json.loads(medseg("info", "--json", p).stdout)
    img = nib.load(p)
    lps = np.diag([-1, -1, 1, 1]) @ img.affine
    c.check(js["dims"] == list(img.shape), f"info dims {f}")
    c.check(np.allclose(js["affine_lps"], lps, atol=1e-5), f"info affine {f}")
    c.check(np.allclose(js["spacing"], img.header.get_zooms()[:3], atol=1e-5), f"info spacing {f}")
    # nibabel codes are RAS letters of the direction each axis increases to; ours are too.
    c.check(js["orientation"] == "".join(nib.aff2axcodes(img.affine)), f"orientation {js['orientation']}")
    data = np.asanyarray(img.dataobj)
    c.check(js["min"] == float(data.min()) and js["max"] == float(data.max()), f"info range {f}")
# .nii.gz output is a series of gzip members compressed in parallel: Python's
# gzip (as nibabel) and zlib (gunzip) read it as one stream; the bytes do not
# depend on the thread count; a volume spanning several 1 MiB blocks.
import gzip, subprocess, zlib
zz, yy, xx = np.meshgrid(np.arange(40), np.arange(150), np.arange(160), indexing="ij")
field = 400 * np.sin(xx / 9.0) * np.cos(yy / 13.0) + 10 * zz + rng.integers(-3, 4, size=xx.shape)
big = np.ascontiguousarray(field.transpose(2, 1, 0)).astype(np.int16)
src = os.path.join(d, "big.nii")
nib.save(nib.Nifti1Image(big, aff), src)
outs = []
for t in (1, 2, 3):
    dst = os.path.join(d, f"big_t{t}.nii.gz")
    medseg("convert", src, dst, "--threads", t)
    outs.append(open(dst, "rb").read())
c.check(outs[0] == outs[1] == outs[2], "gzip output depends on the thread count")
c.check(np.array_equal(np.asanyarray(nib.load(os.path.join(d, "big_t2.nii.gz")).dataobj), big), "multi-member: nibabel")
members, rest = 0, outs[0]
while rest:
    z = zlib.decompressobj(31)
    z.decompress(rest)
    rest, members = z.unused_data, members + 1
c.check(members >= 3, f"expected several gzip members, found {members}")
inflated = gzip.decompress(outs[0])
c.check(len(inflated) == 352 + big.nbytes and inflated[352:] == big.tobytes(order="F"),
        "members inflate to header and voxels")
gunzip = subprocess.run(["gzip", "-t", os.path.join(d, "big_t1.nii.gz")], capture_output=True)
# Every member states its length in an extra field ('M' 'S', 4 bytes), so
# medseg reads them in parallel; what it reads equals the volume on any
# thread count, and a damaged member still fails as one line, exit 3.
import struct
pos, framed = 0, 0
while pos < len(outs[0]):
    hd = outs[0][pos:pos + 20]
    if hd[3] != 4 or hd[12:16] != b"MS\x04\x00":
        break
    pos += struct.unpack("<I", hd[16:20])[0]
    framed += 1
c.check(pos == len(outs[0]) and framed == members, f"{framed} of {members} members state their length")
for t in (1, 2):
    back = os.path.join(d, f"back_t{t}.nii")
    medseg("convert", os.path.join(d, "big_t1.nii.gz"), back, "--threads", t)
    c.check(np.array_equal(np.asanyarray(nib.load(back).dataobj), big), f"own multi-member file read back, {t} thread(s)")
second = struct.unpack("<I", outs[0][16:20])[0]             # where member 2 starts
for name, at, flip in (("damaged_data", second + 200, 0x55), ("wrong_crc", second + struct.unpack("<I", outs[0][second + 16:second + 20])[0] - 8, 1),
                       ("wrong_length", second + 16, 1)):
    bad = bytearray(outs[0])
    bad[at] ^= flip
    f = os.path.join(d, f"{name}.nii.gz")
    open(f, "wb").write(bytes(bad))
    r = medseg("convert", f, os.path.join(d, f"{name}.nii"), check=False)
    if name == "wrong_length":   # the stream itself is sound: read member by member
        c.check(r.returncode == 0 and np.array_equal(np.asanyarray(nib.load(os.path.join(d, f"{name}.nii")).dataobj), big),
                f"{name}: read member by member (exit {r.returncode})")
    else:
        c.check(r.returncode == 3 and len(r.stderr.strip().splitlines()) == 1 and not os.path.exists(os.path.join(d, f"{name}.nii")),
                f"{name}: exit {r.returncode}, one line, no output ({r.stderr.strip()})")
c.check(gunzip.returncode == 0, "gzip -t rejects the multi-member file")
for lv in (1, 9):
    dst = os.path.join(d, f"big_l{lv}.nii.gz")
    medseg("convert", src, dst, "--gz-level", lv)
    c.check(np.array_equal(np.asanyarray(nib.load(dst).dataobj), big), f"--gz-level {lv}: data")
c.check(os.path.getsize(os.path.join(d, "big_l9.nii.gz")) < os.path.getsize(os.path.join(d, "big_l1.nii.gz")),
        "--gz-level 9 is not smaller than 1")

# A stream that inflates to more than the header implies (an extra member
# with data, or one member too long) is refused (exit 3), and so is one that
# inflates to less.
plain = open(src, "rb").read()
for name, payload in (("extra_member", gzip.compress(plain) + gzip.compress(b"\0" * 4096)),
                      ("too_long", gzip.compress(plain + b"\1" * 100)),
                      ("too_short", gzip.compress(plain[:-100]))):
    bad = os.path.join(d, f"{name}.nii.gz")
    open(bad, "wb").write(payload)
    r = medseg("info", bad, check=False)
    c.check(r.returncode == 3, f"{name}: exit {r.returncode}, want 3 ({r.stderr.strip()})")
    c.check(len(r.stderr.strip().splitlines()) == 1, f"{name}: message not one line: {r.stderr!r}")
# A header claiming far more than the file can hold (deflate inflates at
# most 1032:1; a plain file cannot be shorter than its data) is refused
# before the claimed buffer is allocated (1200^3 int16 is 3.5 GB).
hdr = nib.Nifti1Header()
hdr.set_data_shape((1200, 1200, 1200))
hdr.set_data_dtype(np.int16)
hdr["vox_offset"] = 352
hdr["magic"] = b"n+1"
claim = hdr.binaryblock + b"\0" * 4 + b"\0" * 1000
for name, payload in (("claims_gz.nii.gz", gzip.compress(claim)), ("claims_plain.nii", claim)):
    bad = os.path.join(d, name)
    open(bad, "wb").write(payload)
    r = medseg("info", bad, check=False)
    want = "more than a gzip file" if name.endswith(".gz") else "the file has"
    c.check(r.returncode == 3 and want in r.stderr, f"{name}: exit {r.returncode} ({r.stderr.strip()})")
# Empty members after the data (as some tools append) are harmless.
okf = os.path.join(d, "empty_member.nii.gz")
open(okf, "wb").write(gzip.compress(plain) + gzip.compress(b""))
c.check(medseg("info", okf, check=False).returncode == 0, "an empty trailing member is refused")

# A 4-D file: refused with its volume count; --volume N reads volume N
# exactly as nibabel's [..., N] (big-endian too); out of range is exit 3.
rng_i = np.random.default_rng(5).integers(-100, 100, size=(7, 6, 5))
four = np.stack([rng_i * (k + 1) for k in range(3)], axis=-1).astype(np.int16)
for order, name in (("<", "four_le.nii.gz"), (">", "four_be.nii")):
    f4 = os.path.join(d, name)
    img4 = nib.Nifti1Image(four.astype(four.dtype.newbyteorder(order)), np.diag([0.8, 0.9, 1.5, 1]))
    nib.save(img4, f4)
    r = medseg("info", f4, check=False)
    c.check(r.returncode == 3 and "3 volumes" in r.stderr and "--volume" in r.stderr, f"{name}: 4-D refusal ({r.stderr.strip()})")
    out = os.path.join(d, "vol2.nii")
    medseg("convert", "--volume", "2", f4, out)
    got = np.asanyarray(nib.load(out).dataobj)
    c.check(got.shape == four.shape[:3] and np.array_equal(got, four[..., 2]), f"{name}: --volume 2 equals nibabel's [..., 2]")
    c.check(np.allclose(nib.load(out).affine, img4.affine), f"{name}: --volume keeps the geometry")
    r = medseg("info", "--volume", "3", f4, check=False)
    c.check(r.returncode == 3 and "0..2" in r.stderr, f"{name}: --volume 3 out of range ({r.stderr.strip()})")
# .hdr/.img pairs are refused as what they are, whichever file is named.
for cls, stem, word in ((nib.AnalyzeImage, "an", "ANALYZE 7.5"), (nib.Nifti1Pair, "pair", "NIfTI-1")):
    nib.save(cls(rng_i.astype(np.int16), np.eye(4)), os.path.join(d, stem + ".hdr"))
    for ext in (".hdr", ".img"):
        r = medseg("info", os.path.join(d, stem + ext), check=False)
        c.check(r.returncode == 3 and word in r.stderr and "pair" in r.stderr, f"{stem}{ext}: {r.stderr.strip()}")
# NaN and infinities: info counts them and keeps them out of the range;
# a float convert keeps them bit for bit; an integer cast reads them as 0
# and says so.
fl = rng_i.astype(np.float32) - 0.5
fl[1, 2, 3], fl[0, 0, 0], fl[2, 1, 0] = np.nan, np.inf, -np.inf
fnan = os.path.join(d, "nan.nii.gz")
nib.save(nib.Nifti1Image(fl, np.eye(4)), fnan)
js = json.loads(medseg("info", "--json", fnan).stdout)
fin = fl[np.isfinite(fl)]
c.check(js["nonfinite"] == 3 and js["min"] == float(fin.min()) and js["max"] == float(fin.max()), f"info on NaN: {js['nonfinite']} {js['min']} {js['max']}")
out = os.path.join(d, "nan_copy.nii.gz")
medseg("convert", fnan, out)
got = np.asanyarray(nib.load(out).dataobj)
c.check(np.array_equal(got, fl, equal_nan=True), "convert keeps NaN and infinities")
out = os.path.join(d, "nan_i16.nii.gz")
r = medseg("convert", "--dtype", "int16", fnan, out)
got = np.asanyarray(nib.load(out).dataobj)
want = np.where(np.isfinite(fl), np.rint(fl), 0).astype(np.int16)
c.check("3 voxels are NaN or infinite; read as 0" in r.stderr and np.array_equal(got, want), f"int16 cast: {r.stderr.strip()}")
c.done()
