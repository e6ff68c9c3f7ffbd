"""Build the ``flights`` and ``set_aside`` tables from ``positions``, aircraft by aircraft.

Positions come in (icao24, time) order as tables of whole aircraft (position_reader.py): a
store clustered by aircraft and time is scanned in physical order, only what was ingested since
is sorted; a store mostly unclustered is clustered first (one rewrite, ``store/cluster.py``).
Memory stays bounded by the table size; a flight never spans tables because a flight never
spans aircraft. Rebuilt when stale.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from basewatch.flights.candidates import airport_index
from basewatch.flights.endpoints import EndpointFinder
from basewatch.flights.position_reader import (
    ORDER,
    SORT_POSITIONS,
    position_tables,
    sorted_tables,
    whole_aircraft,
)
from basewatch.flights.segment import COLUMNS, SET_ASIDE_SCHEMA, OutOfOrder, Segmenter
from basewatch.store import Store, transaction
from basewatch.store.cluster import cluster_positions, clustered_rows, forget_clustering

__all__ = [
    "BUCKET_POSITIONS",
    "ORDER",
    "SORT_POSITIONS",
    "FlightBuilder",
    "fingerprint",
    "sorted_tables",
    "whole_aircraft",
]

#: Positions per table handed to the kernel: small enough that its arrays (4 MB a column) stay in
#: the shared cache between numpy's passes and are reused from table to table (fewer page
#: faults), large enough that per-table overheads stay small. On 10M positions, interleaved
#: builds: 1M 1.15 s (1.97 CPU s), 500k 1.00-1.03 s (1.75), 250k 1.03 (1.77), 180k 1.13.
BUCKET_POSITIONS = 500_000
#: Segments handed to the airport attribution at once (a worker's task): its fixed costs are
#: per call, but smaller batches keep its candidate arrays small (alone, 50,000 at once cost up
#: to 10-25 % more; in a build within the noise) and leave little of it after the last table.
ATTRIBUTE_SEGMENTS = 10_000
#: Threads segmenting tables and attributing airports (numpy and DuckDB release the GIL):
#: tables in memory at once are this many plus the one being read (and batches of segments).
WORKERS = 2
#: Cluster the store first when more than this share of its positions lies outside the
#: ordered head (sorting them at every build would cost more than one rewrite).
UNCLUSTERED_SHARE = 0.25
#: ... and at least this many: small stores sort fast enough.
UNCLUSTERED_MIN = 1_000_000


@dataclass(frozen=True)
class FlightBuilder:
    """Segmentation + airport attribution over the whole store (the flights stage's verb)."""

    segmenter: Segmenter = field(default_factory=Segmenter)
    endpoints: EndpointFinder = field(default_factory=EndpointFinder)
    bucket_positions: int = BUCKET_POSITIONS
    #: lay positions out by (icao24, time) when most are not (a rewrite of ``positions``)
    cluster: bool = True
    workers: int = WORKERS

    def build(self, store: Store) -> pa.Table:
        """Recompute ``flights`` and ``set_aside``; returns the flights."""
        con = store.con
        if self.cluster and needs_clustering(con):
            cluster_positions(con)
        airport_index()  # once, before the workers need it
        tables = position_tables(con, self.bucket_positions)
        try:
            result, aside = self._flights(con, tables, verify_order=True)
        except OutOfOrder:  # the recorded clustering no longer holds: sort
            tables.close()
            forget_clustering(con)
            result, aside = self._flights(con, sorted_tables(con, self.bucket_positions))
        finally:
            tables.close()
        write_tables(con, result, aside, fingerprint(store, self))
        return result

    def _flights(
        self,
        con: duckdb.DuckDBPyConnection,
        tables: Iterator[pa.Table],
        verify_order: bool = False,
    ) -> tuple[pa.Table, pa.Table]:
        """Flights (sorted by icao24, start_time) and set-aside positions of ``tables``: worker
        threads segment tables in order (checking it when asked) and attribute airports to
        batches of their segments, while this thread reads the next tables."""
        flights: list[Future[pa.Table]] = []
        aside: list[pa.Table] = []
        segments: list[pa.Table] = []
        count = 0
        running: deque[Future[tuple[pa.Table, pa.Table]]] = deque()
        workers = max(1, self.workers)

        with ThreadPoolExecutor(workers) as pool:

            def collect() -> None:
                nonlocal segments, count
                f, a = running.popleft().result()
                segments.append(f)
                aside.append(a)
                count += f.num_rows
                if count >= ATTRIBUTE_SEGMENTS:
                    batch = pa.concat_tables(segments)
                    flights.append(pool.submit(self._attribute, con, batch))
                    segments, count = [], 0

            for table in tables:
                running.append(pool.submit(self.segmenter.segments, table, verify_order))
                while len(running) > workers - 1 and running[0].done():
                    collect()
                while len(running) > workers:
                    collect()
            while running:
                collect()
            if segments or not flights:  # an empty store: the shapes come from one empty table
                if not segments:
                    f, a = self.segmenter.segments(_empty_positions(con))
                    segments, aside = [f], [a]
                flights.append(pool.submit(self._attribute, con, pa.concat_tables(segments)))
            done = [f.result() for f in flights]
        result = pa.concat_tables(done).sort_by(
            [("icao24", "ascending"), ("start_time", "ascending")]
        )
        return result, pa.concat_tables(aside).cast(SET_ASIDE_SCHEMA)

    def _attribute(self, con: duckdb.DuckDBPyConnection, segments: pa.Table) -> pa.Table:
        """``EndpointFinder.attribute`` on a cursor of its own (run by a worker thread)."""
        cur = con.cursor()
        try:
            cur.execute("SET TimeZone = 'UTC'")
            return self.endpoints.attribute(cur, segments)
        finally:
            cur.close()

    def ensure(self, store: Store) -> None:
        """Build unless the stored flights come from the same positions and settings."""
        if not self.is_current(store):
            self.build(store)

    def is_current(self, store: Store) -> bool:
        """True when table ``flights`` was made from the store's positions as they are, with
        these settings (by this engine or attached from Spark)."""
        has = store.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'flights_build'"
        ).fetchall()[0][0]
        if not has:
            return False
        row = store.con.execute("SELECT fingerprint FROM flights_build").fetchall()
        return bool(row) and row[0][0] == fingerprint(store, self)


