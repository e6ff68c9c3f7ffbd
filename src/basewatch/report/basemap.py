"""The bundled basemap (Natural Earth 1:50m through world-atlas 2.0.2; see
``data/basemap/PROVENANCE.md``): coastlines, land borders and land, in degrees, cut to a frame.

The file keeps TopoJSON's quantized, delta-encoded arcs; they are decoded once per process
(numpy cumulative sums), and only the arcs and rings whose bounding box meets the frame are
clipped, so a report's map holds the few kilobytes it shows, not the world.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import orjson

from basewatch.report.clip import Box, Floats, clip_polyline, clip_ring

RESOURCE = "data/basemap/world-50m.json.gz"


@dataclass(frozen=True)
class Basemap:
    """Decoded arcs (lon, lat) with their boxes, which arcs are coast or border, land rings."""

    arcs: tuple[Floats, ...]
    arc_boxes: Floats
    coast: tuple[int, ...]
    border: tuple[int, ...]
    rings: tuple[Floats, ...]
    ring_boxes: Floats

    def lines(self, kind: str, box: Box) -> list[Floats]:
        """The ``coast`` or ``border`` lines inside ``box`` (west, south, east, north)."""
        ids = np.asarray(self.coast if kind == "coast" else self.border, dtype=np.int64)
        hits = ids[_meets(self.arc_boxes[ids], box)]
        return [piece for i in hits for piece in clip_polyline(self.arcs[i], box)]

    def land(self, box: Box) -> list[Floats]:
        """Land rings (outer rings and lake holes alike: fill them even-odd) cut to ``box``."""
        hits = np.flatnonzero(_meets(self.ring_boxes, box))
        clipped = (clip_ring(self.rings[i], box) for i in hits)
        return [r for r in clipped if len(r) >= 3]


def _meets(boxes: Floats, box: Box) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.asarray(
        (boxes[:, 0] <= x1) & (boxes[:, 2] >= x0) & (boxes[:, 1] <= y1) & (boxes[:, 3] >= y0)
    )


def _boxes(parts: tuple[Floats, ...]) -> Floats:
    return np.array([[*p.min(axis=0), *p.max(axis=0)] for p in parts], dtype=np.float64)


@cache
def load_basemap() -> Basemap:
    """Read and decode the packaged basemap (about 0.1 s, once per process)."""
    raw = (resources.files("basewatch") / RESOURCE).read_bytes()
    doc = orjson.loads(gzip.decompress(raw))
    scale = np.array(doc["transform"]["scale"], dtype=np.float64)
    shift = np.array(doc["transform"]["translate"], dtype=np.float64)
    arcs = tuple(
        np.cumsum(np.array(a, dtype=np.int64).reshape(-1, 2), axis=0) * scale + shift
        for a in doc["arcs"]
    )
    rings = tuple(_ring(arcs, ring) for polygon in doc["land"] for ring in polygon)
    return Basemap(
        arcs=arcs,
        arc_boxes=_boxes(arcs),
        coast=tuple(doc["coast"]),
        border=tuple(doc["border"]),
        rings=rings,
        ring_boxes=_boxes(rings),
    )


def _ring(arcs: tuple[Floats, ...], ids: list[int]) -> Floats:
    """A ring from signed arc ids (``~i``: arc i reversed); shared joints kept once."""
    parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in ids]
    joined = np.vstack([parts[0], *(p[1:] for p in parts[1:])])
    return joined[:-1] if len(joined) > 1 and (joined[0] == joined[-1]).all() else joined
