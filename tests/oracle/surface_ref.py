"""Surface distances by the definitions in medseg-validate(1), in NumPy and
SciPy only: the independent reference for tests/oracle/test_validate_seg.py
and the peer in tests/bench/validate.sh. Shares no code with medseg."""
import numpy as np
from scipy import ndimage as ndi

CORNERS = [(c & 1, c >> 1 & 1, c >> 2 & 1) for c in range(8)]


def cube_loops(code):
    """Loops of crossing points (edge midpoints, in voxel units)."""
    inside = [code >> c & 1 for c in range(8)]
    adj = {}

    def mid(a, b):
        return tuple((CORNERS[a][k] + CORNERS[b][k]) / 2 for k in range(3))

    def join(p, q):
        adj.setdefault(p, []).append(q)
        adj.setdefault(q, []).append(p)

    for axis in range(3):
        for side in (0, 1):
            ring = [c for c in range(8) if CORNERS[c][axis] == side]
            # order the four corners around the face
            a, b = [k for k in range(3) if k != axis]
            ring.sort(key=lambda c: np.arctan2(CORNERS[c][b] - 0.5, CORNERS[c][a] - 0.5))
            ins = [inside[c] for c in ring]
            if sum(ins) in (0, 4):
                continue
            if sum(ins) == 2 and ins[0] == ins[2]:
                for i in range(4):
                    if ins[i]:
                        join(mid(ring[i], ring[i - 1]), mid(ring[i], ring[(i + 1) % 4]))
                continue
            cross = [mid(ring[i], ring[(i + 1) % 4]) for i in range(4) if ins[i] != ins[(i + 1) % 4]]
            join(cross[0], cross[1])
    loops, seen = [], set()
    for start in adj:
        if start in seen:
            continue
        loop, prev, cur = [], None, start
        while True:
            seen.add(cur)
            loop.append(cur)
            nxt = adj[cur][0] if adj[cur][0] != prev else adj[cur][1]
            prev, cur = cur, nxt
            if cur == start:
                break
        loops.append(loop)
    return loops


def area_table(spacing):
    s = np.asarray(spacing, float)
    table = np.zeros(256)
    for code in range(256):
        total = 0.0
        for loop in cube_loops(code):
            p = np.array(loop) * s
            total += 0.5 * np.linalg.norm(np.cross(p, np.roll(p, -1, axis=0)).sum(axis=0))
        table[code] = total
    return table


def codes(mask):
    m = np.pad(mask, 1).astype(np.int32)
    c = np.zeros(tuple(n - 1 for n in m.shape), np.int32)
    for bit, (dx, dy, dz) in enumerate(CORNERS):
        c |= m[dx:dx + c.shape[0], dy:dy + c.shape[1], dz:dz + c.shape[2]] << bit
    return c


def directed(code_a, code_b, spacing, table):
    border_a = (code_a != 0) & (code_a != 255)
    border_b = (code_b != 0) & (code_b != 255)
    dist_b = ndi.distance_transform_edt(~border_b, sampling=spacing)
    return dist_b[border_a], table[code_a[border_a]]


def robust(d, a, q):
    order = np.argsort(d, kind="stable")
    d, a = d[order], a[order]
    cum = np.cumsum(a)
    idx = np.searchsorted(cum / cum[-1], q / 100.0)
    return d[min(idx, len(d) - 1)]


def crop_to_union(p, r):
    """Both masks cut to the bounding box of their union (distances between
    surfels do not change; every surfel lies in the box plus one voxel)."""
    u = p | r
    box = []
    for axis in range(3):
        hit = np.where(u.any(axis=tuple(k for k in range(3) if k != axis)))[0]
        box.append(slice(hit[0], hit[-1] + 1))
    return p[tuple(box)], r[tuple(box)]


def reference_metrics(p, r, spacing):
    out = {"dice": 2 * (p & r).sum() / (p.sum() + r.sum()), "jaccard": (p & r).sum() / (p | r).sum()}
    p, r = crop_to_union(p, r)
    table = area_table(spacing)
    cp, cr = codes(p), codes(r)
    d1, a1 = directed(cp, cr, spacing, table)
    d2, a2 = directed(cr, cp, spacing, table)
    out["hd"] = max(d1.max(), d2.max())
    out["hd95"] = max(robust(d1, a1, 95), robust(d2, a2, 95))
    out["assd"] = ((d1 * a1).sum() + (d2 * a2).sum()) / (a1.sum() + a2.sum())
    out["surface_pred_mm2"], out["surface_ref_mm2"] = a1.sum(), a2.sum()
    return out


