"""Agreement of basewatch and traffic on takeoff and landing airports (for benchmarks/flights.py).

Flights are matched one to one by aircraft and largest time overlap, on the first copy of the
inputs (the other copies are the same flights under other addresses). A flight end counts as a
*real* takeoff (landing) when the positions themselves show it, whatever either tool says: in
the first (last) 30 minutes that both tools' flights share, the aircraft is at an airport
(within 8 km, on the ground or below 500 ft above the field, on 2 positions or more) and then
climbs (before that, descends from) 1,500 ft above that field 3 km away from it, or goes from
the ground flag to flagged airborne above 100 kt (the reverse for landings), on 5 positions or
more (altitude junk exists, on the ground too); stale repeats (the previous row's position
again) are left out. That airport is the reference answer; each tool's answer is compared with
it and with the other tool's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from basewatch.flights import airport_table

_MACRO = """
CREATE OR REPLACE TEMP MACRO hav_km(lat1, lon1, lat2, lon2) AS
    2 * 6371.0088 * asin(sqrt(least(1.0, pow(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lon2 - lon1) / 2), 2))));
"""

_PAIRS = """
CREATE TEMP TABLE pairs AS
WITH j AS (
    SELECT b.flight_id AS bw_id, t.flight_id AS tr_id, b.icao24,
        least(epoch_us(b.end_time), t.stop_us) - greatest(epoch_us(b.start_time), t.start_us)
            AS overlap
    FROM bw b JOIN tr t ON t.icao24 = b.icao24
    WHERE b.icao24 IN (SELECT icao24 FROM aliases WHERE copy = 0)
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY bw_id ORDER BY overlap DESC) AS rb,
        row_number() OVER (PARTITION BY tr_id ORDER BY overlap DESC) AS rt
    FROM j WHERE overlap > 0
)
SELECT bw_id, tr_id, icao24 FROM ranked WHERE rb = 1 AND rt = 1
"""

_ENDS = """
CREATE TEMP TABLE ends AS
SELECT p.*, k.kind, a.orig_icao24, a.origin, b.callsign,
    CASE k.kind WHEN 'takeoff' THEN b.start_time ELSE b.end_time END AS bw_t,
    to_timestamp((CASE k.kind WHEN 'takeoff' THEN t.start_us ELSE t.stop_us END) / 1e6) AS tr_t,
    greatest(b.start_time, to_timestamp(t.start_us / 1e6)) AS lo,
    least(b.end_time, to_timestamp(t.stop_us / 1e6)) AS hi,
    CASE k.kind WHEN 'takeoff' THEN b.takeoff_airport ELSE b.landing_airport END AS bw_ap,
    CASE k.kind WHEN 'takeoff' THEN b.takeoff_inferred ELSE b.landing_inferred END AS bw_inf,
    CASE k.kind WHEN 'takeoff' THEN b.takeoff_confidence ELSE b.landing_confidence END AS bw_conf,
    CASE k.kind WHEN 'takeoff' THEN b.takeoff_evidence ELSE b.landing_evidence END AS bw_ev,
    CASE k.kind WHEN 'takeoff' THEN t.takeoff ELSE t.landing END AS tr_ap,
    CASE k.kind WHEN 'takeoff' THEN t.takeoff_km ELSE t.landing_km END AS tr_km
FROM pairs p JOIN bw b ON b.flight_id = p.bw_id JOIN tr t ON t.flight_id = p.tr_id
JOIN aliases a ON a.icao24 = p.icao24
CROSS JOIN (VALUES ('takeoff'), ('landing')) k(kind)
"""

_FRESH = """
CREATE TEMP TABLE fresh AS
SELECT icao24, time, lat, lon, coalesce(alt_baro_ft, alt_geom_ft) AS alt, on_ground, gs_kt,
    -- a stale repeat: the position of the row before, again (OpenSky repeats the last fix
    -- while the aircraft is lost, with whatever altitude it still decodes)
    coalesce(lat = lag(lat) OVER w AND lon = lag(lon) OVER w, false) AS stale
