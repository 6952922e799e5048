"""prepare-npz against independent oracles, on heart phantoms and (when
present) the real MM-WHS-derived heart label maps in ../shared/data:
- meshes (written with --meshes) are closed 2-manifolds with no degenerate
  triangles, and each class's area is within 1% of scikit-image's
  marching_cubes (with spacing) on the same mask;
- |vol_sdf|, |near_sdf| and |vol_sdf_class| equal Open3D's
  RaycastingScene.compute_distance on the same meshes within 1e-5;
- the sign agrees with the label map for >= 99.9% of points farther than one
  voxel from the surface; near_labels names a class at the smallest Open3D
  distance (shared interfaces tie);
- what the VecSetX loader reads: dtypes, shapes, >= 8192 surface points,
  >= 512 volume points on each side, `surface` = points | one-hot;
- partial variants keep the full targets and drop A..B present classes."""
import os
import sys
from common import need, medseg, tmpdir, shared, Checker, ras_to_lps

np, nib, skimage, o3d = need("numpy", "nibabel", "skimage", "open3d")
from skimage import measure  # noqa: E402

c = Checker()
d = tmpdir()
N = 20000


def read_ply(path):
    with open(path, "rb") as f:
        head = b""
        while not head.endswith(b"end_header\n"):
            head += f.readline()
        lines = head.decode().split("\n")
        nv = int([x for x in lines if x.startswith("element vertex")][0].split()[-1])
        nt = int([x for x in lines if x.startswith("element face")][0].split()[-1])
        v = np.frombuffer(f.read(nv * 24), dtype="<f8").reshape(nv, 3)
        rec = np.frombuffer(f.read(nt * 13), dtype=np.dtype([("n", "u1"), ("i", "<i4", 3)]))
    assert (rec["n"] == 3).all()
    return v, rec["i"].astype(np.int64)


def manifold(v, t):
    """Directed edges unique, each with its reverse: closed, oriented, manifold."""
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    key = e[:, 0] * (len(v) + 1) + e[:, 1]
    rev = e[:, 1] * (len(v) + 1) + e[:, 0]
    uniq = len(np.unique(key)) == len(key)
    closed = np.isin(rev, key).all()
    area = 0.5 * np.linalg.norm(np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]]), axis=1)
    return uniq and closed, int((area <= 1e-12).sum()), area.sum()


def skimage_area(mask, spacing):
    idx = np.argwhere(mask)
    lo, hi = idx.min(0), idx.max(0) + 1
    crop = np.pad(mask[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]], 1).astype(np.uint8)
    v, f, _, _ = measure.marching_cubes(crop, 0.5, spacing=tuple(spacing))
    return measure.mesh_surface_area(v, f)


def scene(v, t):
    s = o3d.t.geometry.RaycastingScene()
    s.add_triangles(o3d.core.Tensor(v.astype(np.float32)), o3d.core.Tensor(t.astype(np.uint32)))
    return s


def dist(s, p):
    return s.compute_distance(o3d.core.Tensor(p.astype(np.float32))).numpy()