def needs_clustering(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the positions outside the ordered head are many, and a large share."""
    total = con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
    outside = total - clustered_rows(con)
    return bool(outside >= UNCLUSTERED_MIN and outside > UNCLUSTERED_SHARE * total)


def write_tables(
    con: duckdb.DuckDBPyConnection, flights: pa.Table, aside: pa.Table, stamp: str
) -> None:
    """Replace ``flights``, ``set_aside`` and the build's fingerprint in one transaction."""
    with transaction(con, bw_new_flights=flights, bw_new_aside=aside):
        con.execute("CREATE OR REPLACE TABLE flights AS SELECT * FROM bw_new_flights")
        con.execute("CREATE OR REPLACE TABLE set_aside AS SELECT * FROM bw_new_aside")
        con.execute("CREATE OR REPLACE TABLE flights_build AS SELECT ? AS fingerprint", [stamp])


def fingerprint(store: Store, builder: FlightBuilder) -> str:
    """What the flights depend on: positions (count, newest ingest) and the settings."""
    count, newest = store.con.execute(
        "SELECT count(*), coalesce(max(ingest_id), 0) FROM positions"
    ).fetchall()[0]
    return json.dumps([count, newest, repr(builder.segmenter), repr(builder.endpoints)])


def _empty_positions(con: duckdb.DuckDBPyConnection) -> pa.Table:
    table: pa.Table = con.sql(
        f"SELECT {', '.join(COLUMNS)} FROM positions LIMIT 0"
    ).to_arrow_table()
    return table