FROM s.positions WHERE icao24 IN (SELECT icao24 FROM pairs)
WINDOW w AS (PARTITION BY icao24 ORDER BY time)
"""

_NEAR = """
CREATE TEMP TABLE near AS
WITH cells AS (
    SELECT *, floor(lat) + dy AS cy, floor(lon) + dx AS cx
    FROM fresh, (VALUES (-1), (0), (1)) y(dy), (VALUES (-1), (0), (1)) x(dx)
    WHERE NOT stale
)
SELECT c.icao24, c.time, a.icao, a.elevation_ft AS elev, hav_km(c.lat, c.lon, a.lat, a.lon) AS km
FROM cells c JOIN (SELECT *, floor(lat) AS cy, floor(lon) AS cx FROM apt) a USING (cy, cx)
WHERE hav_km(c.lat, c.lon, a.lat, a.lon) <= 8
QUALIFY row_number() OVER (PARTITION BY c.icao24, c.time ORDER BY km) = 1
"""

_REFERENCE = """
CREATE TEMP TABLE ref AS
WITH w0 AS (
    SELECT e.bw_id, e.kind, p.time, coalesce(p.alt, 1e9) AS alt, p.on_ground, p.gs_kt AS gs,
        p.lat, p.lon, n.icao, n.elev,
        n.icao IS NOT NULL AND ((p.on_ground AND p.alt IS NULL) OR p.alt - n.elev <= 500)
            AS at_airport,
        n.icao IS NOT NULL AND (coalesce(p.on_ground, false) AND (p.alt IS NULL
            OR p.alt - n.elev <= 500) OR (p.on_ground IS NULL AND p.alt - n.elev <= 100))
            AS ground
    FROM ends e
    JOIN fresh p ON p.icao24 = e.icao24 AND NOT p.stale AND CASE e.kind
        WHEN 'takeoff' THEN p.time BETWEEN e.lo AND least(e.hi, e.lo + INTERVAL 30 MINUTE)
        ELSE p.time BETWEEN greatest(e.lo, e.hi - INTERVAL 30 MINUTE) AND e.hi END
    LEFT JOIN near n ON n.icao24 = p.icao24 AND n.time = p.time
), w AS (
    -- an airport is "there" only on 2 positions or more (single low-altitude glitches exist)
    SELECT * REPLACE (at_airport AND count(*) FILTER (at_airport)
        OVER (PARTITION BY bw_id, kind, icao) >= 2 AS at_airport)
    FROM w0
), low AS (
    SELECT bw_id, kind,
        CASE kind WHEN 'takeoff' THEN min(time) FILTER (at_airport)
            ELSE max(time) FILTER (at_airport) END AS t_low,
        CASE kind WHEN 'takeoff' THEN arg_min(icao, time) FILTER (at_airport)
            ELSE arg_max(icao, time) FILTER (at_airport) END AS icao,
        CASE kind WHEN 'takeoff' THEN arg_min(elev, time) FILTER (at_airport)
            ELSE arg_max(elev, time) FILTER (at_airport) END AS elev,
        CASE kind WHEN 'takeoff' THEN arg_min(ground, time) FILTER (at_airport)
            ELSE arg_max(ground, time) FILTER (at_airport) END AS low_ground
    FROM w GROUP BY bw_id, kind HAVING t_low IS NOT NULL
)
SELECT low.bw_id, low.kind, low.icao AS ref_ap,
    -- climbing out / coming in: flagged airborne, 1,500 ft above the field and 3 km away
    -- from it (altitude junk also comes on the ground, flagged so, near the field)
    count(*) FILTER (NOT coalesce(w.on_ground, false) AND ((w.alt - low.elev >= 1500
            AND w.alt < 1e9 AND hav_km(w.lat, w.lon, a.lat, a.lon) >= 3)
        OR (low.low_ground AND w.on_ground IS NOT NULL AND w.gs > 100))) >= 5 AS real
FROM low JOIN apt a ON a.icao = low.icao JOIN w ON w.bw_id = low.bw_id AND w.kind = low.kind
    AND CASE low.kind WHEN 'takeoff' THEN w.time > low.t_low ELSE w.time < low.t_low END
GROUP BY low.bw_id, low.kind, low.icao
"""

_JUDGED = """
CREATE TEMP TABLE judged AS
SELECT e.*, r.ref_ap, coalesce(r.real, false) AS real,
    abs(epoch(e.bw_t) - epoch(e.tr_t)) <= 300 AS same_cut,
    f.on_ground AS e_flag, f.alt AS e_alt, f.gs_kt AS e_gs, f.stale AS e_stale
