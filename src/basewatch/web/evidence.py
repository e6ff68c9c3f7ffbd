"""The evidence behind one visit, opened from the base page: the arrival flight's positions
(count, first and last, closest approach, by kind; those set aside named and left out), the
files or feeds they came from with their sha256, the landing's reasoning, and the arrival and
departure tracks. The same figures as the report's evidence table (``report/positions.py``),
read with the aircraft and time span as constants so a large store is not scanned."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from fastapi import HTTPException

from basewatch.flights.endpoints import MACROS
from basewatch.report.words import landing_words
from basewatch.store import Store
from basewatch.web.context import Context
from basewatch.web.flights import columns, flight_row, positions, set_aside, thin
from basewatch.web.params import iso

#: Points per track drawn on the base map.
MAP_POINTS = 1500

_CLOSEST = "SELECT round(min(bw_hav_km(lat, lon, $lat, $lon)), 2) FROM _bw_web_track"

_SOURCES = """
SELECT ingest_id, path, format, sha256 FROM ingests
WHERE list_contains($ids, ingest_id) ORDER BY ingest_id
"""


def visit_evidence(ctx: Context, store: Store, name: str, flight_id: str) -> dict[str, Any]:
    """The evidence of the visit whose arrival flight is ``flight_id``, else 404."""
    base = ctx.base(name)
    rows = ctx.visit_rows(store, base)
    row = next((r for r in rows if r["flight_id"] == flight_id), None)
    if row is None:
        raise HTTPException(404, f"flight {flight_id} is not an arrival at {base.name}")
    flight = flight_row(store, flight_id)
    icao24, start, end = flight["icao24"], flight["start_time"], flight["end_time"]
    table = positions(store, icao24, start, end)
    evidence = json.loads(row["evidence"]) if row["evidence"] else None
    aside = set_aside(store, icao24, start, end)
    departure = row["departure_flight_id"]
    return {
        "flight_id": flight_id,
        "departure_flight_id": departure,
        "icao24": icao24,
        "arrival_time": iso(row["arrival_time"]),
        "inferred": row["inferred"],
        "confidence": row["confidence"],
        "how": row["how"],
        "reasoning": landing_words(row, evidence, base.icao or base.name),
        "evidence": evidence,
        "positions": _used(store, table, base.lat, base.lon),
        "set_aside": dict(Counter(a["reason"] for a in aside)),
        "sources": _sources(store, table),
        "tracks": {
            "arrival": columns(thin(table, MAP_POINTS)),
            "departure": _track(store, departure) if departure else None,
        },
        "dark_gap": _dark_gap(evidence, row, base.lat, base.lon),
    }


def _used(store: Store, table: pa.Table, lat: float, lon: float) -> dict[str, Any] | None:
    """Count, first and last seen, closest approach (km) and count per kind of position."""
    if table.num_rows == 0:
        return None
    con = store.con
    con.execute(MACROS)
    con.register("_bw_web_track", table)
    try:
        closest = con.execute(_CLOSEST, {"lat": lat, "lon": lon}).fetchall()[0][0]
    finally:
        with contextlib.suppress(duckdb.Error):
            con.unregister("_bw_web_track")
    kinds = pc.value_counts(table.column("pos_source")).to_pylist()
    times = table.column("t").to_pylist()
    return {
        "count": table.num_rows,
        "first_seen": iso(_utc(times[0])),
        "last_seen": iso(_utc(times[-1])),
        "closest_km": float(closest),
        "by_source": {k["values"]: k["counts"] for k in sorted(kinds, key=lambda k: k["values"])},
    }


def _sources(store: Store, table: pa.Table) -> list[dict[str, Any]]:
    """The ingests (file or feed, format, sha256) holding the positions, with their counts."""
    counts = Counter(table.column("ingest_id").to_pylist())
    if not counts:
        return []
    rows = store.con.sql(_SOURCES, params={"ids": sorted(counts)}).to_arrow_table().to_pylist()
    return [{**r, "positions": counts[r["ingest_id"]]} for r in rows]


def _track(store: Store, flight_id: str) -> dict[str, Any]:
    flight = flight_row(store, flight_id)
    table = positions(store, flight["icao24"], flight["start_time"], flight["end_time"])
    return {"flight_id": flight_id, **columns(thin(table, MAP_POINTS))}


def _dark_gap(
    evidence: dict[str, Any] | None, row: dict[str, Any], lat: float, lon: float
) -> list[float] | None:
    """Where an inferred arrival was last seen, and the base it went dark heading for."""
    if not row["inferred"] or not evidence or evidence.get("seen_lat") is None:
        return None
    return [float(evidence["seen_lat"]), float(evidence["seen_lon"]), lat, lon]


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
