"""Visits: arrivals at a watched base (an observed or inferred landing at its field, or a flight
ending low within its radius), with identity, origin, departure, next destination and dwell."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from basewatch.activity.bases import ResolvedBase
from basewatch.config import Config
from basewatch.flights import FlightBuilder
from basewatch.flights.airports import airport_table
from basewatch.flights.endpoints import MACROS
from basewatch.flights.routes import iso
from basewatch.identify.classify import Classifier
from basewatch.store import Store

#: A flight that ends this low (above the base) within its radius arrived there.
LOW_FT = 3_000.0


@dataclass(frozen=True)
class VisitDetector:
    """Finds the visits of one base; ``watch`` classes filter them (state, military, all,
    a watchlist name, or an ICAO type designator)."""

    base: ResolvedBase
    config: Config
    state_only: bool = False
    low_ft: float = LOW_FT
    flights: FlightBuilder = field(default_factory=FlightBuilder)
    #: The caller keeps flights and classes current (the watcher): do not rebuild them here.
    maintained: bool = False
    #: False: leave table ``visits`` as it is (a read-only store, the web dashboard).
    save: bool = True

    def detect(
        self, store: Store, since: datetime | None = None, until: datetime | None = None
    ) -> pa.Table:
        """Visits ordered by arrival time (table ``visits`` is replaced for this base unless
        ``save`` is False)."""
        if not self.maintained:
            self.flights.ensure(store)
            Classifier.from_config(self.config).ensure(store)
        store.con.execute(MACROS)
        b = self.base
        params = {
            "base": b.name,
            "icao": b.icao,
            "lat": b.lat,
            "lon": b.lon,
            "elev": b.elevation_ft,
            "radius": b.radius_km,
            "low": self.low_ft,
            "since": since,
            "until": until,
            "near": fields_within(b) if b.icao is None else [],
        }
        watch, watch_params = self._watch_sql()
        sql = _SQL.format(watch=watch)
        table: pa.Table = store.con.sql(sql, params={**params, **watch_params}).to_arrow_table()
        if self.save:
            _save(store, b.name, table)
        return table

    def _watch_sql(self) -> tuple[str, dict[str, str]]:
        """The watched-class filter as SQL over ``aircraft_class`` (alias c), and its params."""
        if self.state_only:
            return "coalesce(c.state, FALSE)", {}
        terms: list[str] = []
        params: dict[str, str] = {}
        for i, item in enumerate(self.base.watch):
            if item == "all":
                return "TRUE", {}
            if item in ("state", "military"):
                terms.append(f"coalesce(c.{item}, FALSE)")
            elif self.config.watchlist(item) is not None:
                terms.append(f"list_contains(c.watchlists, $w{i})")
                params[f"w{i}"] = item
            else:  # an ICAO type designator
                terms.append(f"upper(c.type_code) = $w{i}")
                params[f"w{i}"] = item.upper()
        return " OR ".join(terms) or "TRUE", params


def visit_json(row: dict[str, Any]) -> dict[str, Any]:
    """The ``visits --json`` shape of DESIGN.md (plus flight ids, verdict and evidence)."""
    reasons = row["reasons"] or []
    return {
        "base": row["base"],
        "icao24": row["icao24"],
        "registration": row["registration"],
        "type": row["type"],
        "callsign": row["callsign"],
        "arrival_time": iso(row["arrival_time"]),
        "departure_time": iso(row["departure_time"]),
        "inferred": row["inferred"],
        "confidence": row["confidence"],
        "origin": row["origin"],
        "destination": row["destination"],
        "state": row["state"],
        "military": row["military"],
        "verdict": row["verdict"],
        "reasons": [f"{r['rule']}: {r['detail']} ({r['says']}, {r['weight']})" for r in reasons],
        "how": row["how"],
        "evidence": json.loads(row["evidence"]) if row["evidence"] else None,
        "flight_id": row["flight_id"],
        "departure_flight_id": row["departure_flight_id"],
    }


def fields_within(base: ResolvedBase) -> list[str]:
    """Airports inside a point base's radius (a landing there is an arrival at the base: Al
    Jufra's strip is in airportsdata as HL69, a naval base may have a helipad)."""
    fields = airport_table()
    lat, lon = (
        np.radians(fields.column("lat").to_numpy()),
        np.radians(fields.column("lon").to_numpy()),
    )
    blat, blon = math.radians(base.lat), math.radians(base.lon)
    a = np.sin((lat - blat) / 2) ** 2 + np.cos(lat) * math.cos(blat) * np.sin((lon - blon) / 2) ** 2
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return sorted(
        fields.column("icao").to_numpy(zero_copy_only=False)[km <= base.radius_km].tolist()
    )