FROM ends e LEFT JOIN ref r USING (bw_id, kind)
LEFT JOIN (
    SELECT icao24, time, any_value(on_ground) AS on_ground, any_value(alt) AS alt,
        any_value(gs_kt) AS gs_kt, bool_or(stale) AS stale
    FROM fresh GROUP BY ALL
) f ON f.icao24 = e.icao24 AND f.time = e.bw_t
"""

_MISSES = """
SELECT CASE
        WHEN e_flag AND e_alt IS NULL AND e_gs > 50
            THEN 'flagged on the ground, no altitude, faster than 50 kt'
        WHEN e_stale THEN 'a stale repeat of the fix before it, with another altitude'
        WHEN bw_ap IS NULL THEN 'other (no airport named)'
        ELSE 'other (another airport named)' END AS why,
    count(*) AS n
FROM judged WHERE real AND bw_ap IS DISTINCT FROM ref_ap GROUP BY 1 ORDER BY 2 DESC
"""

_SUMMARY = """
SELECT origin, count(*) FILTER (real) AS real_ends,
    count(*) FILTER (real AND same_cut) AS same_cut,
    count(*) FILTER (real AND same_cut AND bw_ap IS NOT DISTINCT FROM tr_ap) AS agree,
    count(*) FILTER (real AND bw_ap IS NOT DISTINCT FROM ref_ap) AS bw_right,
    count(*) FILTER (real AND tr_ap IS NOT DISTINCT FROM ref_ap) AS tr_right,
    count(*) FILTER (NOT real AND bw_ap IS NOT NULL AND NOT bw_inf) AS bw_obs_unreal,
    count(*) FILTER (NOT real AND bw_inf) AS bw_inf_unreal,
    count(*) FILTER (NOT real AND tr_ap IS NOT NULL) AS tr_unreal,
    count(*) FILTER (NOT real) AS unreal
FROM judged GROUP BY ROLLUP (origin) ORDER BY origin NULLS LAST
"""


def _example(row: tuple[Any, ...]) -> str:
    icao, origin, callsign, kind, t, ref, bw, conf, ev, tr, km, flag, alt, gs, stale = row
    why = ""
    if ev:
        e = json.loads(str(ev))
        why = (
            f" [{e['rule']}: {e['distance_km']} km, {e['agl_ft']} ft AGL"
            + (f", heading error {e['heading_error_deg']}°" if e.get("heading_error_deg") else "")
            + (f", next seen {e['next_seen']}" if e.get("next_seen") else "")
            + "]"
        )
    state = "ground" if flag else "air" if flag is not None else "no flag"
    alt_ft = "-" if alt is None else f"{alt:.0f}"
    end = f"{state}, {alt_ft} ft, {'-' if gs is None else f'{gs:.0f}'} kt"
    return (
        f"  {icao} {callsign or '-':<8} {origin:<22} {kind:<7} {t:%Y-%m-%d %H:%M}Z "
        f"(end: {end}{', stale repeat' if stale else ''}) data: {ref or '-'}; "
        f"basewatch: {bw or '-'} ({conf or '-'}){why}; traffic: {tr} ({km:.1f} km)"
    )


def _examples(con: duckdb.DuckDBPyConnection, title: str, where: str, limit: int) -> None:
    rows = con.sql(
        "SELECT orig_icao24, origin, callsign, kind, bw_t, ref_ap, bw_ap, bw_conf, bw_ev, tr_ap,"
        f" tr_km, e_flag, e_alt, e_gs, e_stale FROM judged WHERE {where}"
        " ORDER BY origin, orig_icao24, bw_t"
    ).fetchall()
    print(f"\n{title}: {len(rows)}" + (f" (first {limit})" if len(rows) > limit else ""))
    for row in rows[:limit]:
        print(_example(row))


def compare(db: Path, aliases: Path, bw: Path, tr: Path, examples: int) -> None:
    """Print the agreement analysis on the first copy of the inputs."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{db}' AS s (READ_ONLY)")
    con.execute(_MACRO)
    con.register("apt", airport_table())
    for name, path in (("aliases", aliases), ("bw", bw), ("tr", tr)):
        con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM '{path}'")
    for sql in (_PAIRS, _ENDS, _FRESH, _NEAR, _REFERENCE):
        con.execute(sql)
    con.execute(_JUDGED)
    _print_summary(con)
    _print_examples(con, examples)


