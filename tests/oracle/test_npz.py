"""NPZ files written by libmedseg load in numpy with exact values, dtypes and
shapes: stored, deflated and with forced ZIP64 records; zipfile's CRC check
passes."""
import os
import subprocess
import zipfile
from common import need, tmpdir, Checker

(np,) = need("numpy")
c = Checker()
d = tmpdir()
subprocess.run([os.environ["NPZ_WRITER"], d], check=True)
pts = (np.arange(300, dtype=np.float32) * 0.5 - 7.25).reshape(100, 3)
lab = (np.arange(100) % 7 - 3).astype(np.int32)
present = np.array([1, 0, 1, 1, 0, 0, 1, 1, 1, 0], np.uint8)
img = ((np.arange(64 * 64) * 37) % 2000 - 1000).astype(np.int16).reshape(64, 64)
for name in ("stored.npz", "deflate.npz", "zip64.npz", "zip64_stored.npz"):
    path = os.path.join(d, name)
    with zipfile.ZipFile(path) as z:
        c.check(z.testzip() is None, f"{name}: CRC")
        c.check(sorted(z.namelist()) == sorted(["surface_points.npy", "labels.npy", "class_present.npy", "scale.npy",
                                                "image.npy", "empty.npy"]), f"{name}: names {z.namelist()}")
        infos = {i.filename: i for i in z.infolist()}
        method = zipfile.ZIP_DEFLATED if "deflate" in name or name == "zip64.npz" else zipfile.ZIP_STORED
        c.check(all(i.compress_type == method for i in infos.values()), f"{name}: compression method")
    f = np.load(path)
    c.check(f["surface_points"].dtype == np.float32 and np.array_equal(f["surface_points"], pts), f"{name}: float32 (N,3)")
    c.check(f["labels"].dtype == np.int32 and np.array_equal(f["labels"], lab), f"{name}: int32 1-D")
    c.check(f["class_present"].dtype == np.uint8 and np.array_equal(f["class_present"], present), f"{name}: uint8")
    c.check(f["scale"].dtype == np.float64 and f["scale"].shape == () and float(f["scale"]) == 0.125, f"{name}: 0-d f8")
    c.check(f["image"].dtype == np.int16 and np.array_equal(f["image"], img), f"{name}: int16 2-D")
    c.check(f["empty"].shape == (0, 3), f"{name}: empty array shape {f['empty'].shape}")
# Same inputs, same bytes.
again = tmpdir()
subprocess.run([os.environ["NPZ_WRITER"], again], check=True)
for name in ("stored.npz", "deflate.npz"):
    c.check(open(os.path.join(d, name), "rb").read() == open(os.path.join(again, name), "rb").read(), f"{name}: deterministic")
c.done()