def _save(store: Store, base: str, table: pa.Table) -> None:
    """Replace this base's rows of table ``visits`` (the whole table if its shape changed)."""
    con = store.con
    con.register("bw_visits", table)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM visits WHERE base = ?", [base])
            con.execute("INSERT INTO visits SELECT * FROM bw_visits")
        except duckdb.Error:
            con.execute("ROLLBACK")
            con.execute("BEGIN TRANSACTION")
            con.execute("CREATE OR REPLACE TABLE visits AS SELECT * FROM bw_visits")
        con.execute("COMMIT")
    finally:
        con.unregister("bw_visits")


_SQL = """
WITH f AS (
    SELECT *,
        lead(flight_id) OVER w AS next_flight_id,
        lead(takeoff_airport) OVER w AS next_from,
        lead(takeoff_time) OVER w AS next_takeoff,
        lead(start_time) OVER w AS next_start,
        lead(first_lat) OVER w AS next_lat, lead(first_lon) OVER w AS next_lon,
        lead(landing_airport) OVER w AS next_to
    FROM flights WINDOW w AS (PARTITION BY icao24 ORDER BY start_time)
),
arrivals AS (
    SELECT *,
        CASE WHEN $icao IS NOT NULL AND landing_airport = $icao THEN 'landing at the field'
             WHEN list_contains($near, landing_airport) THEN 'landing at a field within the radius'
             WHEN landing_airport IS NULL
                  AND bw_hav_km(last_lat, last_lon, $lat, $lon) <= $radius
                  AND (last_ground OR coalesce(last_alt_ft - $elev, 0) <= $low)
                 THEN 'flight ended low within the radius'
        END AS how,
        coalesce(next_from = $icao, FALSE) OR coalesce(list_contains($near, next_from), FALSE)
            OR coalesce(bw_hav_km(next_lat, next_lon, $lat, $lon) <= $radius, FALSE) AS left_here
    FROM f
)
SELECT $base AS base, a.icao24, c.registration, c.type_code AS type, a.callsign,
    coalesce(a.landing_time, a.end_time) AS arrival_time,
    CASE WHEN left_here THEN coalesce(a.next_takeoff, a.next_start) END AS departure_time,
    CASE WHEN how LIKE 'landing at %' THEN a.landing_inferred ELSE TRUE END AS inferred,
    CASE WHEN how LIKE 'landing at %' THEN a.landing_confidence ELSE 0.5 END AS confidence,
    a.takeoff_airport AS origin,
    CASE WHEN left_here THEN a.next_to END AS destination,
    c.state, c.military, c.verdict, c.confidence AS class_confidence, c.reasons, c.watchlists,
    how, a.landing_evidence AS evidence, a.last_lat AS arrival_lat, a.last_lon AS arrival_lon,
    a.flight_id,
    CASE WHEN left_here THEN a.next_flight_id END AS departure_flight_id
FROM arrivals a
LEFT JOIN aircraft_class c USING (icao24)
WHERE how IS NOT NULL
  AND ($since IS NULL OR coalesce(a.landing_time, a.end_time) >= $since)
  AND ($until IS NULL OR coalesce(a.landing_time, a.end_time) <= $until)
  AND ({watch})
ORDER BY arrival_time, icao24
"""
