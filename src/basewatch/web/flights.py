"""Flights for the pages: one flight with its airports and evidence, and its track — the
positions of its time span, those set aside by the flights stage listed apart, never drawn.

Every positions query names the aircraft and the time span as constants, so DuckDB skips the
row groups whose time (and address) range cannot hold them: the cost follows the flight, not
the store.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
from fastapi import HTTPException

from basewatch.config import Config
from basewatch.report.words import airport_name, airport_position
from basewatch.store import Store
from basewatch.web.params import FLIGHT_ID, iso

_FLIGHT = "SELECT * FROM flights WHERE icao24 = $icao AND flight_id = $id"

_NEIGHBOURS = """
SELECT max(flight_id) FILTER (WHERE start_time < $start) AS previous,
       min(flight_id) FILTER (WHERE start_time > $start) AS next
FROM flights WHERE icao24 = $icao
"""

_WHO = "SELECT registration, type_code, verdict FROM aircraft_class WHERE icao24 = $icao"

_TRACK = """
SELECT epoch(p.time) AS t, p.lat, p.lon, p.alt_baro_ft, p.alt_geom_ft, p.gs_kt, p.track_deg,
       p.vrate_fpm, p.on_ground, p.pos_source, p.ingest_id
FROM positions p
ANTI JOIN (
    SELECT time, lat, lon FROM set_aside
    WHERE icao24 = $icao AND time BETWEEN $start AND $end
) s ON s.time = p.time AND s.lat = p.lat AND s.lon = p.lon
WHERE p.icao24 = $icao AND p.time BETWEEN $start AND $end
ORDER BY p.time, p.lat, p.lon
"""

_ASIDE = """
SELECT time, lat, lon, reason FROM set_aside
WHERE icao24 = $icao AND time BETWEEN $start AND $end ORDER BY time
"""


def flight_row(store: Store, flight_id: str) -> dict[str, Any]:
    """The ``flights`` row of ``flight_id`` (already checked by ``params.flight_id``), else 404."""
    match = FLIGHT_ID.fullmatch(flight_id)
    assert match is not None
    rows = _rows(store, _FLIGHT, {"icao": match.group(1), "id": flight_id})
    if not rows:
        raise HTTPException(404, f"no flight {flight_id} in the store")
    return rows[0]


def positions(store: Store, icao24: str, start: Any, end: Any) -> pa.Table:
    """The aircraft's positions between two times, set-aside ones excluded, in time order."""
    params = {"icao": icao24, "start": start, "end": end}
    table: pa.Table = store.con.sql(_TRACK, params=params).to_arrow_table()
    return table


def set_aside(store: Store, icao24: str, start: Any, end: Any) -> list[dict[str, Any]]:
    """Positions of the span the flights stage set aside, with the reason."""
    rows = _rows(store, _ASIDE, {"icao": icao24, "start": start, "end": end})
    return [{**r, "time": iso(r["time"])} for r in rows]


def thin(table: pa.Table, max_points: int | None) -> pa.Table:
    """At most ``max_points`` rows, evenly spaced, the first and last kept."""
    n = table.num_rows
    if max_points is None or n <= max_points:
        return table
    keep = np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))
    return table.take(pa.array(keep))


def track_doc(store: Store, flight_id: str, max_points: int | None = None) -> dict[str, Any]:
    """The flight's track as columns (times in Unix seconds) for maps and charts."""
    row = flight_row(store, flight_id)
    icao24, start, end = row["icao24"], row["start_time"], row["end_time"]
    table = positions(store, icao24, start, end)
    shown = thin(table, max_points)
    return {
        "flight_id": flight_id,
        "icao24": icao24,
        "callsign": row["callsign"],
        "start": iso(start),
        "end": iso(end),
        "positions": table.num_rows,
        "points": shown.num_rows,
        **columns(shown),
        "set_aside": set_aside(store, icao24, start, end),
    }


def columns(table: pa.Table) -> dict[str, list[Any]]:
    """A track table as JSON-able columns (numbers rounded to what the data holds)."""
    lat = np.round(table.column("lat").to_numpy(zero_copy_only=False), 6)
    lon = np.round(table.column("lon").to_numpy(zero_copy_only=False), 6)
    return {
        "t": table.column("t").to_pylist(),
        "lat": lat.tolist(),
        "lon": lon.tolist(),
        "alt_ft": table.column("alt_baro_ft").to_pylist(),
        "gs_kt": _rounded(table.column("gs_kt")),
        "vrate_fpm": _rounded(table.column("vrate_fpm")),
        "on_ground": table.column("on_ground").to_pylist(),
        "source": table.column("pos_source").to_pylist(),
    }


def _rounded(column: pa.ChunkedArray) -> list[float | None]:
    return [None if v is None else round(v, 1) for v in column.to_pylist()]


def end_doc(row: dict[str, Any], kind: str, config: Config | None = None) -> dict[str, Any] | None:
    """A takeoff or landing as ``basewatch flights --json`` shows it, with the airport's name."""
    if row[f"{kind}_airport"] is None:
        return None
    evidence = row[f"{kind}_evidence"]
    where = airport_position(row[f"{kind}_airport"])
    return {
        "airport": row[f"{kind}_airport"],
        "lat": where[0] if where else None,
        "lon": where[1] if where else None,
        "name": airport_name(row[f"{kind}_airport"], config),
        "time": iso(row[f"{kind}_time"]),
        "inferred": row[f"{kind}_inferred"],
        "confidence": row[f"{kind}_confidence"],
        "evidence": json.loads(evidence) if evidence else None,
    }


def flight_doc(
    store: Store, flight_id: str, config: Config | None = None, classified: bool = True
) -> dict[str, Any]:
    """One flight: who, when, from and to (with the evidence), its neighbours, its numbers
    (``classified``: the store has table ``aircraft_class``; ``config`` names its bases)."""
    row = flight_row(store, flight_id)
    near = _rows(store, _NEIGHBOURS, {"icao": row["icao24"], "start": row["start_time"]})[0]
    who = _rows(store, _WHO, {"icao": row["icao24"]}) if classified else []
    return {
        "flight_id": flight_id,
        "icao24": row["icao24"],
        "callsign": row["callsign"],
        "registration": who[0]["registration"] if who else None,
        "type": who[0]["type_code"] if who else None,
        "verdict": who[0]["verdict"] if who else None,
        "first_seen": iso(row["start_time"]),
        "last_seen": iso(row["end_time"]),
        "n_positions": row["n_positions"],
        "path_km": None if row["path_km"] is None else round(row["path_km"], 1),
        "max_alt_ft": row["max_alt_ft"],
        "takeoff": end_doc(row, "takeoff", config),
        "landing": end_doc(row, "landing", config),
        "previous_flight": near["previous"],
        "next_flight": near["next"],
        "track_url": f"/api/flights/{flight_id}/track",
    }


def _rows(store: Store, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = store.con.sql(sql, params=params).to_arrow_table().to_pylist()
    return rows
