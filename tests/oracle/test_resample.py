"""Resampling against scipy.ndimage.map_coordinates with the same world
mapping (c = inv(A_in) @ A_out @ ijk, from the affines nibabel reads):
linear within 1e-3 HU, nearest exact (ties at .5 excluded), cubic B-spline
(mode mirror) within 1e-2 HU; samples outside the input's voxel footprint
get the fill value. Grids by --spacing, --shape and --like (an oblique,
shifted grid: the general path). A resample there and back keeps landmark
centroids within 0.5 voxel; label maps stay integer, and the label-aware
vote keeps a one-voxel sheet that nearest drops. Runs on a phantom always
and on real CT from ../shared/data when present."""
import os
from common import need, medseg, tmpdir, Checker

np, nib, _ = need("numpy", "nibabel", "scipy")
from scipy import ndimage as ndi  # noqa: E402

c = Checker()
d = tmpdir()
ORDER = {"nearest": 0, "linear": 1, "cubic": 3}
TOL = {"nearest": 0.0, "linear": 1e-3, "cubic": 1e-2}


def load(p):
    im = nib.load(p)
    return im, np.asanyarray(im.dataobj)


def mapped(src_aff, src_shape, out_aff, out_shape):
    m = np.linalg.inv(src_aff) @ out_aff
    ijk = np.indices(out_shape).reshape(3, -1).astype(float)
    cc = m[:3, :3] @ ijk + m[:3, 3:4]
    inside = np.all((cc >= -0.5) & (cc <= np.array(src_shape)[:, None] - 0.5), axis=0)
    return cc, inside


def check_against_scipy(src, what, grid_args, fill=None):
    im, a = load(src)
    a = a.astype(np.float64)
    for interp, order in ORDER.items():
        out = os.path.join(d, f"r_{interp}.nii")
        extra = [] if fill is None else ["--fill", fill]
        medseg("convert", "-q", src, out, *grid_args, "--interp", interp, "--dtype", "float64",
               "--nifti-version", 2, *extra)
        r, got = load(out)
        cc, inside = mapped(im.affine, a.shape, r.affine, got.shape)
        ref = ndi.map_coordinates(a, cc, order=order, mode="mirror" if order == 3 else "nearest")
        got = got.ravel()
        ok = inside.copy()
        if order == 0:
            frac = np.abs(cc - np.floor(cc) - 0.5)
            ok &= ~np.any(frac < 1e-6, axis=0)
        err = np.abs(got[ok] - ref[ok]).max() if ok.any() else 0.0
        c.check(ok.sum() > 0.5 * inside.sum(), f"{what} {interp}: too few comparable voxels ({ok.sum()})")
        c.check(err <= TOL[interp], f"{what} {interp}: max |medseg - scipy| = {err:.3g} > {TOL[interp]}")
        want_fill = a.min() if fill is None else fill
        if (~inside).any():
            c.check(np.all(got[~inside] == want_fill), f"{what} {interp}: outside samples are not {want_fill}")
        print(f"{what} {interp}: {got.shape} max err {err:.2e} over {ok.sum()} voxels, {(~inside).sum()} filled")


def oblique_ref(src, name):
    """A grid rotated 20 degrees about z and 10 about x about the volume
    centre, shifted, coarser; its corners fall outside the input."""
    im = nib.load(src)
    t, u = np.radians(20), np.radians(10)
    rz = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(u), -np.sin(u)], [0, np.sin(u), np.cos(u)]])
    aff = np.eye(4)
    aff[:3, :3] = rz @ rx @ np.diag(np.array(im.header.get_zooms()[:3]) * 1.3)
    shape = tuple(int(s * 0.9) for s in im.shape[:3])
    centre = (im.affine @ np.r_[(np.array(im.shape[:3]) - 1) / 2, 1])[:3]
    aff[:3, 3] = centre - aff[:3, :3] @ ((np.array(shape) - 1) / 2) + np.array([7.3, -5.1, 4.4])
    p = os.path.join(d, name)
    nib.save(nib.Nifti2Image(np.zeros(shape, np.uint8), aff), p)
    return p


def run_ct(src, what):
    check_against_scipy(src, what + " --spacing", ["--spacing", "1.9,2.3,1.7"])
    check_against_scipy(src, what + " --shape", ["--shape", "50,41,23"])
    check_against_scipy(src, what + " --like oblique", ["--like", oblique_ref(src, "oblique.nii")], fill=-2000)


phantom = os.path.join(d, "chest.nii.gz")
medseg("phantom", "chest", "-o", phantom, "--size", "96,80,40", "--spacing", "1.5,1.6,2.5", "--seed", 4)
run_ct(phantom, "phantom")
real = os.path.join(os.environ.get("SHARED_DATA", ""), "totalsegmentator", "example_ct_sm.nii.gz")
if os.path.exists(real):
    run_ct(real, "real CT")
else:
    print("NOTE: ../shared/data absent; real-CT cases skipped, phantom cases ran")

