"""Issue 5's prompt protocol, shared by tests/oracle/test_segment.py and
tests/bench/segment_methods.py: the box is the reference mask's bounding
box on its middle slice, enlarged by 10% (5% each side)."""
import numpy as np


def dice(a, b):
    a, b = a > 0, b > 0
    return 2.0 * (a & b).sum() / max(1, a.sum() + b.sum())


def protocol_box(ref):
    """(slice k, [x1, y1, x2, y2]) for a 3-D reference mask."""
    zs = np.where(ref.any((0, 1)))[0]
    k = int(zs[len(zs) // 2])
    xs, ys = np.where(ref[:, :, k])
    x1, x2, y1, y2 = xs.min(), xs.max(), ys.min(), ys.max()
    ex, ey = int(np.ceil(0.05 * (x2 - x1 + 1))), int(np.ceil(0.05 * (y2 - y1 + 1)))
    w, h = ref.shape[:2]
    return k, [max(0, x1 - ex), max(0, y1 - ey), min(w - 1, x2 + ex), min(h - 1, y2 + ey)]
