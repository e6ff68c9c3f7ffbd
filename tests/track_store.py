"""Built tracks into a store and out again: canonical tables, direct inserts (no dedup, for
repeated-row tests), readsb trace points, and the flights and set-aside rows of a build."""

from __future__ import annotations

import random
from collections.abc import Iterable

import pyarrow as pa

from basewatch import Store
from basewatch.model import RAW_SCHEMA
from tests.tracks import Row, Track


def table(tracks: Iterable[Track | pa.Table]) -> pa.Table:
    """Rows of several tracks (or tables) in one canonical table."""
    parts = [t.table() if isinstance(t, Track) else t for t in tracks]
    return pa.concat_tables(parts) if parts else RAW_SCHEMA.empty_table()


def shuffled(t: pa.Table, seed: int = 0) -> pa.Table:
    """The same rows in a random order."""
    order = list(range(t.num_rows))
    random.Random(seed).shuffle(order)
    return t.take(pa.array(order, pa.int64()))


def insert(store: Store, *tracks: Track | pa.Table) -> int:
    """Insert the rows straight into ``positions`` (no dedup), under a new ``ingests`` row."""
    con = store.con
    rows = table(tracks)
    ingest_id = int(
        con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests").fetchall()[0][0]
    )
    con.execute(
        "INSERT INTO ingests (ingest_id, path, format, sha256, started_at, accepted) "
        "VALUES (?, ?, 'test', ?, now(), ?)",
        [ingest_id, f"built-{ingest_id}", f"built-{ingest_id}", rows.num_rows],
    )
    names = ", ".join(RAW_SCHEMA.names)
    con.register("bw_test_rows", rows)
    try:
        con.execute(
            f"INSERT INTO positions ({names}, ingest_id) SELECT {names}, ? FROM bw_test_rows",
            [ingest_id],
        )
    finally:
        con.unregister("bw_test_rows")
    return ingest_id


def trace_points(track: Track, timestamp: float) -> list[list[object]]:
    """The track's rows as readsb ``trace_full`` points relative to ``timestamp``."""
    out: list[list[object]] = []
    for i, r in enumerate(track.rows):
        flags = 2 if r["new_leg"] else 0
        obj = {"flight": f"{r['callsign']:<8}", "squawk": r["squawk"]} if i == 0 else None
        out.append(
            [
                round(r["time"].timestamp() - timestamp, 2),
                r["lat"],
                r["lon"],
                "ground" if r["on_ground"] else r["alt_baro_ft"],
                r["gs_kt"],
                r["track_deg"],
                flags,
                r["vrate_fpm"],
                obj,
                "adsb_icao",
                r["alt_geom_ft"],
                None,
                None,
                None,
            ]
        )
    return out


def flights_of(store: Store) -> list[Row]:
    """Build the flights of the store and return them as rows (by aircraft and time)."""
    from basewatch.flights import FlightBuilder

    rows: list[Row] = FlightBuilder().build(store).to_pylist()
    return rows


def set_aside_of(store: Store) -> list[Row]:
    """Rows of ``set_aside`` after a build, by time."""
    sql = "SELECT * FROM set_aside ORDER BY icao24, time"
    rows: list[Row] = store.con.sql(sql).to_arrow_table().to_pylist()
    return rows
