"""Airports (all of ``airportsdata``, military fields included) and the endpoints of flights.

Takeoff and landing are attributed set-based in SQL: each flight end is joined to the airports
of nearby grid cells, scored, and either *observed* (on the ground, or within a few hundred
feet of the field near it) or *inferred* (it went dark descending towards the field), with a
confidence and the evidence kept as a JSON document.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv


@cache
def airport_table() -> pa.Table:
    """Every ICAO-coded airport of airportsdata: icao, iata, name, country, lat, lon, elevation."""
    table = _read_csv()
    if table is None:  # a layout this reader does not know: airportsdata's own loader
        return _loaded()
    return table


_COLUMNS = {
    "icao": pa.string(),
    "iata": pa.string(),
    "name": pa.string(),
    "country": pa.string(),
    "lat": pa.float64(),
    "lon": pa.float64(),
    "elevation": pa.float64(),
}


def _read_csv() -> pa.Table | None:
    """airportsdata's ``airports.csv`` read by Arrow (20 ms; its loader takes 130 ms): the rows
    ``airportsdata.load("ICAO")`` gives, or None when its codes repeat (the loader keeps the
    last) or its columns changed."""
    import airportsdata

    path = Path(airportsdata.__file__).with_name("airports.csv")
    options = pcsv.ConvertOptions(
        column_types=_COLUMNS,
        include_columns=list(_COLUMNS),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        raw = pcsv.read_csv(path, convert_options=options)
    except (OSError, pa.ArrowInvalid, KeyError):
        return None
    raw = raw.filter(pc.not_equal(raw.column("icao"), ""))
    if pc.count_distinct(raw.column("icao")).as_py() != raw.num_rows:
        return None
    iata = raw.column("iata")
    return pa.table(
        {
            "icao": raw.column("icao"),
            "iata": pc.if_else(pc.equal(iata, ""), pa.scalar(None, pa.string()), iata),
            "name": raw.column("name"),
            "country": raw.column("country"),
            "lat": raw.column("lat"),
            "lon": raw.column("lon"),
            "elevation_ft": pc.fill_null(raw.column("elevation"), 0.0),
        }
    ).combine_chunks()


def _loaded() -> pa.Table:
    """The same table through ``airportsdata.load`` (one dict per airport)."""
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
