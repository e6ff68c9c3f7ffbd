"""Build the ``flights`` and ``set_aside`` tables from ``positions``, aircraft bucket by bucket.

Positions are read as a few sorted streams (hash buckets of addresses, each one ``ORDER BY``
on its own cursor) cut into tables of whole aircraft, so memory stays bounded and the table is
scanned a few times, not once per table; a flight never spans tables because a flight never
spans aircraft. Rebuilt when stale.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.flights.endpoints import EndpointFinder
from basewatch.flights.segment import COLUMNS, SET_ASIDE_SCHEMA, Segmenter
from basewatch.store import Store

#: Sort order of the segmenter's input; the tie-breakers make repeated times deterministic.
ORDER = "icao24, time, lat, lon, alt_baro_ft NULLS LAST, gs_kt NULLS LAST"
#: Positions per table handed to the kernel: small enough that its arrays are reused from table
#: to table (fewer page faults), large enough that per-table overheads stay small.
BUCKET_POSITIONS = 1_000_000
#: Positions one sorted stream holds (DuckDB spills past its memory limit): one scan of the
#: table per this many positions.
SORT_POSITIONS = 12_500_000


@dataclass(frozen=True)
class FlightBuilder:
    """Segmentation + airport attribution over the whole store (the flights stage's verb)."""

    segmenter: Segmenter = field(default_factory=Segmenter)
    endpoints: EndpointFinder = field(default_factory=EndpointFinder)
    bucket_positions: int = BUCKET_POSITIONS

    def build(self, store: Store) -> pa.Table:
        """Recompute ``flights`` and ``set_aside``; returns the flights."""
        con = store.con
        flights, aside = [], []
        for table in sorted_tables(con, self.bucket_positions):
            f, a = self.segmenter.segments(table)
            flights.append(self.endpoints.attribute(con, f))
            aside.append(a)
        if not flights:  # an empty store: the shapes still come from one empty table
            f, a = self.segmenter.segments(_empty_positions(con))
            flights.append(self.endpoints.attribute(con, f))
            aside.append(a)
        result = pa.concat_tables(flights).sort_by(
            [("icao24", "ascending"), ("start_time", "ascending")]
        )
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("bw_new_flights", result)
            con.execute("CREATE OR REPLACE TABLE flights AS SELECT * FROM bw_new_flights")
            con.register("bw_new_aside", pa.concat_tables(aside).cast(SET_ASIDE_SCHEMA))
            con.execute("CREATE OR REPLACE TABLE set_aside AS SELECT * FROM bw_new_aside")
            con.execute(
                "CREATE OR REPLACE TABLE flights_build AS SELECT ? AS fingerprint",
                [fingerprint(store, self)],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("bw_new_flights")
            con.unregister("bw_new_aside")
        return result

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


def fingerprint(store: Store, builder: FlightBuilder) -> str:
    """What the flights depend on: positions (count, newest ingest) and the settings."""
    count, newest = store.con.execute(
        "SELECT count(*), coalesce(max(ingest_id), 0) FROM positions"
    ).fetchall()[0]
    return json.dumps([count, newest, repr(builder.segmenter), repr(builder.endpoints)])


def sorted_tables(con: duckdb.DuckDBPyConnection, rows: int) -> Iterator[pa.Table]:
    """Positions sorted by (icao24, time) as tables of about ``rows`` positions of whole
    aircraft: a few hash buckets, each one sorted stream on its own cursor (``con`` stays free
    for the endpoint SQL in between)."""
    total = con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
    buckets = max(1, math.ceil(total / SORT_POSITIONS))
    cur = con.cursor()
    try:
        cur.execute("SET TimeZone = 'UTC'")
        for b in range(buckets):
            where = f"WHERE hash(icao24) % {buckets} = {b}" if buckets > 1 else ""
            reader = cur.sql(
                f"SELECT {', '.join(COLUMNS)} FROM positions {where} ORDER BY {ORDER}"
            ).to_arrow_reader(rows)
            yield from whole_aircraft(reader, rows)
    finally:
        cur.close()


def whole_aircraft(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Tables of about ``rows`` rows from batches sorted by icao24, never splitting an address
    (an aircraft larger than ``rows`` comes whole, alone or with others)."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        pending.append(batch)
        count += batch.num_rows
        if count < rows:
            continue
        table = pa.Table.from_batches(pending)
        icao = table.column("icao24")
        cut = pc.index(icao, icao[-1]).as_py()  # first row of the last address (sorted)
        if cut <= 0:
            continue  # one address so far: wait for the next one
        yield table.slice(0, cut)
        rest = table.slice(cut)
        pending, count = rest.to_batches(), rest.num_rows
    if pending:
        yield pa.Table.from_batches(pending)


def _empty_positions(con: duckdb.DuckDBPyConnection) -> pa.Table:
    table: pa.Table = con.sql(
        f"SELECT {', '.join(COLUMNS)} FROM positions LIMIT 0"
    ).to_arrow_table()
    return table
