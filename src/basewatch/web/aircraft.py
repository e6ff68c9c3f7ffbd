"""An aircraft's page (who it is and why basewatch thinks so, its flights chained into routes)
and the search over addresses, registrations, callsigns, types and operators."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from basewatch.config import Config
from basewatch.flights.routes import daily, itineraries, legs
from basewatch.identify.lookup import identity_of
from basewatch.report.words import airport_name, airport_position
from basewatch.store import Store
from basewatch.web.context import Context
from basewatch.web.params import iso

MAX_FLIGHTS = 500
MAX_HITS = 100

_CLASS = "SELECT * FROM aircraft_class WHERE icao24 = $icao"

_SEARCH_AIRCRAFT = """
SELECT * FROM (
    SELECT icao24, registration, type_code, type_desc, operator, country, verdict,
        CASE WHEN starts_with(icao24, $lower) THEN 'address'
             WHEN replace(upper(registration), '-', '') LIKE $reg ESCAPE '\\' THEN 'registration'
             WHEN upper(type_code) = $upper THEN 'type'
             WHEN upper(type_desc) LIKE $contains ESCAPE '\\' THEN 'type'
             WHEN upper(operator) LIKE $contains ESCAPE '\\' THEN 'operator' END AS matched
    FROM aircraft_class
)
WHERE matched IS NOT NULL
ORDER BY list_position(['address', 'registration', 'type', 'operator'], matched),
         verdict IN ('military', 'state') DESC, icao24
LIMIT $limit
"""

_SEARCH_CALLSIGNS = """
SELECT callsign, icao24, count(*) AS flights, max(end_time) AS last_seen,
       arg_max(flight_id, end_time) AS last_flight
FROM flights WHERE starts_with(upper(callsign), $upper)
GROUP BY callsign, icao24 ORDER BY last_seen DESC LIMIT $limit
"""


def aircraft_doc(ctx: Context, store: Store, icao24: str) -> dict[str, Any]:
    """Identity with reasons, flights (newest ``MAX_FLIGHTS``), routes by day, airports."""
    notes, missing = ctx.status(store)
    rows = [] if "aircraft_class" in missing else _rows(store, _CLASS, {"icao": icao24})
    flights = [] if "flights" in missing else legs(store, icao24)
    if not rows and not flights:
        raise HTTPException(404, f"no aircraft {icao24} in the store")
    identity = identity_of(rows[0], ctx.config, seen=True).as_json() if rows else None
    shown = flights[-MAX_FLIGHTS:]
    itinerary = itineraries(shown, {icao24: identity or {}})
    return {
        "icao24": icao24,
        "identity": identity,
        "flights_total": len(flights),
        "flights": [_flight(r, ctx.config) for r in shown],
        "routes_by_day": daily(itinerary[0]) if itinerary else [],
        "airports": _airports(shown, ctx.config),
        "notes": notes,
    }


def _flight(row: dict[str, Any], config: Config) -> dict[str, Any]:
    return {
        "flight_id": row["flight_id"],
        "callsign": row["callsign"],
        "first_seen": iso(row["start_time"]),
        "last_seen": iso(row["end_time"]),
        "from": row["takeoff_airport"],
        "to": row["landing_airport"],
        "from_name": airport_name(row["takeoff_airport"], config),
        "to_name": airport_name(row["landing_airport"], config),
        "takeoff_time": iso(row["takeoff_time"]),
        "landing_time": iso(row["landing_time"]),
        "landing_inferred": row["landing_inferred"],
        "n_positions": row["n_positions"],
        "first": [row["first_lat"], row["first_lon"]],
        "last": [row["last_lat"], row["last_lon"]],
        "track_url": f"/api/flights/{row['flight_id']}/track",
    }


def _airports(rows: list[dict[str, Any]], config: Config) -> list[dict[str, Any]]:
    codes = sorted({r[k] for r in rows for k in ("takeoff_airport", "landing_airport") if r[k]})
    out = []
    for code in codes:
        where = airport_position(code)
        if where is not None:
            name = airport_name(code, config)
            out.append({"icao": code, "name": name, "lat": where[0], "lon": where[1]})
    return out


def search_doc(ctx: Context, store: Store, q: str) -> dict[str, Any]:
    """Aircraft whose address starts with, registration contains, type or operator matches
    ``q``; callsigns starting with it (parameters only: ``q`` never becomes SQL)."""
    notes, missing = ctx.status(store)
    upper = q.upper()
    like = upper.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    aircraft: list[dict[str, Any]] = []
    if "aircraft_class" not in missing:
        params = {
            "lower": q.lower(),
            "upper": upper,
            "reg": f"%{like.replace('-', '')}%",
            "contains": f"%{like}%",
            "limit": MAX_HITS,
        }
        aircraft = _rows(store, _SEARCH_AIRCRAFT, params)
    callsigns: list[dict[str, Any]] = []
    if "flights" not in missing:
        found = _rows(store, _SEARCH_CALLSIGNS, {"upper": upper, "limit": MAX_HITS})
        callsigns = [{**r, "last_seen": iso(r["last_seen"])} for r in found]
    return {"q": q, "aircraft": aircraft, "callsigns": callsigns, "notes": notes}


def _rows(store: Store, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = store.con.sql(sql, params=params).to_arrow_table().to_pylist()
    return rows