# Default dtype: stays int16, rounded.
out = os.path.join(d, "i16.nii.gz")
medseg("convert", "-q", phantom, out, "--spacing", "2,2,2")
r, got = load(out)
c.check(got.dtype == np.int16, f"default output dtype {got.dtype}, expected int16")
c.check(np.allclose(r.header.get_zooms()[:3], (2, 2, 2), atol=1e-5), f"spacing {r.header.get_zooms()}")
im, a = load(phantom)
cc, inside = mapped(im.affine, a.shape, r.affine, got.shape)
ref = ndi.map_coordinates(a.astype(float), cc, order=1, mode="nearest")
c.check(np.abs(got.ravel() - ref).max() <= 0.5 + 1e-3, "int16 output is the rounded linear value")
# Same physical extent and centre: centre voxel world positions agree.
ctr_in = im.affine @ np.r_[(np.array(a.shape) - 1) / 2, 1]
ctr_out = r.affine @ np.r_[(np.array(got.shape) - 1) / 2, 1]
c.check(np.allclose(ctr_in, ctr_out, atol=1e-4), f"field-of-view centre moved: {ctr_in} vs {ctr_out}")

# Landmarks there and back: centroids of small bright blobs.
shape, sp = (70, 64, 40), (0.9, 1.1, 2.0)
aff = np.diag([*sp, 1.0])
aff[:3, 3] = (-30, 12, 40)
img = np.zeros(shape, np.float32)
ii, jj, kk = np.indices(shape)
centres = [(20.3, 30.7, 10.2), (50.6, 15.4, 25.8), (35.1, 45.9, 30.4)]
for (x, y, z) in centres:
    rr = ((ii - x) * sp[0]) ** 2 + ((jj - y) * sp[1]) ** 2 + ((kk - z) * sp[2]) ** 2
    img += 1000 * np.exp(-rr / (2 * 3.0 ** 2))
src = os.path.join(d, "blobs.nii")
nib.save(nib.Nifti2Image(img, aff), src)
mid, back = os.path.join(d, "mid.nii"), os.path.join(d, "back.nii")
medseg("convert", "-q", src, mid, "--spacing", "1.7,1.3,2.9", "--nifti-version", 2, "--fill", 0)
medseg("convert", "-q", mid, back, "--like", src, "--nifti-version", 2, "--fill", 0)


def world_centroids(p):
    im, v = load(p)
    v = v.astype(float)
    out = []
    for (x, y, z) in centres:
        w = (aff @ np.r_[x, y, z, 1])[:3]
        vox = np.linalg.inv(im.affine) @ np.r_[w, 1]
        ijk = np.indices(v.shape).reshape(3, -1).T
        dist = np.linalg.norm((ijk - vox[:3]) * np.array(im.header.get_zooms()[:3]), axis=1)
        m = (dist < 8).reshape(v.shape)
        cm = np.array(ndi.center_of_mass(v * m))
        out.append((im.affine @ np.r_[cm, 1])[:3])
    return np.array(out)


w0, w1, w2 = world_centroids(src), world_centroids(mid), world_centroids(back)
c.check(np.all(np.abs(w1 - w0) < 0.5 * np.array([1.7, 1.3, 2.9])), f"landmarks moved on the way there: {w1 - w0}")
c.check(np.all(np.abs(w2 - w0) < 0.5 * np.array(sp)), f"landmarks moved there and back: {w2 - w0}")
print("landmark shifts (mm) there:", np.abs(w1 - w0).max(), "back:", np.abs(w2 - w0).max())

# Label maps: nearest equals scipy order 0; the vote keeps a thin sheet.
lab = np.zeros((40, 30, 20), np.uint8)
lab[5:20, 5:25, 3:15] = 1
lab[20:35, 5:25, 3:15] = 2
lab[10, :, :] = 3                       # one voxel thick, at an even x
lp = os.path.join(d, "lab.nii")
nib.save(nib.Nifti1Image(lab, np.diag([1.0, 1, 1, 1])), lp)
for interp in ("nearest", "linear"):
    o = os.path.join(d, f"lab_{interp}.nii")
    medseg("convert", "-q", lp, o, "--shape", "20,15,10", "--labels", "--interp", interp)
    r, got = load(o)
    c.check(got.dtype == np.uint8 and set(np.unique(got)) <= {0, 1, 2, 3}, f"labels {interp}: values {np.unique(got)}")
    if interp == "nearest":
        cc, _ = mapped(nib.load(lp).affine, lab.shape, r.affine, got.shape)
        ref = ndi.map_coordinates(lab, cc, order=0, mode="nearest")
        frac = np.abs(cc - np.floor(cc) - 0.5)
        ok = ~np.any(frac < 1e-6, axis=0)
        c.check(np.array_equal(got.ravel()[ok], ref[ok]), "labels nearest equals scipy order 0")
        c.check(not (got == 3).any(), "nearest drops the even sheet (the case the vote exists for)")
    else:
        c.check((got == 3).sum() >= 15 * 10 * 0.5, f"label vote keeps the thin sheet ({(got == 3).sum()} voxels)")
        c.check((got == 1).sum() > 0 and (got == 2).sum() > 0, "label vote keeps the big regions")
# Thread count never changes bytes.
outs = []
for t in (1, 2):
    o = os.path.join(d, f"t{t}.nii")
    medseg("convert", "-q", "--threads", t, phantom, o, "--spacing", "1.1,1.3,1.7", "--interp", "cubic")
    outs.append(open(o, "rb").read())
c.check(outs[0] == outs[1], "resampled bytes depend on --threads")
c.done()
