"""Airports near flight ends, vectorised: a latitude-band index of every airport, searched by
longitude, then the great-circle distance of the SQL rules (``bw_hav_km``) on what is left."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.flights.airports import airport_table

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

EARTH_KM = 6371.0088
#: Height of a latitude band of the index, degrees: an 80 km search spans three or four.
BAND_DEG = 0.5
#: Band keys: band * SPAN + (lon + 180) keeps each band's airports sorted by longitude.
SPAN = 1000.0


@dataclass(frozen=True)
class AirportIndex:
    """Every airport of ``airport_table`` with what the rules need, sorted by (band, lon)."""

    icao: pa.Array
    lat: Floats
    lon: Floats
    elevation_ft: Floats
    no_iata: Bools
    heliport: Bools
    rank: Ints  # position of the ICAO code in sorted order (the rules' tie-breaker)
    key: Floats
    cos_lat: Floats
    max_elevation_ft: float

    @classmethod
    def of(cls, table: pa.Table) -> AirportIndex:
        lat = table.column("lat").to_numpy()
        lon = table.column("lon").to_numpy()
        key = np.floor(lat / BAND_DEG) * SPAN + (lon + 180.0)
        order = np.argsort(key, kind="stable")
        t = table.take(pa.array(order))
        icao = t.column("icao").combine_chunks()
        rank = np.empty(len(icao), np.int64)
        rank[np.asarray(pc.sort_indices(icao))] = np.arange(len(icao))
        heli = pc.match_substring(pc.utf8_lower(t.column("name")), "heliport")
        lat = t.column("lat").to_numpy()
        elevation = t.column("elevation_ft").to_numpy()
        return cls(
            icao=icao,
            lat=lat,
            lon=t.column("lon").to_numpy(),
            elevation_ft=elevation,
            no_iata=np.asarray(t.column("iata").is_null().to_numpy(zero_copy_only=False), bool),
            heliport=np.asarray(pc.fill_null(heli, False).to_numpy(zero_copy_only=False), bool),
            rank=rank,
            key=key[order],
            cos_lat=np.cos(np.radians(lat)),
            max_elevation_ft=float(elevation.max()) if len(elevation) else 0.0,
        )


_INDEX_LOCK = threading.Lock()


def airport_index() -> AirportIndex:
    """The index over all of airportsdata, built once per process: worker threads asking at
    once wait for the one build instead of each making its own."""
    with _INDEX_LOCK:
        return _airport_index()


@cache
def _airport_index() -> AirportIndex:
    return AirportIndex.of(airport_table())


def hav_km(
    lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats, cos1: Floats, cos2: Floats
) -> Floats:
    """``bw_hav_km`` term for term; ``cos1``, ``cos2`` are cos(radians(lat)) of each side,
    computed once per point and per airport."""
    # in place: the same operations in the same order (so the same bits), fewer temporaries
    a = np.subtract(lat2, lat1)
    np.radians(a, out=a)
    a /= 2
    np.sin(a, out=a)
    np.square(a, out=a)
    b = np.subtract(lon2, lon1)
    np.radians(b, out=b)
    b /= 2
    np.sin(b, out=b)
    np.square(b, out=b)
    b *= np.multiply(cos1, cos2)
    a += b
    np.minimum(1.0, a, out=a)
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    return np.asarray(2 * EARTH_KM * a)


def bearing_deg(
    lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats, cos1: Floats, cos2: Floats
) -> Floats:
    """``bw_bearing`` term for term: initial bearing from point 1 to point 2, [0, 360)."""
    dl = np.radians(lon2 - lon1)
    y = np.sin(dl) * cos2
    x = cos1 * np.sin(np.radians(lat2)) - np.sin(np.radians(lat1)) * cos2 * np.cos(dl)
    return np.asarray(np.fmod(np.degrees(np.arctan2(y, x)) + 360, 360))


def near(
    index: AirportIndex, lat: Floats, lon: Floats, radius_km: float
) -> tuple[Ints, Ints, Floats]:
    """Every (point, airport) within ``radius_km`` (great circle), in no particular order:
    point rows, airport rows (of the index) and distances."""
    n = len(lat)
    if not n or not len(index.key):
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    r = radius_km / EARTH_KM
    dlat = np.degrees(r) * 1.001 + 1e-9
    cos_lat = np.cos(np.radians(lat))
    # the longitude half-width of a spherical cap; the whole circle when a pole is inside
    ratio = np.sin(r) / np.maximum(np.abs(cos_lat), 1e-12)
    dlon = np.where(ratio < 1, np.degrees(np.arcsin(np.minimum(ratio, 1.0))) * 1.001 + 1e-9, 540)
    lo_band = np.floor((lat - dlat) / BAND_DEG).astype(np.int64)
    bands = np.floor((lat + dlat) / BAND_DEG).astype(np.int64) - lo_band + 1
    point = np.repeat(np.arange(n), bands)
    first = np.repeat(np.cumsum(bands) - bands, bands)
    base = (np.repeat(lo_band, bands) + np.arange(len(point)) - first) * SPAN + 180.0
    west, east = lon[point] - dlon[point], lon[point] + dlon[point]
    # one interval per band, and the part beyond the antimeridian as a second one
    parts = [(point, base, np.maximum(west, -180.0), np.minimum(east, 180.0))]
    full = np.flatnonzero(dlon[point] >= 180)
    if len(full):
        parts[0][2][full], parts[0][3][full] = -180.0, 180.0
    for side, beyond in (("west", west < -180), ("east", east > 180)):
        at = np.flatnonzero(beyond & (dlon[point] < 180))
        if len(at):
            lo = west[at] + 360 if side == "west" else np.full(len(at), -180.0)
            hi = np.full(len(at), 180.0) if side == "west" else east[at] - 360
            parts.append((point[at], base[at], lo, hi))
    owner = np.concatenate([p[0] for p in parts])
    start = np.concatenate([np.searchsorted(index.key, b + lo, "left") for _, b, lo, _ in parts])
    end = np.concatenate([np.searchsorted(index.key, b + hi, "right") for _, b, _, hi in parts])
    count = np.maximum(end - start, 0)
    airport = np.repeat(start - np.cumsum(count) + count, count) + np.arange(count.sum())
    p = np.repeat(owner, count)
    close = np.abs(index.lat[airport] - lat[p]) <= dlat
    p, airport = p[close], airport[close]
    dist = hav_km(
        lat[p], lon[p], index.lat[airport], index.lon[airport], cos_lat[p], index.cos_lat[airport]
    )
    inside = dist <= radius_km
    return p[inside], airport[inside], dist[inside]
