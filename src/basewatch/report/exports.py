"""Flights and visits out of the store: CSV and Parquet as tables; GeoJSON and KML with a track
per flight (its own positions, without those set aside, altitude in metres) and a point per visit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from basewatch.errors import UsageError
from basewatch.store import Store

EXPORT_FORMATS = ("csv", "parquet", "geojson", "kml")
M_PER_FT = 0.3048

_TRACKS_SQL = """
SELECT f.flight_id, list([p.lon, p.lat, coalesce(p.alt_baro_ft, p.alt_geom_ft, 0) * {m_per_ft}]
                         ORDER BY p.time) AS coords,
       list(strftime(p.time, '%Y-%m-%dT%H:%M:%SZ') ORDER BY p.time) AS times
FROM flights f
JOIN positions p ON p.icao24 = f.icao24 AND p.time BETWEEN f.start_time AND f.end_time
ANTI JOIN set_aside s ON s.icao24 = p.icao24 AND s.time = p.time AND s.lat = p.lat AND s.lon = p.lon
GROUP BY f.flight_id
"""


def _check(fmt: str) -> None:
    if fmt not in EXPORT_FORMATS:
        raise UsageError(
            f"unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}"
        )


def _table(table: pa.Table, out: Path, fmt: str) -> Path:
    """CSV or Parquet of a table; nested columns become JSON text in CSV."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(table, out)
        return out
    flat = {}
    for name in table.column_names:
        col = table.column(name)
        nested = pa.types.is_nested(col.type)
        flat[name] = (
            pa.array([json.dumps(v, default=str) for v in col.to_pylist()]) if nested else col
        )
    pacsv.write_csv(pa.table(flat), out)
    return out


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe properties: times as ISO 8601 Z, nested values kept."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if hasattr(value, "strftime"):
            out[key] = value.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif key.endswith("evidence") and isinstance(value, str):
            out[key] = json.loads(value)
        else:
            out[key] = value
    return out


def export_flights(store: Store, out: Path, fmt: str) -> Path:
    """Write ``flights``: a table (CSV/Parquet), or one track per flight (GeoJSON/KML)."""
    _check(fmt)
    flights = store.con.sql("SELECT * FROM flights ORDER BY icao24, start_time").to_arrow_table()
    if fmt in ("csv", "parquet"):
        return _table(flights, out, fmt)
    sql = _TRACKS_SQL.format(m_per_ft=M_PER_FT)
    tracks = {r["flight_id"]: r for r in store.con.sql(sql).to_arrow_table().to_pylist()}
    rows = [_plain(r) for r in flights.to_pylist()]
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        features = [
            {
                "type": "Feature",
                "properties": r,
                "geometry": {"type": "LineString", "coordinates": tracks[r["flight_id"]]["coords"]},
            }
            for r in rows
            if r["flight_id"] in tracks
        ]
        out.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        return out
    placemarks = [_kml_track(r, tracks[r["flight_id"]]) for r in rows if r["flight_id"] in tracks]
    out.write_text(_kml_document("basewatch flights", placemarks))
    return out


def export_visits(store: Store, out: Path, fmt: str) -> Path:
    """Write ``visits``: a table (CSV/Parquet), or a point per visit where it arrived."""
    _check(fmt)
    exists = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'visits'"
    ).fetchall()[0][0]
    if not exists:
        raise UsageError("no visits in the store yet: run `basewatch visits --base NAME` first")
    visits = store.con.sql(
        "SELECT * FROM visits ORDER BY base, arrival_time, icao24"
    ).to_arrow_table()
    if fmt in ("csv", "parquet"):
        return _table(visits, out, fmt)
    rows = [_plain(r) for r in visits.to_pylist()]
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        features = [
            {
                "type": "Feature",
                "properties": r,
                "geometry": {"type": "Point", "coordinates": _visit_point(r)},
            }
            for r in rows
        ]
        out.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        return out
    out.write_text(_kml_document("basewatch visits", [_kml_visit(r) for r in rows]))
    return out


def _visit_point(row: dict[str, Any]) -> list[float]:
    """Where the arrival was last seen (the flight's last position)."""
    return [float(row["arrival_lon"]), float(row["arrival_lat"])]


def _kml_document(name: str, placemarks: list[str]) -> str:
    body = "\n".join(placemarks)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">\n'
        f"<Document><name>{escape(name)}</name>\n{body}\n</Document>\n</kml>\n"
    )


def _kml_track(row: dict[str, Any], track: dict[str, Any]) -> str:
    route = f"{row['takeoff_airport'] or '?'} → {row['landing_airport'] or '?'}"
    name = f"{row['callsign'] or row['icao24']} {route}"
    whens = "".join(f"<when>{t}</when>" for t in track["times"])
    coords = "".join(f"<gx:coord>{c[0]} {c[1]} {c[2]:.0f}</gx:coord>" for c in track["coords"])
    return (
        f"<Placemark><name>{escape(name)}</name>"
        f"<description>{escape(row['flight_id'])}</description>"
        f"<gx:Track><altitudeMode>absolute</altitudeMode>{whens}{coords}</gx:Track></Placemark>"
    )


def _kml_visit(row: dict[str, Any]) -> str:
    lon, lat = _visit_point(row)
    how = "inferred" if row["inferred"] else "observed"
    name = f"{row['registration'] or row['icao24']} at {row['base']}"
    text = (
        f"{how} arrival {row['arrival_time']} from {row['origin'] or '?'} "
        f"(confidence {row['confidence']})"
    )
    return (
        f"<Placemark><name>{escape(name)}</name><description>{escape(text)}</description>"
        f"<TimeStamp><when>{row['arrival_time']}</when></TimeStamp>"
        f"<Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>"
    )
