"""Where each flight took off and landed: observed, or inferred when the transponder went dark.

A takeoff is a landing with time reversed, so one pass scores both ends: the end's position,
altitude above the field, track (reversed for takeoffs) and vertical trend against every
airport within ``search_km``, and the aircraft's next (or previous) sighting. The rules
(endpoint_rules.py, in numpy over the ends and their candidate fields):

* observed: on the ground, or within ``observed_agl_ft`` of the field coming down (going up
  for a takeoff), within ``observed_km``;
* inferred: below ``ceiling_agl_ft``, heading at the field (error ≤ ``max_heading_error``), on
  a flyable descent (≤ ``max_ft_per_nm``), and the next sighting is at that field ("there"),
  never ("never"), or elsewhere but late enough to have landed first ("elsewhere-later");
  confidence falls with distance and heading error; the reasoning is kept as JSON evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.flights import endpoint_rules as rules
from basewatch.flights.candidates import AirportIndex, airport_index
from basewatch.flights.endpoint_choice import choose
from basewatch.flights.flight_ends import FlightEnds

MACROS = """
CREATE OR REPLACE TEMP MACRO bw_hav_km(lat1, lon1, lat2, lon2) AS
    2 * 6371.0088 * asin(sqrt(least(1.0,
        pow(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lon2 - lon1) / 2), 2))));
CREATE OR REPLACE TEMP MACRO bw_bearing(lat1, lon1, lat2, lon2) AS
    (degrees(atan2(sin(radians(lon2 - lon1)) * cos(radians(lat2)),
        cos(radians(lat1)) * sin(radians(lat2))
        - sin(radians(lat1)) * cos(radians(lat2)) * cos(radians(lon2 - lon1)))) + 360) % 360;
CREATE OR REPLACE TEMP MACRO bw_angle(a, b) AS abs(((a - b + 540) % 360) - 180);
"""


@dataclass(frozen=True)
class EndpointFinder:
    """Settings of takeoff/landing attribution (distances in km, heights in ft)."""

    observed_km: float = 8.0
    observed_agl_ft: float = 1_000.0
    search_km: float = 80.0
    ceiling_agl_ft: float = 10_000.0
    max_heading_error: float = 60.0
    max_ft_per_nm: float = 1_000.0
    min_ft_per_nm: float = 100.0
    reappear_km: float = 15.0
    cruise_kt: float = 450.0
    approach_kt: float = 250.0  # the usual limit below 10,000 ft: near a field, none is faster
    turnaround_s: float = 1_800.0
    min_stop_s: float = 120.0

    def attribute(self, con: duckdb.DuckDBPyConnection, flights: pa.Table) -> pa.Table:
        """The airborne segments of ``flights`` with takeoff_* and landing_* columns (airport,
        time, inferred, confidence, evidence; null airport when no field fits). Ground-only
        segments are sightings that tell where an aircraft reappeared, not flights."""
        flights = _by_aircraft(flights)
        ends = FlightEnds.of(flights)
        ix = airport_index()
        c = rules.search(ends, ix, self)
        best, conf, seen = choose(c, ends, ix, self)
        chosen = _formatted(con, _winners(c, ends, ix, best, conf, seen))
        return _pivot(flights, ends, c.end[best], chosen)


def _by_aircraft(flights: pa.Table) -> pa.Table:
    """``flights`` sorted by (icao24, start_time), as the segmenter already gives them."""
    n = flights.num_rows
    if n < 2:
        return flights
    icao, start = flights.column("icao24"), flights.column("start_time")
    a, b = icao.slice(0, n - 1), icao.slice(1)
    before = pc.less(b, a)
    same = pc.equal(b, a)
    early = pc.and_(same, pc.less_equal(start.slice(1), start.slice(0, n - 1)))
    if pc.any(pc.or_(before, early)).as_py():
        return flights.sort_by([("icao24", "ascending"), ("start_time", "ascending")])
    return flights


def _winners(
    c: rules.Candidates,
    ends: FlightEnds,
    ix: AirportIndex,
    best: rules.Ints,
    conf: rules.Floats,
    seen: rules.Ints,
) -> pa.Table:
    """The chosen candidate of each end as the columns the evidence is written from."""
    end = c.end[best]

    def num(values: rules.Floats) -> pa.Array:
        return pa.array(values, pa.float64(), mask=np.isnan(values))

    def ts(values: rules.Ints) -> pa.Array:
        return pa.array(values, pa.timestamp("us", tz="UTC"), mask=values < 0)

    def text(codes: rules.Ints, names: tuple[str | None, ...]) -> pa.Array:
        return pa.array(names, pa.string()).take(pa.array(codes))

    return pa.table(
        {
            "row": pa.array(np.arange(len(best)), pa.int64()),
            "kind": pa.array(np.where(ends.takeoff[end], "takeoff", "landing")),
            "airport": ix.icao.take(pa.array(c.airport[best])),
            "observed": text(c.obs[best], rules.OBSERVED),
            "next_seen": text(seen, rules.NEXT_SEEN),
            "confidence": num(conf),
            "t": ts(ends.time[end]),
            "ground_time": ts(ends.ground_time[end]),
            "gs": num(ends.gs[end]),
            "lat": num(ends.lat[end]),
            "lon": num(ends.lon[end]),
            "dist_km": num(c.dist[best]),
            "agl": num(c.agl[best]),
            "herr": num(c.herr[best]),
            "vrate": num(ends.vrate[end]),
            "other_km": num(c.other_km[best]),
            "other_s": num(c.other_s[best]),
        }
    )


def _formatted(con: duckdb.DuckDBPyConnection, winners: pa.Table) -> pa.Table:
    """Time and evidence of each chosen end, written by the same SQL as ever (DuckDB's
    rounding, timestamp arithmetic and JSON), in the winners' order."""
    con.register("bw_winners", winners)
    try:
        out: pa.Table = con.sql(_FORMAT).to_arrow_table()
    finally:
        con.unregister("bw_winners")
    return out


