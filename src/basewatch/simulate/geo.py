"""Spherical geodesy for the simulator, vectorised: distances, bearings, offsets, great circles.

Positions are WGS84 degrees on a sphere of the mean Earth radius (good to ~0.3 %, far below the
noise of the data being imitated).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Array = npt.NDArray[Any]  # a column of a mixed record (floats, flags)
State = dict[str, Array]

EARTH_M = 6_371_008.8
KT_MS = 1852.0 / 3600.0  # one knot in m/s
FT_M = 0.3048
NM_M = 1852.0


def xyz(lat: Floats, lon: Floats) -> Floats:
    """Unit vectors (n, 3) of positions."""
    p, q = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(p) * np.cos(q), np.cos(p) * np.sin(q), np.sin(p)], axis=-1)


def latlon(v: Floats) -> tuple[Floats, Floats]:
    """Positions of (not necessarily unit) vectors (n, 3)."""
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    lat = np.degrees(np.arcsin(np.clip(v[..., 2], -1.0, 1.0)))
    return lat, np.degrees(np.arctan2(v[..., 1], v[..., 0]))


def distance_m(
    lat1: Floats | float, lon1: Floats | float, lat2: Floats | float, lon2: Floats | float
) -> Floats:
    """Great-circle distance (haversine), metres."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def bearing_deg(
    lat1: Floats | float, lon1: Floats | float, lat2: Floats | float, lon2: Floats | float
) -> Floats:
    """Initial true bearing from point 1 to point 2, degrees in [0, 360)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray((np.degrees(np.arctan2(y, x)) + 360.0) % 360.0)


def offset(
    lat: Floats | float, lon: Floats | float, course: Floats | float, dist_m: Floats | float
) -> tuple[Floats, Floats]:
    """The point ``dist_m`` along the great circle leaving (lat, lon) on ``course``."""
    p1, l1 = np.radians(lat), np.radians(lon)
    c, d = np.radians(course), np.asarray(dist_m) / EARTH_M
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(c))
    l2 = l1 + np.arctan2(np.sin(c) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), (np.degrees(l2) + 540.0) % 360.0 - 180.0


def densify(lat: Floats, lon: Floats, step_m: float) -> tuple[Floats, Floats, Floats]:
    """Points every ~``step_m`` along the great circles joining consecutive waypoints, and the
    index of each waypoint among them."""
    v = xyz(np.asarray(lat, float), np.asarray(lon, float))
    a, b = v[:-1], v[1:]
    omega = np.arccos(np.clip(np.sum(a * b, axis=1), -1.0, 1.0))
    counts = np.maximum(1, np.ceil(omega * EARTH_M / step_m).astype(np.int64))
    seg = np.repeat(np.arange(len(a)), counts)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    frac = (np.arange(counts.sum()) - starts[seg]) / counts[seg]
    w = omega[seg]
    safe = np.where(w > 1e-12, np.sin(w), 1.0)
    ka = np.where(w > 1e-12, np.sin((1 - frac) * w) / safe, 1 - frac)
    kb = np.where(w > 1e-12, np.sin(frac * w) / safe, frac)
    points = ka[:, None] * a[seg] + kb[:, None] * b[seg]
    points = np.vstack([points, v[-1:]])
    lat_out, lon_out = latlon(points)
    return lat_out, lon_out, np.append(starts, len(points) - 1)


def local_to_latlon(
    lat0: float, lon0: float, east_m: Floats, north_m: Floats
) -> tuple[Floats, Floats]:
    """Small local offsets (metres east/north of a point) as positions."""
    lat = lat0 + np.degrees(np.asarray(north_m) / EARTH_M)
    lon = lon0 + np.degrees(np.asarray(east_m) / (EARTH_M * np.cos(np.radians(lat0))))
    return np.asarray(lat), np.asarray(lon)


def in_polygon(lat: Floats, lon: Floats, polygon: tuple[tuple[float, float], ...]) -> Bools:
    """True where (lat, lon) lies inside ``polygon`` (vertices as (lat, lon)); ray casting in
    plain degrees, good for coarse regions away from the antimeridian."""
    y, x = np.asarray(lat, float), np.asarray(lon, float)
    inside = np.zeros(y.shape, bool)
    n = len(polygon)
    for i in range(n):  # a handful of vertices; the points are the vectorised axis
        (y1, x1), (y2, x2) = polygon[i], polygon[(i + 1) % n]
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (x < at)
    return inside
