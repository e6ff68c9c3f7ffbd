"""The positions behind each visit, set-based: per arrival flight its first/last position, count,
closest approach to the base and position sources; the files/feeds (``ingests``) they came
from; and the arrival/departure tracks for the map. Positions set aside are never used."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from basewatch.flights.endpoints import MACROS
from basewatch.report.facts import DataSource, PositionsUsed
from basewatch.store import Store

_POSITIONS = """
CREATE OR REPLACE TEMP TABLE _bw_report_p AS
SELECT w.visit, w.kind, w.flight_id, p.time, p.lat, p.lon, p.pos_source, p.ingest_id
FROM _bw_report_wanted w
JOIN flights f ON f.flight_id = w.flight_id
JOIN positions p ON p.icao24 = f.icao24 AND p.time BETWEEN f.start_time AND f.end_time
ANTI JOIN set_aside s ON s.icao24 = p.icao24 AND s.time = p.time AND s.lat = p.lat AND s.lon = p.lon
"""

_USED = """
SELECT visit, min(time) AS first_seen, max(time) AS last_seen, count(*) AS n,
       round(min(bw_hav_km(lat, lon, $lat, $lon)), 2) AS closest_km
FROM _bw_report_p WHERE kind = 'arrival' GROUP BY visit ORDER BY visit
"""

_BY_SOURCE = """
SELECT visit, pos_source, count(*) AS n FROM _bw_report_p WHERE kind = 'arrival'
GROUP BY visit, pos_source ORDER BY visit, pos_source
"""

_ASIDE = """
SELECT w.visit, s.reason, count(*) AS n
FROM _bw_report_wanted w
JOIN flights f ON f.flight_id = w.flight_id
JOIN set_aside s ON s.icao24 = f.icao24 AND s.time BETWEEN f.start_time AND f.end_time
WHERE w.kind = 'arrival'
GROUP BY w.visit, s.reason ORDER BY w.visit, s.reason
"""

_INGESTS = """
SELECT p.visit, i.ingest_id, i.path, i.format, i.sha256, count(*) AS n
FROM _bw_report_p p JOIN ingests i ON i.ingest_id = p.ingest_id
WHERE p.kind = 'arrival'
GROUP BY p.visit, i.ingest_id, i.path, i.format, i.sha256 ORDER BY p.visit, i.ingest_id
"""

_TRACKS = """
SELECT visit, kind, flight_id, list(lat ORDER BY time, lat, lon) AS lats,
       list(lon ORDER BY time, lat, lon) AS lons
FROM _bw_report_p GROUP BY visit, kind, flight_id ORDER BY visit, kind DESC
"""


@dataclass(frozen=True)
class VisitPositions:
    """What the positions say per visit number: used positions, sources, and tracks
    (visit, kind, flight_id, lats, lons)."""

    used: dict[int, PositionsUsed]
    sources: dict[int, tuple[DataSource, ...]]
    tracks: list[tuple[int, str, str, list[float], list[float]]]


def visit_positions(
    store: Store, wanted: list[tuple[int, str, str]], lat: float, lon: float
) -> VisitPositions:
    """For (visit number, 'arrival'|'departure', flight_id) rows, the positions' facts."""
    con = store.con
    table = pa.table(
        {
            "visit": pa.array([w[0] for w in wanted], pa.int64()),
            "kind": pa.array([w[1] for w in wanted], pa.string()),
            "flight_id": pa.array([w[2] for w in wanted], pa.string()),
        }
    )
    con.execute(MACROS)
    con.register("_bw_report_wanted", table)
    try:
        con.execute(_POSITIONS)
        return VisitPositions(used=_used(con, lat, lon), sources=_sources(con), tracks=_tracks(con))
    finally:
        con.unregister("_bw_report_wanted")
        with contextlib.suppress(duckdb.Error):
            con.execute("DROP TABLE IF EXISTS _bw_report_p")


def _used(con: duckdb.DuckDBPyConnection, lat: float, lon: float) -> dict[int, PositionsUsed]:
    by_source: dict[int, list[tuple[str, int]]] = {}
    for visit, source, n in con.execute(_BY_SOURCE).fetchall():
        by_source.setdefault(int(visit), []).append((str(source), int(n)))
    aside: dict[int, list[tuple[str, int]]] = {}
    for visit, reason, n in con.execute(_ASIDE).fetchall():
        aside.setdefault(int(visit), []).append((str(reason), int(n)))
    rows = con.execute(_USED, {"lat": lat, "lon": lon}).fetchall()
    return {
        int(visit): PositionsUsed(
            first_seen=first,
            last_seen=last,
            count=int(n),
            closest_km=float(closest),
            by_source=dict(by_source.get(int(visit), [])),
            set_aside=dict(aside.get(int(visit), [])),
        )
        for visit, first, last, n, closest in rows
    }


def _sources(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[DataSource, ...]]:
    found: dict[int, list[DataSource]] = {}
    for visit, ingest_id, path, fmt, sha256, n in con.execute(_INGESTS).fetchall():
        found.setdefault(int(visit), []).append(
            DataSource(int(ingest_id), str(path), str(fmt), str(sha256), int(n))
        )
    return {visit: tuple(sources) for visit, sources in found.items()}


def _tracks(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str, list[float], list[float]]]:
    return [
        (int(visit), str(kind), str(flight_id), list(lats), list(lons))
        for visit, kind, flight_id, lats, lons in con.execute(_TRACKS).fetchall()
    ]