def _pivot(flights: pa.Table, ends: FlightEnds, end: rules.Ints, chosen: pa.Table) -> pa.Table:
    """The airborne segments with the chosen takeoff and landing, null where none."""
    at = np.full(len(ends), -1, np.int64)
    at[end] = np.arange(len(end))
    out = flights
    for kind, offset in (("takeoff", 1), ("landing", 0)):
        idx = at[offset::2]
        take = pa.array(np.maximum(idx, 0), mask=idx < 0)
        for name in ("airport", "time", "inferred", "confidence", "evidence"):
            out = out.append_column(f"{kind}_{name}", chosen.column(name).take(take))
    return out.filter(out.column("airborne"))


_FORMAT = """
SELECT airport, observed IS NULL AS inferred,
    round(confidence, 3) AS confidence,
    CASE WHEN observed IS NOT NULL THEN coalesce(ground_time, t)
         WHEN gs > 30
         -- an inferred end: the time the last speed would have taken to reach the field
         THEN t + to_microseconds((dist_km / (gs * 1.852) * 3600e6
                  * (CASE kind WHEN 'landing' THEN 1 ELSE -1 END))::BIGINT)
         ELSE t END AS time,
    to_json(struct_pack(
        rule := coalesce(observed, CASE kind WHEN 'landing' THEN 'went dark heading for the field'
                                   ELSE 'first seen climbing out from the field' END),
        seen_time := strftime(t, '%Y-%m-%dT%H:%M:%SZ'), seen_lat := lat, seen_lon := lon,
        distance_km := round(dist_km, 2), agl_ft := round(agl), heading_error_deg := round(herr, 1),
        vrate_fpm := round(CASE kind WHEN 'takeoff' THEN -vrate ELSE vrate END),
        next_seen := CASE WHEN observed IS NULL THEN next_seen END,
        next_seen_km := round(other_km, 1), next_seen_after_s := round(other_s)
    )) AS evidence
FROM bw_winners ORDER BY row
"""
