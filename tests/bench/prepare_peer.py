#!/usr/bin/python3
"""The peer of `medseg prepare-npz` for benchmarks: the same work done the
usual Python way, scikit-image marching cubes + Open3D distance queries +
numpy sampling + np.savez. Prints the total and per-stage seconds as JSON.

usage: prepare_peer.py LABELS.nii.gz OUT.npz [--classes C] [--n N]"""
import json
import sys
import time

import nibabel as nib
import numpy as np
import open3d as o3d
from skimage import measure


def mesh_of(mask, affine):
    padded = np.pad(mask, 1)
    v, f, _, _ = measure.marching_cubes(padded.astype(np.uint8), 0.5)
    v = v - 1.0
    world = v @ affine[:3, :3].T + affine[:3, 3]
    return world, f.astype(np.int64)


def sample_surface(meshes, n, rng):
    areas, owners = [], []
    for k, (v, f, c) in enumerate(meshes):
        a = 0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
        areas.append(a)
        owners.append(np.full(len(f), k))
    areas, owners = np.concatenate(areas), np.concatenate(owners)
    tri_local = np.concatenate([np.arange(len(m[1])) for m in meshes])
    pick = rng.choice(len(areas), n, p=areas / areas.sum())
    r1, r2 = np.sqrt(rng.random(n)), rng.random(n)
    pts = np.empty((n, 3))
    cls = np.empty(n, dtype=np.int64)
    for k, (v, f, c) in enumerate(meshes):
        sel = owners[pick] == k
        t = f[tri_local[pick[sel]]]
        a, b, cc = v[t[:, 0]], v[t[:, 1]], v[t[:, 2]]
        pts[sel] = ((1 - r1[sel])[:, None] * a + (r1[sel] * (1 - r2[sel]))[:, None] * b
                    + (r1[sel] * r2[sel])[:, None] * cc)
        cls[sel] = c
    return pts, cls


def scene_of(v, f):
    s = o3d.t.geometry.RaycastingScene()
    s.add_triangles(o3d.core.Tensor(v.astype(np.float32)), o3d.core.Tensor(f.astype(np.uint32)))
    return s


def main():
    src, out = sys.argv[1], sys.argv[2]
    C = int(sys.argv[sys.argv.index("--classes") + 1]) if "--classes" in sys.argv else 10
    n = int(sys.argv[sys.argv.index("--n") + 1]) if "--n" in sys.argv else 100000
    t = {"start": time.perf_counter()}
    img = nib.load(src)
    lab = np.asanyarray(img.dataobj).astype(np.int64)
    aff = img.affine
    meshes = [mesh_of(lab == c, aff) + (c,) for c in range(1, C + 1) if (lab == c).any()]
    union_v, union_f = mesh_of(lab > 0, aff)
    t["mesh"] = time.perf_counter()
    rng = np.random.default_rng(0)
    lo, hi = union_v.min(0), union_v.max(0)
    shift = (lo + hi) / 2
    scale = 1.0 / np.linalg.norm(union_v - shift, axis=1).max()
    meshes = [((v - shift) * scale, f, c) for v, f, c in meshes]
    union_v = (union_v - shift) * scale
    surf, surf_cls = sample_surface(meshes, n, rng)
    near, _ = sample_surface(meshes, n, rng)
    near[: n // 2] += rng.normal(0, 0.005, (n // 2, 3))
    near[n // 2:] += rng.normal(0, 0.05, (n - n // 2, 3))
    vol = rng.uniform(-1, 1, (n, 3))
    t["sample"] = time.perf_counter()
    union = scene_of(union_v, union_f)
    q = lambda s, p: s.compute_signed_distance(o3d.core.Tensor(p.astype(np.float32))).numpy()
    vol_sdf, near_sdf = q(union, vol), q(union, near)
    vol_sdf_class = np.stack([q(scene_of(v, f), vol) for v, f, c in meshes], axis=1)
    allc = o3d.t.geometry.RaycastingScene()
    for v, f, c in meshes:
        allc.add_triangles(o3d.core.Tensor(v.astype(np.float32)), o3d.core.Tensor(f.astype(np.uint32)))
    near_labels = allc.compute_closest_points(o3d.core.Tensor(near.astype(np.float32)))["geometry_ids"].numpy()
    t["sdf"] = time.perf_counter()
    onehot = np.eye(C, dtype=np.float32)[surf_cls - 1]
    np.savez(out, surface_points=surf.astype(np.float32), surface_labels=onehot,
             vol_points=vol.astype(np.float32), vol_sdf=vol_sdf, vol_sdf_class=vol_sdf_class,
             near_points=near.astype(np.float32), near_sdf=near_sdf, near_labels=near_labels)
    t["write"] = time.perf_counter()
    keys = ["start", "mesh", "sample", "sdf", "write"]
    res = {keys[i]: t[keys[i]] - t[keys[i - 1]] for i in range(1, len(keys))}
    res["total"] = t["write"] - t["start"]
    print(json.dumps(res))


if __name__ == "__main__":
    main()
