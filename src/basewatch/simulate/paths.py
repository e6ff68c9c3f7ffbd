"""Ground tracks: great-circle legs through route waypoints, runway-aligned at both ends, corners
rounded as an aircraft turns, taxi lines on the airfield; and the closed airspace they avoid.

Russian state aircraft reach Syria through the Caspian–Iran–Iraq corridor (Turkey and Ukraine
are closed to them); civil flights from Moscow may cross the Black Sea and Turkey.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from basewatch.simulate.geo import (
    EARTH_M,
    Floats,
    bearing_deg,
    densify,
    distance_m,
    latlon,
    local_to_latlon,
    offset,
    xyz,
)
from basewatch.simulate.places import Field

Waypoints = tuple[tuple[float, float], ...]

#: Coarse outlines (lat, lon) of airspace closed to Russian state aircraft.
CLOSED_AIRSPACE: dict[str, Waypoints] = {
    "Ukraine": (
        (52.37, 23.6),
        (52.4, 31.8),
        (52.1, 33.9),
        (51.3, 35.4),
        (50.3, 38.0),
        (49.6, 40.2),
        (48.2, 39.9),
        (47.2, 38.3),
        (45.4, 36.8),
        (44.3, 33.8),
        (45.5, 29.7),
        (48.0, 26.6),
        (48.3, 22.9),
        (51.0, 23.6),
    ),
    "Turkey": (
        (42.1, 26.0),
        (41.3, 29.0),
        (42.1, 35.0),
        (41.6, 41.5),
        (41.1, 43.5),
        (39.7, 44.8),
        (37.2, 44.8),
        (37.1, 42.3),
        (36.8, 40.0),
        (36.65, 38.0),
        (36.65, 37.0),
        (36.6, 36.6),
        (35.92, 35.95),
        (36.0, 35.7),
        (36.2, 33.5),
        (36.1, 30.0),
        (36.6, 28.0),
        (37.0, 27.2),
        (38.5, 26.2),
        (40.6, 26.0),
    ),
}

#: From each Russian base to the north Caspian.
RU_ENTRY: dict[str, Waypoints] = {
    "UUMU": ((52.6, 40.8), (48.8, 44.3), (46.2, 48.3)),
    "UUWW": ((52.6, 40.8), (48.8, 44.3), (46.2, 48.3)),
    "UUEM": ((53.4, 39.6), (48.8, 44.3), (46.2, 48.3)),
    "UWLW": ((50.6, 47.2), (46.2, 48.3)),
    "UWOO": ((47.5, 51.0),),
}
#: North Caspian → Iran → Iraq → eastern Syria.
CASPIAN_IRAN_IRAQ: Waypoints = (
    (44.3, 49.4),
    (42.0, 50.6),
    (39.6, 50.4),
    (38.2, 49.8),
    (37.2, 49.6),
    (35.3, 48.6),
    (34.2, 46.6),
    (33.9, 44.6),
    (34.3, 41.5),
)
TO_OSLK: Waypoints = ((34.6, 38.3), (35.1, 36.9))
TO_OSDI: Waypoints = ((33.8, 38.5),)
#: Across Syria at cruise, passing Latakia, and out over the sea.
ACROSS_SYRIA: Waypoints = ((34.6, 38.3), (35.2, 36.6), (35.32, 35.8))
#: From Latakia over the eastern Mediterranean to Benghazi, south of Cyprus and Crete.
MED_LIBYA: Waypoints = ((34.9, 34.6), (34.2, 32.0), (33.6, 27.0), (32.9, 23.0))
#: Civil Moscow → Latakia over the Black Sea and Turkey.
RU_CIVIL: Waypoints = (
    (52.6, 40.8),
    (48.8, 43.6),
    (45.2, 39.6),
    (43.2, 38.0),
    (41.3, 36.4),
    (38.7, 35.5),
    (37.0, 35.9),
)
CIVIL_FROM_OSLK: dict[str, Waypoints] = {
    "OMSJ": ((34.8, 37.2), (33.4, 39.5), (31.5, 42.5), (29.3, 46.5), (27.3, 50.0)),
    "OEJN": ((34.5, 36.8), (32.3, 37.0), (29.5, 37.5), (25.0, 38.6)),
    "ORBI": ((34.8, 37.3), (34.2, 40.8), (33.5, 43.0)),
    "ORER": ((35.8, 38.8), (36.0, 41.5)),
}


def state_route(origin: str, destination: str) -> Waypoints:
    """Waypoints of a Russian state flight between a Russian base and OSLK/OSDI/HLLB, either way."""
    if origin in RU_ENTRY:
        return _state_out(origin, destination)
    if destination in RU_ENTRY:
        return tuple(reversed(_state_out(destination, origin)))
    if (origin, destination) == ("OSLK", "HLLB"):
        return MED_LIBYA
    if (origin, destination) == ("HLLB", "OSLK"):
        return tuple(reversed(MED_LIBYA))
    raise KeyError(f"no state route {origin} → {destination}")


def _state_out(base: str, destination: str) -> Waypoints:
    tail = {"OSLK": TO_OSLK, "OSDI": TO_OSDI, "HLLB": ACROSS_SYRIA + MED_LIBYA}[destination]
    return RU_ENTRY[base] + CASPIAN_IRAN_IRAQ + tail


def civil_route(origin: str, destination: str) -> Waypoints:
    """Waypoints of a civil flight to or from OSLK."""
    if (origin, destination) == ("UUDD", "OSLK"):
        return RU_CIVIL
    if (origin, destination) == ("OSLK", "UUDD"):
        return tuple(reversed(RU_CIVIL))
    if origin == "OSLK":
        return CIVIL_FROM_OSLK[destination]
    return tuple(reversed(CIVIL_FROM_OSLK[origin]))


@dataclass(frozen=True)
class Path:
    """A dense polyline: positions, distance along it (m) and the track at each point."""

    lat: Floats
    lon: Floats
    s: Floats
    track: Floats

    @classmethod
    def of(cls, lat: Floats, lon: Floats) -> Path:
        lat, lon = np.asarray(lat, float), np.asarray(lon, float)
        v = xyz(lat, lon)
        chord = np.linalg.norm(np.diff(v, axis=0), axis=1)
        step = 2 * EARTH_M * np.arcsin(np.clip(chord / 2, 0.0, 1.0))
        s = np.concatenate(([0.0], np.cumsum(step)))
        heading = bearing_deg(lat[:-1], lon[:-1], lat[1:], lon[1:])
        track = np.concatenate((heading, heading[-1:])) if len(heading) else np.zeros(len(lat))
        return cls(lat, lon, s, track)

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def at(self, s: Floats) -> tuple[Floats, Floats, Floats]:
        """Position and track at distances ``s`` along the path (clamped to its ends); the
        track turns smoothly from one segment's heading to the next."""
        pos = np.interp(s, self.s, np.arange(len(self.s), dtype=float))
        i = np.minimum(pos.astype(np.int64), len(self.s) - 2)
        f = pos - i
        lat = self.lat[i] + f * (self.lat[i + 1] - self.lat[i])
        lon = self.lon[i] + f * (self.lon[i + 1] - self.lon[i])
        # segment i's heading holds at its middle; blend towards the neighbouring segment's
        j = np.clip(np.where(f < 0.5, i - 1, i + 1), 0, len(self.s) - 2)
        w = np.abs(f - 0.5)
        a, b = np.radians(self.track[i]), np.radians(self.track[j])
        x = (1 - w) * np.cos(a) + w * np.cos(b)
        y = (1 - w) * np.sin(a) + w * np.sin(b)
        return lat, lon, np.degrees(np.arctan2(y, x)) % 360.0

    def cut(self, s_end: float) -> Path:
        """The path up to ``s_end``."""
        n = int(np.searchsorted(self.s, s_end, side="left"))
        lat, lon, track = self.at(np.array([s_end]))
        return Path(
            np.append(self.lat[:n], lat),
            np.append(self.lon[:n], lon),
            np.append(self.s[:n], s_end),
            np.append(self.track[:n], track),
        )

    def nearest_s(self, lat: float, lon: float) -> float:
        """Distance along the path of its point nearest to (lat, lon)."""
        return float(self.s[int(np.argmin(distance_m(self.lat, self.lon, lat, lon)))])


