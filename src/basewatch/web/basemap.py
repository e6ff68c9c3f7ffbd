"""The bundled Natural Earth basemap (``report/basemap.py``) as GeoJSON for the web maps: land
polygons (outer rings and lake holes, to fill even-odd) and land borders, coordinates rounded to
0.001° (about 100 m, finer than the 1:50m data). Made once per process, kept gzipped."""

from __future__ import annotations

import gzip
import hashlib
from functools import cache

import numpy as np
import orjson

from basewatch.report.basemap import load_basemap
from basewatch.report.clip import Floats


def _coords(points: Floats) -> list[list[float]]:
    rounded: list[list[float]] = np.round(points, 3).tolist()
    return rounded


@cache
def basemap_geojson() -> tuple[bytes, str]:
    """The gzipped GeoJSON FeatureCollection and its ETag."""
    bm = load_basemap()
    land = [[_coords(np.vstack([ring, ring[:1]]))] for ring in bm.rings]
    borders = [_coords(bm.arcs[i]) for i in bm.border]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"layer": "land"},
                "geometry": {"type": "MultiPolygon", "coordinates": land},
            },
            {
                "type": "Feature",
                "properties": {"layer": "border"},
                "geometry": {"type": "MultiLineString", "coordinates": borders},
            },
        ],
    }
    raw = orjson.dumps(doc)
    return gzip.compress(raw, compresslevel=6, mtime=0), hashlib.sha256(raw).hexdigest()[:16]