_LISTS = (
    (
        "real ends, same cut, where the airports differ",
        "real AND same_cut AND bw_ap IS DISTINCT FROM tr_ap",
    ),
    ("real ends traffic gets wrong", "real AND tr_ap IS DISTINCT FROM ref_ap"),
    (
        "real ends that one tool gets wrong after cutting differently",
        "real AND NOT same_cut"
        " AND (bw_ap IS DISTINCT FROM ref_ap OR tr_ap IS DISTINCT FROM ref_ap)",
    ),
    (
        "basewatch names an airport observed where the data shows no takeoff/landing",
        "NOT real AND bw_ap IS NOT NULL AND NOT bw_inf",
    ),
)


def _print_examples(con: duckdb.DuckDBPyConnection, examples: int) -> None:
    print("\nwhy basewatch misses real ends (state of its end position):")
    for why, n in con.sql(_MISSES).fetchall():
        print(f"  {n:>5}  {why}")
    for title, where in _LISTS:
        _examples(con, title, where, examples)
    _n, same, real, right = con.sql(
        "SELECT count(*), count(*) FILTER (bw_ap = tr_ap), count(*) FILTER (real),"
        " count(*) FILTER (real AND bw_ap = ref_ap) FROM judged WHERE kind = 'landing' AND bw_inf"
    ).fetchall()[0]
    _examples(
        con,
        f"basewatch inferred (dark) landings (traffic names the same airport on {same}; "
        f"the data shows the landing after all on {real}, basewatch right on {right} of them)",
        "kind = 'landing' AND bw_inf",
        examples,
    )
    _examples(con, "basewatch inferred takeoffs", "kind = 'takeoff' AND bw_inf", examples)


def _print_summary(con: duckdb.DuckDBPyConnection) -> None:
    (n_bw, n_tr, n_pairs) = con.sql(
        "SELECT (SELECT count(*) FROM bw WHERE icao24 IN (SELECT icao24 FROM aliases"
        " WHERE copy = 0)), (SELECT count(*) FROM tr WHERE icao24 IN (SELECT icao24 FROM aliases"
        " WHERE copy = 0)), (SELECT count(*) FROM pairs)"
    ).fetchall()[0]
    print(
        f"\nagreement on the first copy of the inputs: basewatch {n_bw} flights, traffic {n_tr} "
        f"segments, {n_pairs} matched one to one (aircraft, largest time overlap)"
    )
    print(
        f"{'origin':<24} {'real ends':>9} {'same cut':>8} {'agree':>12} {'bw right':>12} "
        f"{'traffic right':>13} | {'unreal ends':>11} {'bw obs':>6} {'bw inf':>6} "
        f"{'traffic':>7}"
    )
    for row in con.sql(_SUMMARY).fetchall():
        origin, real, same, agree, bw_ok, tr_ok, bw_obs, bw_inf, tr_named, unreal = row
        pct = f"{agree}/{same} {100 * agree / same:.0f}%" if same else "-"
        print(
            f"{origin or 'all':<24} {real:>9} {same:>8} {pct:>12} "
            f"{_pct(bw_ok, real):>12} {_pct(tr_ok, real):>13} | "
            f"{unreal:>11} {bw_obs:>6} {bw_inf:>6} {tr_named:>7}"
        )
    n, median, far, high = con.sql(
        "SELECT count(*), median(tr_km), count(*) FILTER (tr_km > 20),"
        " count(*) FILTER (e_alt > 10000) FROM judged WHERE NOT real"
    ).fetchall()[0]
    if n:
        print(
            f"on the {n} unreal ends traffic names the airport nearest the end position: median "
            f"{median:.1f} km away, {far} more than 20 km away, {high} with the end above 10,000 ft"
        )
    print(
        "(real ends: takeoffs/landings the positions show; same cut: both tools end the flight "
        "within 5 min; agree: same airport among those; right: the airport the data shows; "
        "unreal ends: the flight starts/ends in the air or away from airports — the airports "
        "named there by basewatch (observed / inferred) and by traffic)"
    )


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} {100 * n / d:.0f}%" if d else "-"
