"""Airports (all of ``airportsdata``, military fields included) and the endpoints of flights.

Takeoff and landing are attributed set-based in SQL: each flight end is joined to the airports
of nearby grid cells, scored, and either *observed* (on the ground, or within a few hundred
feet of the field near it) or *inferred* (it went dark descending towards the field), with a
confidence and the evidence kept as a JSON document.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa


@cache
def airport_table() -> pa.Table:
    """Every ICAO-coded airport of airportsdata: icao, iata, name, country, lat, lon, elevation."""
    import airportsdata

    rows = airportsdata.load("ICAO").values()
    return pa.table(
        {
            "icao": [r["icao"] for r in rows],
            "iata": [r["iata"] or None for r in rows],
            "name": [r["name"] for r in rows],
            "country": [r["country"] for r in rows],
            "lat": pa.array([float(r["lat"]) for r in rows], pa.float64()),
            "lon": pa.array([float(r["lon"]) for r in rows], pa.float64()),
            "elevation_ft": pa.array([float(r["elevation"] or 0.0) for r in rows], pa.float64()),
        }
    )
