"""Positions in (icao24, time) order as tables of whole aircraft, sorting only what must be.

A clustered store (``store/cluster.py``) holds an ordered head: it is scanned in physical order
(each table's own order is checked by the segmenter from the columns it computes anyway,
tables' address ranges here; ``OutOfOrder`` when they are not); the positions ingested since
come from one sorted stream and are merged into the head's tables aircraft by aircraft. A store
never clustered is read as a few sorted streams (hash buckets of addresses).
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.flights.segment import COLUMNS, OutOfOrder
from basewatch.store.cluster import ARROW_ORDER, CLUSTER_ORDER, clustered_rows, in_order

#: Sort order of the segmenter's input (the store's clustering order).
ORDER = CLUSTER_ORDER
#: Positions one sorted stream holds (DuckDB spills past its memory limit): one scan of the
#: table per this many positions.
SORT_POSITIONS = 12_500_000


class NotClustered(OutOfOrder):
    """The head of ``positions`` recorded as ordered is not (the table changed since)."""


def position_tables(con: duckdb.DuckDBPyConnection, rows: int) -> Generator[pa.Table, None, None]:
    """Positions in ``ORDER`` as tables of about ``rows`` positions of whole aircraft.

    Raises ``NotClustered`` (possibly after some tables) when the tables of the recorded
    ordered head overlap, or a head table that takes tail rows is out of order; the order
    within the other tables is the consumer's to check (``Segmenter.segments(...,
    verify_order=True)``). On either, the caller starts over with ``sorted_tables``."""
    head = clustered_rows(con)
    if not head:
        yield from sorted_tables(con, rows)
        return
    cols = ", ".join(COLUMNS)
    cur, tail_cur = con.cursor(), con.cursor()
    try:
        for c in (cur, tail_cur):
            c.execute("SET TimeZone = 'UTC'")
        scan = cur.sql(f"SELECT {cols} FROM positions WHERE rowid < {head}")
        tail = tail_cur.sql(
            f"SELECT {cols} FROM positions WHERE rowid >= {head} ORDER BY {ORDER}"
        ).to_arrow_reader(rows)
        yield from merged(checked(whole_aircraft(scan.to_arrow_reader(rows), rows)), tail, rows)
    finally:
        cur.close()
        tail_cur.close()


def sorted_tables(con: duckdb.DuckDBPyConnection, rows: int) -> Iterator[pa.Table]:
    """Positions sorted by ``ORDER`` as tables of about ``rows`` positions of whole aircraft:
    a few hash buckets, each one sorted stream on its own cursor (``con`` stays free for the
    caller in between)."""
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
        cut = _last_address_start(pending)
        if cut <= 0:
            continue  # one address so far: wait for the next one
        table = pa.Table.from_batches(pending)
        yield table.slice(0, cut)
        rest = table.slice(cut)
        pending, count = rest.to_batches(), rest.num_rows
    if pending:
        yield pa.Table.from_batches(pending)


def _last_address_start(batches: list[pa.RecordBatch]) -> int:
    """Row (over all ``batches``, sorted by icao24) where the last address begins: its rows
    are the trailing ones equal to the last, found from the end batch by batch."""
    last = batches[-1].column("icao24")[-1]
    start = int(sum(b.num_rows for b in batches))
    for batch in reversed(batches):
        equal = int(pc.sum(pc.equal(batch.column("icao24"), last)).as_py() or 0)
        start -= equal
        if equal < batch.num_rows:
            break
    return start


def checked(tables: Iterable[pa.Table]) -> Iterator[pa.Table]:
    """``tables`` as they come, each one checked to hold addresses after the previous one's
    (an address in two tables is out of order too)."""
    last: str | None = None
    for table in tables:
        if not table.num_rows:
            continue
        first = table.column("icao24")[0].as_py()
        if last is not None and first <= last:
            raise NotClustered("positions recorded as clustered are not in order")
        last = table.column("icao24")[-1].as_py()
        yield table


def merged(
    head: Iterable[pa.Table], tail: Iterable[pa.RecordBatch], rows: int
) -> Iterator[pa.Table]:
    """Tables of whole aircraft from the ordered ``head`` tables and the ordered ``tail``
    batches: each head table takes the tail rows of its addresses (and of addresses between
    it and the previous one), sorted together; tail addresses after the head's come last."""
    tail_batches = iter(tail)
    pending_t: pa.Table | None = None
    done = False
    for table in head:
        last = table.column("icao24")[-1]
        while not done and (pending_t is None or _last_le(pending_t, last)):
            batch = next(tail_batches, None)
            if batch is None:
                done = True
            elif batch.num_rows:
                more = pa.Table.from_batches([batch])
                pending_t = more if pending_t is None else pa.concat_tables([pending_t, more])
        if pending_t is None or not pending_t.num_rows:
            yield table
            continue
        cut = int(pc.sum(pc.less_equal(pending_t.column("icao24"), last)).as_py() or 0)
        if not cut:
            yield table
            continue
        # sorted together below, the segmenter could no longer tell: check the head table now
        if not in_order(table):
            raise NotClustered("positions recorded as clustered are not in order")
        mine, pending_t = pending_t.slice(0, cut), pending_t.slice(cut)
        both = pa.concat_tables([table, mine.cast(table.schema)])
        yield both.take(pc.sort_indices(both, sort_keys=ARROW_ORDER, null_placement="at_end"))
    rest: list[pa.RecordBatch] = pending_t.to_batches() if pending_t is not None else []
    yield from whole_aircraft([*rest, *tail_batches], rows)


def _last_le(table: pa.Table, last: pa.Scalar) -> bool:
    """True when ``table`` is empty or ends at an address at or before ``last``."""
    if not table.num_rows:
        return True
    return bool(pc.less_equal(table.column("icao24")[-1], last).as_py())
