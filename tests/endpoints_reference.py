"""The airport attribution as it was first written, in SQL: the reference the vectorised rules
(flights/endpoint_rules.py, endpoint_choice.py) are checked against, row for row."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from basewatch.flights.airports import airport_table
from basewatch.flights.endpoints import MACROS, EndpointFinder


@dataclass(frozen=True)
class ReferenceEndpoints(EndpointFinder):
    """``EndpointFinder`` whose ``attribute`` runs the original SQL."""

    def attribute(self, con: duckdb.DuckDBPyConnection, flights: pa.Table) -> pa.Table:
        con.execute(MACROS)
        con.register("bw_flights", flights)
        con.register("bw_airports", airport_table())
        try:
            best = con.sql(self._sql()).to_arrow_table()
            con.register("bw_best", best)
            out: pa.Table = con.sql(_PIVOT).to_arrow_table()
        finally:
            for name in ("bw_flights", "bw_airports", "bw_best"):
                con.unregister(name)
        return out

    def _sql(self) -> str:
        s = self
        return f"""
WITH f AS (
    SELECT *,
        lead(first_lat) OVER w AS next_lat, lead(first_lon) OVER w AS next_lon,
        lead(start_time) OVER w AS next_time, lead(first_ground) OVER w AS next_ground,
        lead(first_alt_ft) OVER w AS next_alt,
        lag(last_lat) OVER w AS prev_lat, lag(last_lon) OVER w AS prev_lon,
        lag(end_time) OVER w AS prev_time, lag(last_ground) OVER w AS prev_ground,
        lag(last_alt_ft) OVER w AS prev_alt,
        lead(flight_id) OVER w AS next_id, lag(flight_id) OVER w AS prev_id
    FROM bw_flights WINDOW w AS (PARTITION BY icao24 ORDER BY start_time)
),
ends AS (
    SELECT flight_id, airborne, 'landing' AS kind, last_lat AS lat, last_lon AS lon,
        last_alt_ft AS alt, last_gs_kt AS gs, last_track_deg AS track, last_vrate_fpm AS vrate,
        last_ground AS ground, end_time AS t, touchdown_time AS ground_time,
        next_lat AS o_lat, next_lon AS o_lon,
        next_time AS o_time, next_ground AS o_ground, next_alt AS o_alt
    FROM f
    UNION ALL
    SELECT flight_id, airborne, 'takeoff', first_lat, first_lon, first_alt_ft, first_gs_kt,
        (first_track_deg + 180) % 360, -first_vrate_fpm, first_ground, start_time, liftoff_time,
        prev_lat, prev_lon, prev_time, prev_ground, prev_alt
    FROM f
),
cells AS (
    SELECT *, floor(lat) + dy AS cy,
        ((floor(lon) + dx + 180) % 360 + 360) % 360 - 180 AS cx
    FROM (
        SELECT *, unnest(range(-m, m + 1)) AS dx
        FROM (
            SELECT *, unnest([-1, 0, 1]) AS dy,
                least(180, ceil({s.search_km} / 111.0
                    / greatest(cos(radians(lat)), 0.01)))::BIGINT AS m
            FROM ends
        )
    )
),
airports AS (
    SELECT *, floor(lat) AS cy, floor(lon) AS cx FROM bw_airports
),
cand AS (
    SELECT c.flight_id, c.airborne, c.kind, c.lat, c.lon, c.alt, c.gs, c.track, c.vrate,
        c.ground, c.t, c.ground_time,
        c.o_lat, c.o_lon, c.o_time, c.o_ground, c.o_alt,
        a.icao, a.iata, a.name, a.elevation_ft, a.lat AS a_lat, a.lon AS a_lon,
        bw_hav_km(c.lat, c.lon, a.lat, a.lon) AS dist_km,
        c.alt - a.elevation_ft AS agl,
        bw_angle(c.track, bw_bearing(c.lat, c.lon, a.lat, a.lon)) AS herr,
        CASE WHEN c.o_lat IS NULL THEN NULL
             ELSE bw_hav_km(c.o_lat, c.o_lon, a.lat, a.lon) END AS other_km,
        abs(epoch(c.o_time) - epoch(c.t)) AS other_s
    FROM cells c JOIN airports a ON a.cy = c.cy AND a.cx = c.cx
),
judged AS (
    SELECT *,
        CASE WHEN dist_km <= {s.observed_km} AND ground THEN 'on the ground'
             WHEN dist_km <= {s.observed_km} AND agl <= {s.observed_agl_ft}
                  AND coalesce(vrate, 0) <= 500
                  AND next_seen IS NOT NULL THEN 'low over the field'
        END AS observed
    FROM (
        SELECT *,
            -- the next sighting (the previous one for a takeoff) must leave time to have
            -- flown to the field, stopped there (unless seen on its ground) and on
            CASE WHEN o_lat IS NULL THEN 'never'
                 WHEN other_s < (dist_km + other_km) / ({s.approach_kt} * 1.852) * 3600
                                + (CASE WHEN o_ground THEN 0 ELSE {s.min_stop_s} END) THEN NULL
                 WHEN other_km <= {s.reappear_km}
                      AND (o_ground OR coalesce(o_alt - elevation_ft, 0) <= 3000) THEN 'there'
                 WHEN other_s >= other_km / ({s.cruise_kt} * 1.852 / 3600) + {s.turnaround_s}
                     THEN 'elsewhere-later'
            END AS next_seen,
            (CASE WHEN iata IS NULL THEN 2 ELSE 0 END)
                + (CASE WHEN name ILIKE '%heliport%' THEN 5 ELSE 0 END) AS penalty_km
        FROM cand WHERE dist_km <= {s.search_km}
    )
),
rated AS (
    SELECT *,
        CASE WHEN observed = 'on the ground' THEN 0.95
             WHEN observed IS NOT NULL THEN 0.85
             WHEN coalesce(agl, 0) <= {s.ceiling_agl_ft}
                  AND (herr <= {s.max_heading_error} OR dist_km <= 5
                       -- dark while turning onto the final (downwind, base leg)
                       OR (herr <= 120 AND dist_km <= 40 AND vrate < -300))
                  AND (vrate < -100
                       OR (agl < 3000 AND dist_km <= 15)
                       OR (vrate IS NULL AND agl < 5000 AND dist_km <= 30)
                       OR (agl IS NULL AND dist_km <= 5))
                  AND greatest(coalesce(agl, 0), 0)
                      <= {s.max_ft_per_nm} * greatest(dist_km / 1.852, 1)
                  -- too low to be on the way down to (or up from) a field that far
                  AND (agl IS NULL OR agl >= {s.min_ft_per_nm} * dist_km / 1.852 - 300)
                  AND next_seen IS NOT NULL
             THEN (CASE next_seen WHEN 'there' THEN 0.9 WHEN 'never' THEN 0.6 ELSE 0.45 END)
                  * (1 - 0.4 * dist_km / {s.search_km})
                  -- over the field itself, the bearing to its reference point means nothing
                  * (1 - 0.3 * (CASE WHEN dist_km <= 5 THEN 0
                                     ELSE least(coalesce(herr, 90), 90) / 90 END))
                  * (CASE WHEN iata IS NULL THEN 0.8 ELSE 1 END)
        END AS confidence,
        -- near, low and not climbing away, whatever the heading: enough when the other end
        -- of the gap went dark at the same field (weighted by distance, no-IATA strips less)
        (observed IS NULL AND NOT coalesce(ground, FALSE)
         AND coalesce(agl, 0) <= {s.ceiling_agl_ft} AND dist_km <= 60
         AND coalesce(vrate, -200) < 300 AND next_seen IS NOT NULL) AS plausible,
        0.5 * greatest(0, 1 - dist_km / 60) * (CASE WHEN iata IS NULL THEN 0.3 ELSE 1 END) AS weak
    FROM judged
),
paired AS (
    -- went dark on the way down, reappeared climbing out: both ends point at the same field
    SELECT a.flight_id, a.kind, a.icao,
        least(0.9, 1 - (1 - coalesce(a.confidence, a.weak))
                          * (1 - coalesce(b.confidence, b.weak)) + 0.2) AS confidence
    FROM rated a
    JOIN f ON f.flight_id = a.flight_id
    JOIN rated b ON b.icao = a.icao AND b.observed IS NULL
        AND (b.confidence IS NOT NULL OR b.plausible)
        -- equalities, not an OR, so that the join hashes on the flight id
        AND b.kind = (CASE a.kind WHEN 'landing' THEN 'takeoff' ELSE 'landing' END)
        AND b.flight_id = (CASE a.kind WHEN 'landing' THEN f.next_id ELSE f.prev_id END)
    WHERE a.observed IS NULL AND (a.confidence IS NOT NULL OR a.plausible)
),
observed_at AS (
    -- the field where each end was actually seen on (or just above) the ground
    SELECT flight_id, kind, icao FROM rated WHERE observed IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY flight_id, kind ORDER BY dist_km + penalty_km, icao
    ) = 1
),
anchored AS (
    -- went dark, and the next takeoff (previous landing) was seen at one of the fields within
    -- reach: that field, whatever the last heading (approaches turn) or a nearer strip says
    SELECT a.flight_id, a.kind, a.icao,
        0.9 * (1 - 0.3 * a.dist_km / {s.search_km})
            * (1 - 0.2 * coalesce(a.herr, 180) / 180) AS confidence
    FROM rated a
    JOIN f ON f.flight_id = a.flight_id
    JOIN observed_at o ON o.icao = a.icao
        -- equalities, not an OR, so that the join hashes on the flight id
        AND o.kind = (CASE a.kind WHEN 'landing' THEN 'takeoff' ELSE 'landing' END)
        AND o.flight_id = (CASE a.kind WHEN 'landing' THEN f.next_id ELSE f.prev_id END)
    WHERE a.observed IS NULL AND coalesce(a.agl, 0) <= {s.ceiling_agl_ft}
),
scored AS (
    SELECT r.* REPLACE (
        coalesce(n.confidence, p.confidence, r.confidence) AS confidence,
        CASE WHEN n.confidence IS NOT NULL THEN 'there (seen on the ground)'
             WHEN p.confidence IS NOT NULL THEN 'there (dark both ways)'
             ELSE r.next_seen END AS next_seen)
    FROM rated r
    LEFT JOIN paired p USING (flight_id, kind, icao)
    LEFT JOIN anchored n USING (flight_id, kind, icao)
)
SELECT flight_id, kind, icao AS airport, observed IS NULL AS inferred,
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
FROM scored WHERE confidence IS NOT NULL AND airborne
QUALIFY row_number() OVER (
    PARTITION BY flight_id, kind
    ORDER BY observed IS NULL,
             CASE WHEN observed IS NOT NULL THEN dist_km + penalty_km ELSE -confidence END,
             icao
) = 1
"""


_PIVOT = """
SELECT f.*,
    t.airport AS takeoff_airport, t.time AS takeoff_time, t.inferred AS takeoff_inferred,
    t.confidence AS takeoff_confidence, t.evidence AS takeoff_evidence,
    l.airport AS landing_airport, l.time AS landing_time, l.inferred AS landing_inferred,
    l.confidence AS landing_confidence, l.evidence AS landing_evidence
FROM bw_flights f
LEFT JOIN bw_best t ON t.flight_id = f.flight_id AND t.kind = 'takeoff'
LEFT JOIN bw_best l ON l.flight_id = f.flight_id AND l.kind = 'landing'
WHERE f.airborne
ORDER BY f.icao24, f.start_time
"""
