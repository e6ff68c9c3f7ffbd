"""Set-based duplicate detection: one row per (icao24, time, position) across all sources.

Two rows are the same observation when they share the address, agree on latitude and longitude
to 1e-5 degree (about a metre) and lie within ``TOLERANCE_S`` seconds of each other: the same
position relayed by a readsb trace and an ADSBx snapshot, or repeated in later snapshots.
"""

from __future__ import annotations

TOLERANCE_S = 1

#: Sequence numbers of ``staging`` rows that repeat a stored row or an earlier staged one;
#: ``{stored}`` is the relation of stored positions (``positions``, or a Parquet dataset's).
DUPLICATES_TEMPLATE = f"""
WITH bounds AS (
    SELECT min(time) - INTERVAL {TOLERANCE_S} SECOND AS lo,
           max(time) + INTERVAL {TOLERANCE_S} SECOND AS hi
    FROM staging
),
old AS (
    SELECT p.icao24, p.time, round(p.lat, 5) AS qlat, round(p.lon, 5) AS qlon
    FROM {{stored}} p, bounds
    WHERE p.time BETWEEN bounds.lo AND bounds.hi
      AND p.icao24 IN (SELECT DISTINCT icao24 FROM staging)
),
everything AS (
    SELECT icao24, time, round(lat, 5) AS qlat, round(lon, 5) AS qlon, seq, FALSE AS is_old
    FROM staging
    UNION ALL
    SELECT icao24, time, qlat, qlon, NULL AS seq, TRUE AS is_old FROM old
),
repeated AS (
    -- a hash aggregate first: only positions seen more than once need the window below
    SELECT icao24, qlat, qlon FROM everything GROUP BY ALL HAVING count(*) > 1
),
candidates AS (
    SELECT e.* FROM everything e SEMI JOIN repeated r USING (icao24, qlat, qlon)
),
neighbours AS (
    SELECT seq, is_old, time,
        lag(time) OVER (
            PARTITION BY icao24, qlat, qlon ORDER BY time, is_old DESC, seq
        ) AS prev_time,
        min(CASE WHEN is_old THEN time END) OVER (
            PARTITION BY icao24, qlat, qlon ORDER BY time, is_old DESC, seq
            ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
        ) AS next_old
    FROM candidates
)
SELECT seq FROM neighbours
WHERE NOT is_old
  AND (prev_time >= time - INTERVAL {TOLERANCE_S} SECOND
       OR next_old <= time + INTERVAL {TOLERANCE_S} SECOND)
"""


def duplicates_sql(stored: str = "positions") -> str:
    """``DUPLICATES_TEMPLATE`` against ``stored``: a table name or a parenthesised query with
    columns icao24, time, lat, lon."""
    return DUPLICATES_TEMPLATE.replace("{stored}", stored)


DUPLICATES_SQL = duplicates_sql()
