"""Incremental flights: when positions arrive for some aircraft, recompute only their recent
flights, from a cut chosen so the result equals a full rebuild over the same positions.

New positions can change the flight they fall in or follow (A: the last one starting before the
earliest of them) and what comes after it; A's takeoff looks back at the flight before it (P).
So positions are re-segmented from P's start and flights replaced from A's start. Earlier
flights keep their ends: what follows them (A's first position) does not move.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from basewatch.flights.build import ORDER, FlightBuilder, fingerprint
from basewatch.flights.segment import COLUMNS, SET_ASIDE_SCHEMA
from basewatch.store import Store

#: Per touched aircraft: where to replace flights from (A) and where to re-read positions (P);
#: null means "from the beginning".
_CUTS = """
WITH fl AS (
    SELECT f.icao24, f.start_time,
        row_number() OVER (PARTITION BY f.icao24 ORDER BY f.start_time) AS k
    FROM flights f SEMI JOIN bw_touched t USING (icao24)
),
a AS (
    SELECT t.icao24, max(fl.k) FILTER (WHERE fl.start_time <= t.since) AS ka
    FROM bw_touched t LEFT JOIN fl USING (icao24) GROUP BY t.icao24
)
SELECT a.icao24, r.start_time AS replace_from, c.start_time AS compute_from
FROM a
LEFT JOIN fl r ON r.icao24 = a.icao24 AND r.k = a.ka
LEFT JOIN fl c ON c.icao24 = a.icao24 AND c.k = a.ka - 1
"""


@dataclass(frozen=True)
class FlightUpdater:
    """Keeps ``flights`` and ``set_aside`` current as positions arrive (the watcher's path)."""

    builder: FlightBuilder = field(default_factory=FlightBuilder)

    def update(self, store: Store, touched: pa.Table, complete: bool = True) -> pa.Table:
        """Recompute the flights of ``touched`` aircraft (columns ``icao24``, ``since``: their
        earliest new position); returns their flights that were replaced or added.

        ``complete``: no other aircraft has new positions waiting, so the stored flights now
        match the positions (else the next ``FlightBuilder.ensure`` rebuilds them all)."""
        con = store.con
        if not _has_table(store, "flights_build"):
            return self.builder.build(store)
        con.register("bw_touched", touched.select(["icao24", "since"]))
        try:
            cuts = con.sql(_CUTS).to_arrow_table()
        finally:
            con.unregister("bw_touched")
        con.register("bw_cuts", cuts)
        try:
            flights, aside = self._recompute(store)
            self._replace(store, flights, aside, complete)
        finally:
            con.unregister("bw_cuts")
        return flights

    def _recompute(self, store: Store) -> tuple[pa.Table, pa.Table]:
        con = store.con
        cols = ", ".join(f"p.{c}" for c in COLUMNS)
        table = con.sql(
            f"SELECT {cols} FROM positions p JOIN bw_cuts c USING (icao24) "
            f"WHERE c.compute_from IS NULL OR p.time >= c.compute_from "
            f"ORDER BY {', '.join('p.' + o for o in ORDER.split(', '))}"
        ).to_arrow_table()
        segments, aside = self.builder.segmenter.segments(table)
        found = self.builder.endpoints.attribute(con, segments)
        con.register("bw_found", found)
        con.register("bw_found_aside", aside.cast(SET_ASIDE_SCHEMA))
        try:
            flights = con.sql(
                "SELECT f.* FROM bw_found f JOIN bw_cuts c USING (icao24) "
                "WHERE c.replace_from IS NULL OR f.start_time >= c.replace_from "
                "ORDER BY f.icao24, f.start_time"
            ).to_arrow_table()
            kept_aside = con.sql(
                "SELECT a.* FROM bw_found_aside a JOIN bw_cuts c USING (icao24) "
                "WHERE c.replace_from IS NULL OR a.time >= c.replace_from"
            ).to_arrow_table()
        finally:
            con.unregister("bw_found")
            con.unregister("bw_found_aside")
        return flights, kept_aside

    def _replace(self, store: Store, flights: pa.Table, aside: pa.Table, complete: bool) -> None:
        con = store.con
        con.execute("BEGIN TRANSACTION")
        try:
            for table, column in (("flights", "start_time"), ("set_aside", "time")):
                con.execute(
                    f"DELETE FROM {table} t USING bw_cuts c WHERE t.icao24 = c.icao24 "
                    f"AND (c.replace_from IS NULL OR t.{column} >= c.replace_from)"
                )
            con.register("bw_new_flights", flights)
            con.register("bw_new_aside", aside)
            con.execute("INSERT INTO flights SELECT * FROM bw_new_flights")
            con.execute("INSERT INTO set_aside SELECT * FROM bw_new_aside")
            con.execute(
                "CREATE OR REPLACE TABLE flights_build AS SELECT ? AS fingerprint",
                [fingerprint(store, self.builder) if complete else "incomplete"],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("bw_new_flights")
            con.unregister("bw_new_aside")


def _has_table(store: Store, name: str) -> bool:
    rows = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])
