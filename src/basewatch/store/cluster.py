"""Positions laid out by aircraft and time, so that readers in that order need not sort.

``cluster_positions`` rewrites table ``positions`` once in ``CLUSTER_ORDER`` (same rows, same
columns and constraints, another physical order) and records how many rows that ordered head
holds; later ingests append after it. ``clustered_rows`` says how long the ordered head is, so a
reader scans the head in physical order and sorts only the tail. Readers still check the order
they get (a table changed behind the record's back is read as unordered, never wrongly).
"""

from __future__ import annotations

from itertools import pairwise

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

#: The physical order of the clustered head; the tie-breakers make repeated times
#: deterministic (the segmenter keeps the first of a repeated time).
CLUSTER_ORDER = "icao24, time, lat, lon, alt_baro_ft NULLS LAST, gs_kt NULLS LAST"
#: The same order for Arrow: DuckDB sorts ascending with NULLS LAST, as here.
ARROW_ORDER = [(term.split()[0], "ascending") for term in CLUSTER_ORDER.split(", ")]
#: One row: how many rows at the head of ``positions`` are in ``CLUSTER_ORDER``.
LAYOUT_TABLE = "positions_layout"
_STAGING = "bw_positions_clustering"
#: Positions sorted at once: the table is rewritten in address ranges of about this many
#: positions (one scan each), so the sort's memory stays bounded whatever the store's size.
SLICE_POSITIONS = 12_500_000


def clustered_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Rows at the head of ``positions`` (by rowid) in ``CLUSTER_ORDER``; 0 if never clustered."""
    has = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [LAYOUT_TABLE]
    ).fetchall()[0][0]
    if not has:
        return 0
    rows = con.execute(f"SELECT clustered_rows FROM {LAYOUT_TABLE}").fetchall()
    return int(rows[0][0]) if rows else 0


def forget_clustering(con: duckdb.DuckDBPyConnection) -> None:
    """Record that no head of ``positions`` is known to be ordered (a reader found it was not)."""
    if clustered_rows(con):
        con.execute(f"UPDATE {LAYOUT_TABLE} SET clustered_rows = 0")


def cluster_positions(con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite ``positions`` in ``CLUSTER_ORDER`` in one transaction (or only record that it is
    when its rows already lie in that order); returns its rows.

    The new table is made from the old one's own DDL (constraints kept), filled in order
    (address range after address range), and takes the old one's name; DuckDB keeps insertion
    order, so rowid order is that order.
    """
    if physically_ordered(con):
        rows = int(con.execute("SELECT count(*) FROM positions").fetchall()[0][0])
        _record(con, rows)
        return rows
    ddl = con.execute(
        "SELECT sql FROM duckdb_tables() WHERE table_name = 'positions' AND NOT temporary"
    ).fetchall()[0][0]
    create = str(ddl).replace("CREATE TABLE positions(", f"CREATE TABLE {_STAGING}(", 1)
    if create == ddl:
        raise RuntimeError(f"unexpected DDL for positions: {ddl[:80]}")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(create)
        for where, bounds in _slices(con, SLICE_POSITIONS):
            con.execute(
                f"INSERT INTO {_STAGING} SELECT * FROM positions {where} ORDER BY {CLUSTER_ORDER}",
                bounds,
            )
        con.execute("DROP TABLE positions")
        con.execute(f"ALTER TABLE {_STAGING} RENAME TO positions")
        rows = int(con.execute("SELECT count(*) FROM positions").fetchall()[0][0])
        _record(con, rows)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return rows


def _record(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE {LAYOUT_TABLE} AS "
        "SELECT ?::BIGINT AS clustered_rows, now() AS clustered_at",
        [rows],
    )


def physically_ordered(con: duckdb.DuckDBPyConnection, batch_rows: int = 1_000_000) -> bool:
    """True when ``positions`` in physical order already is in ``CLUSTER_ORDER`` (as an
    ingest of per-aircraft files may leave it): a scan of the key columns, stopped at the
    first row out of order."""
    keys = ", ".join(name for name, _ in ARROW_ORDER)
    cur = con.cursor()
    try:
        reader = cur.sql(f"SELECT {keys} FROM positions").to_arrow_reader(batch_rows)
        previous: pa.Table | None = None
        for batch in reader:
            table = pa.Table.from_batches([batch])
            if not table.num_rows:
                continue
            joined = table if previous is None else pa.concat_tables([previous, table])
            if not in_order(joined):
                return False
            previous = table.slice(table.num_rows - 1)
        return True
    finally:
        cur.close()


def in_order(
    table: pa.Table,
    same: npt.NDArray[np.bool_] | None = None,
    dt: npt.NDArray[np.int64] | None = None,
) -> bool:
    """True when ``table``'s rows are in ``ORDER``: numpy over address and time, and over the
    tie-breakers only where address and time repeat. ``same`` (row i + 1 has row i's address)
    and ``dt`` (time from row i to i + 1, int64) may come from a caller that holds them."""
    n = table.num_rows
    if n < 2:
        return True
    icao = table.column("icao24")
    a, b = icao.slice(0, n - 1), icao.slice(1)
    if same is None:
        same = np.asarray(pc.equal(b, a).to_numpy(zero_copy_only=False), bool)
    change = pa.array(np.flatnonzero(~same))  # where the address changes, it must grow
    if pc.any(pc.less_equal(b.take(change), a.take(change))).as_py():
        return False
    if dt is None:
        time = np.asarray(table.column("time").cast(pa.int64()).to_numpy(), np.int64)
        dt = np.asarray(np.diff(time), np.int64)
    if (same & (dt < 0)).any():
        return False
    tied = np.flatnonzero(same & (dt == 0))
    if not len(tied):
        return True
    pairs = table.take(pa.array(np.concatenate([tied, tied + 1])))
    undecided = np.ones(len(tied), bool)
    for name, _ in ARROW_ORDER[2:]:
        key = np.asarray(pairs.column(name).to_numpy(zero_copy_only=False), np.float64)
        key = np.where(np.isnan(key), np.inf, key)  # NULLS LAST
        x, y = key[: len(tied)], key[len(tied) :]
        if (undecided & (x > y)).any():
            return False
        undecided &= ~(x < y)
    return True


def _slices(con: duckdb.DuckDBPyConnection, positions: int) -> list[tuple[str, list[str]]]:
    """WHERE clauses (with their parameters) cutting ``positions`` into consecutive address
    ranges of about ``positions`` rows (whole addresses; one range for a small table)."""
    counts = con.execute(
        "SELECT icao24, count(*) FROM positions GROUP BY icao24 ORDER BY icao24"
    ).fetchall()
    bounds: list[str] = []
    held = 0
    for icao, n in counts:
        if held and held + n > positions:
            bounds.append(str(icao))
            held = 0
        held += n
    if not bounds:
        return [("", [])]
    first = [("WHERE icao24 < ?", [bounds[0]])]
    middle = [("WHERE icao24 >= ? AND icao24 < ?", [a, b]) for a, b in pairwise(bounds)]
    return [*first, *middle, ("WHERE icao24 >= ?", [bounds[-1]])]