def concat(*paths: Path) -> Path:
    """Paths end to end (each starting where, or very near where, the previous one ends)."""
    offsets, end = [], 0.0
    for i, p in enumerate(paths):
        if i:
            prev = paths[i - 1]
            end += float(distance_m(prev.lat[-1], prev.lon[-1], p.lat[0], p.lon[0])) + 0.01
        offsets.append(end)
        end += p.length
    return Path(
        np.concatenate([p.lat for p in paths]),
        np.concatenate([p.lon for p in paths]),
        np.concatenate([p.s + o for p, o in zip(paths, offsets, strict=True)]),
        np.concatenate([p.track for p in paths]),
    )


def _point(lat: float, lon: float, course: float, dist_m: float) -> tuple[float, float]:
    """``offset`` of one point, as plain floats."""
    q = offset(lat, lon, course, dist_m)
    return float(q[0]), float(q[1])


def _bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(bearing_deg(a[0], a[1], b[0], b[1]))


def _turn(a: float, b: float) -> float:
    """Signed angle from heading ``a`` to heading ``b``, degrees in [-180, 180)."""
    return (b - a + 540.0) % 360.0 - 180.0


def runway_ends(f: Field, heading: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Start (threshold) and far end of ``f``'s runway flown on ``heading``."""
    half = f.runway_m / 2
    return _point(f.lat, f.lon, heading + 180.0, half), _point(f.lat, f.lon, heading, half)


def runway_heading(f: Field, toward_deg: float, aligned: bool) -> float:
    """The runway direction closest to ``toward_deg`` when ``aligned``, else the other one."""
    first = f.runway_deg if abs(_turn(f.runway_deg, toward_deg)) <= 90 else f.runway_deg + 180.0
    return (first if aligned else first + 180.0) % 360.0


def _side_point(
    at: tuple[float, float], course: float, target: tuple[float, float], ahead: float, side: float
) -> tuple[float, float]:
    """A point ``ahead`` m along ``course`` then ``side`` m abeam, towards ``target``'s side."""
    p = _point(at[0], at[1], course, ahead)
    abeam = 90.0 if _turn(course, _bearing(at, target)) >= 0 else -90.0
    return _point(p[0], p[1], course + abeam, side)


@lru_cache(maxsize=512)
def air_path(
    dep: Field, dep_heading: float, arr: Field, arr_heading: float, route: Waypoints, final_m: float
) -> tuple[Path, dict[str, float]]:
    """Runway start at ``dep`` to runway end at ``arr`` through ``route``: climb-out on the runway
    heading, a turn point when the route lies behind, a base point when the final approach
    course differs from the inbound one; corners rounded. Returns the path and marks (m)."""
    d0, d1 = runway_ends(dep, dep_heading)
    a0, a1 = runway_ends(arr, arr_heading)
    climb = _point(d1[0], d1[1], dep_heading, 5000.0)
    faf = _point(a0[0], a0[1], arr_heading + 180.0, final_m)
    first = route[0] if route else faf
    last = route[-1] if route else climb
    pts = [d0, d1, climb]
    if abs(_turn(dep_heading, _bearing(climb, first))) > 100:
        pts.append(_side_point(climb, dep_heading, first, 3000.0, 5000.0))
    pts += list(route)
    if abs(_turn(arr_heading, _bearing(last, faf))) > 70:
        pts.append(_side_point(faf, arr_heading + 180.0, last, 6000.0, 8000.0))
    pts += [faf, a0, a1]
    lat, lon, at = densify(np.array([p[0] for p in pts]), np.array([p[1] for p in pts]), 400.0)
    path = _rounded(Path.of(lat, lon))
    first_wp = pts.index(route[0]) if route else 0
    marks = {"runway_end": path.s[at[1]], "threshold": path.s[at[-2]], "final": path.s[at[-3]]}
    marks.update({f"wp{i}": path.s[at[first_wp + i]] for i in range(len(route))})
    return path, {k: float(v) for k, v in marks.items()}


def _rounded(path: Path) -> Path:
    """Corners rounded by a moving average whose half-width grows away from the airports
    (about 1 km near a runway, up to 12 km en route), as turn radii grow with speed."""
    n = len(path.s)
    if n < 5:
        return path
    v = xyz(path.lat, path.lon)
    to_end = np.minimum(path.s, path.length - path.s)
    half = np.clip(0.12 * to_end, 600.0, 12_000.0)
    step = path.length / (n - 1)
    k = np.minimum((half / step).astype(np.int64), n - 1)
    kmax = int(k.max())
    # odd reflection keeps straight lines straight through the padded ends
    padded = np.concatenate([2 * v[:1] - v[kmax:0:-1], v, 2 * v[-1:] - v[-2 : -kmax - 2 : -1]])
    csum = np.vstack([np.zeros((1, 3)), np.cumsum(padded, axis=0)])
    idx = np.arange(n) + kmax
    mean = (csum[idx + k + 1] - csum[idx - k]) / (2 * k + 1)[:, None]
    lat, lon = latlon(mean)
    return Path.of(lat, lon)


def taxi_path(
    f: Field, heading: float, along_m: float, apron_along_m: float, to_runway: bool
) -> Path:
    """Apron ↔ runway over a parallel taxiway, in the runway frame of ``heading``; ``along_m``
    is where the aircraft joins or leaves the runway centreline (m from its midpoint)."""
    same = abs(_turn(f.runway_deg, heading)) < 90
    side = f.apron_side if same else -f.apron_side
    along = np.array([apron_along_m, apron_along_m, along_m, along_m])
    across = np.array([400.0, 180.0, 180.0, 0.0]) * side
    if not to_runway:
        along, across = along[::-1], across[::-1]
    h = np.radians(heading)
    east = along * np.sin(h) + across * np.cos(h)
    north = along * np.cos(h) - across * np.sin(h)
    lat, lon = local_to_latlon(f.lat, f.lon, east, north)
    dense_lat, dense_lon, _ = densify(lat, lon, 20.0)
    return Path.of(dense_lat, dense_lon)
