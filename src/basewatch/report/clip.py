"""Clip lines and rings to a rectangle, vectorised over their segments with numpy: Liang–Barsky
for polylines (split where they leave the frame), Sutherland–Hodgman for filled rings."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
#: (x min, y min, x max, y max)
Box = tuple[float, float, float, float]


def clip_polyline(points: Floats, box: Box) -> list[Floats]:
    """The pieces of a polyline ((n, 2) array) inside ``box``, in order."""
    if len(points) < 2:
        return []
    p0, d = points[:-1], points[1:] - points[:-1]
    t0 = np.zeros(len(d))
    t1 = np.ones(len(d))
    keep = np.ones(len(d), dtype=bool)
    x0, y0, x1, y1 = box
    for p, q in (
        (-d[:, 0], p0[:, 0] - x0),
        (d[:, 0], x1 - p0[:, 0]),
        (-d[:, 1], p0[:, 1] - y0),
        (d[:, 1], y1 - p0[:, 1]),
    ):
        parallel = p == 0
        keep &= ~(parallel & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
        t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
        t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
    keep &= t0 <= t1
    idx = np.flatnonzero(keep)
    if len(idx) == 0:
        return []
    starts = p0[idx] + t0[idx, None] * d[idx]
    ends = p0[idx] + t1[idx, None] * d[idx]
    # a piece goes on while the next kept segment is the next one and the joint is inside
    joined = (np.diff(idx) == 1) & (t1[idx[:-1]] == 1.0) & (t0[idx[1:]] == 0.0)
    breaks = np.flatnonzero(~joined) + 1
    pieces = []
    for lo, hi in zip(np.r_[0, breaks], np.r_[breaks, len(idx)], strict=True):
        pieces.append(np.vstack([starts[lo : lo + 1], ends[lo:hi]]))
    return pieces


def clip_ring(points: Floats, box: Box) -> Floats:
    """A closed ring ((n, 2), first point not repeated) clipped to ``box`` (Sutherland–Hodgman;
    a ring wholly outside gives an empty array). Good for filling, not for stroking."""
    x0, y0, x1, y1 = box
    ring = points
    for axis, bound, keep_above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if len(ring) == 0:
            break
        nxt = np.roll(ring, -1, axis=0)
        a, b = ring[:, axis], nxt[:, axis]
        inside_a = a >= bound if keep_above else a <= bound
        inside_b = b >= bound if keep_above else b <= bound
        cross = inside_a != inside_b
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(cross, (bound - a) / np.where(cross, b - a, 1.0), 0.0)
        hit = ring + t[:, None] * (nxt - ring)
        both = np.stack([hit, nxt], axis=1)  # per edge: the crossing, then the edge's end
        mask = np.stack([cross, inside_b], axis=1)
        ring = both[mask]
    return ring