def check_case(label_path, stem, C, tag):
    out, meshes = os.path.join(d, "out_" + stem), os.path.join(d, "mesh_" + stem)
    medseg("prepare-npz", "-o", out, label_path, "--classes", C, "--surface", N, "--vol", N, "--near", N,
           "--meshes", meshes, "--partial", "drop:1-2", "--copies", 2, "-q")
    z = np.load(os.path.join(out, stem + ".npz"))
    img = nib.load(label_path)
    lab = np.asanyarray(img.dataobj).astype(np.int64)
    spacing = np.array(img.header.get_zooms()[:3], dtype=float)
    lps = ras_to_lps(img.affine)
    present = [k for k in range(1, C + 1) if (lab == k).any()]

    # loader expectations
    for k in ["surface_points", "surface_labels", "surface", "surface_normals", "vol_points", "vol_sdf",
              "vol_sdf_class", "near_points", "near_sdf"]:
        c.check(z[k].dtype == np.float32, f"{tag}: {k} is float32")
    c.check(z["surface"].shape == (N, 3 + C), f"{tag}: surface shape {z['surface'].shape}")
    c.check(np.array_equal(z["surface"], np.concatenate([z["surface_points"], z["surface_labels"]], 1)),
            f"{tag}: surface = points | labels")
    c.check(z["vol_sdf"].shape == (N,) and z["near_sdf"].shape == (N,), f"{tag}: SDFs are 1-D")
    c.check(len(z["surface_points"]) >= 8192, f"{tag}: >= 8192 surface points")
    c.check((z["vol_sdf"] < 0).sum() >= 512 and (z["vol_sdf"] > 0).sum() >= 512, f"{tag}: 512 vol points a side")
    c.check(z["near_labels"].dtype == np.int32 and set(np.unique(z["near_labels"])) <= set(present),
            f"{tag}: near_labels are present classes")
    c.check(list(np.flatnonzero(z["class_present"]) + 1) == present, f"{tag}: class_present")
    c.check(np.allclose(z["surface_labels"].sum(1), 1), f"{tag}: one-hot rows")
    c.check(set(np.flatnonzero(z["surface_labels"].sum(0)) + 1) == set(present), f"{tag}: every class sampled")
    c.check(np.allclose(np.linalg.norm(z["surface_normals"], axis=1), 1, atol=1e-5), f"{tag}: unit normals")
    c.check(np.allclose(z["affine"], lps, atol=1e-4), f"{tag}: affine is the LPS voxel->world")
    r = np.linalg.norm(z["surface_points"], axis=1).max()
    c.check(r <= 1 + 1e-5 and r > 0.95, f"{tag}: sphere normalisation, max radius {r}")
    absent = [k for k in range(1, C + 1) if k not in present]
    c.check(all(np.isnan(z["vol_sdf_class"][:, k - 1]).all() for k in absent), f"{tag}: NaN for absent classes")

    shifts, scale = z["shifts"], float(z["scale"])
    norm = lambda v: (v - shifts) * scale  # noqa: E731
    union_v, union_t = read_ply(os.path.join(meshes, stem + "_union.ply"))
    ok, degen, _ = manifold(union_v, union_t)
    c.check(ok and degen == 0, f"{tag}: union mesh closed 2-manifold ({degen} degenerate)")
    for k in present:
        v, t = read_ply(os.path.join(meshes, f"{stem}_class{k}.ply"))
        ok, degen, area = manifold(v, t)
        c.check(ok and degen == 0, f"{tag}: class {k} mesh closed 2-manifold ({degen} degenerate)")
        ref = skimage_area(lab == k, spacing)
        c.check(abs(area / ref - 1) < 0.01, f"{tag}: class {k} area {area:.1f} vs skimage {ref:.1f} mm^2")
        dk = dist(scene(norm(v), t), z["vol_points"])
        err = np.abs(np.abs(z["vol_sdf_class"][:, k - 1]) - dk).max()
        c.check(err <= 1e-5, f"{tag}: class {k} |SDF| vs Open3D max error {err:.2e}")

    us = scene(norm(union_v), union_t)
    for pts, sdf, name in [(z["vol_points"], z["vol_sdf"], "vol"), (z["near_points"], z["near_sdf"], "near")]:
        err = np.abs(np.abs(sdf) - dist(us, pts)).max()
        c.check(err <= 1e-5, f"{tag}: {name} |SDF| vs Open3D max error {err:.2e}")
        world = pts / scale + shifts
        ijk = np.rint((np.linalg.inv(lps) @ np.c_[world, np.ones(len(world))].T)[:3].T).astype(np.int64)
        inb = ((ijk >= 0) & (ijk < lab.shape)).all(1)
        inside = np.zeros(len(pts), bool)
        inside[inb] = lab[tuple(ijk[inb].T)] > 0
        inside[inb] &= np.isin(lab[tuple(ijk[inb].T)], present)
        far = np.abs(sdf) / scale > spacing.max()
        agree = ((sdf[far] < 0) == inside[far]).mean()
        c.check(agree >= 0.999, f"{tag}: {name} sign agrees with the label map for {agree:.5f} of far points")

    # near_labels: a class at the smallest distance (interfaces between classes
    # are shared, so ties are real; any class at the minimum is right).
    per_class = np.stack([dist(scene(norm(v), t), z["near_points"])
                          for v, t in (read_ply(os.path.join(meshes, f"{stem}_class{k}.ply")) for k in present)], 1)
    mine = per_class[np.arange(N), np.searchsorted(present, z["near_labels"])]
    gap = (mine - per_class.min(1)).max()
    c.check(gap <= 1e-6, f"{tag}: near_labels name a nearest class (worst gap {gap:.2e})")

    for copy in (1, 2):
        p = np.load(os.path.join(out, f"{stem}_drop{copy}.npz"))
        c.check(all(np.array_equal(p[k], z[k], equal_nan=z[k].dtype.kind == "f") for k in z.files), f"{tag}: variant {copy} keeps the full targets")
        kept = p["input_class_present"].astype(bool)
        n_drop = len(present) - kept.sum()
        c.check(1 <= n_drop <= 2 and kept.sum() >= 1, f"{tag}: variant {copy} dropped {n_drop} classes")
        used = set(np.flatnonzero(p["input_surface_labels"].sum(0)) + 1)
        c.check(used == set(np.flatnonzero(kept) + 1), f"{tag}: variant {copy} input holds only kept classes")
        c.check(p["input_surface_points"].shape == (N, 3), f"{tag}: variant {copy} input shape")


p1 = os.path.join(d, "phantom_a.nii.gz")
medseg("phantom", "heart", "-o", p1, "--size", "112,120,90", "--spacing", "1.1,0.9,1.3", "-q")
check_case(p1, "phantom_a", 10, "phantom")
p2 = os.path.join(d, "phantom_b.nii.gz")
medseg("phantom", "heart", "-o", p2, "--size", "64,64,64", "--seed", "3", "--classes", "8", "-q")
check_case(p2, "phantom_b", 10, "phantom (classes 9, 10 absent)")

heart = os.path.join(os.environ.get("SHARED_DATA", "../shared/data"), "heart_labels")
if os.path.isdir(heart):
    for name in sorted(os.listdir(heart)):
        check_case(os.path.join(heart, name), name.replace(".nii.gz", ""), 7, name)
else:
    print("note: ../shared/data/heart_labels absent; real label maps not checked")
c.done()
sys.exit(1 if c.failed else 0)
