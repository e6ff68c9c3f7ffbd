"""What the Spark engine reads from and gives back to a store: the aircraft registry out as
Parquet, and its flights, classes and visits (Parquet folders) in as the store's tables.

A store that holds the very positions the engine read (same count, same newest ingest) takes
the flights as current, so ``report``, ``visits`` and ``serve`` use them without a rebuild.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from basewatch.engines.spark import RUN_FILE
from basewatch.errors import UsageError
from basewatch.flights.build import FlightBuilder, fingerprint
from basewatch.identify.registry.merge import ensure_aircraft
from basewatch.store import Store

#: Tables ``attach`` replaces, each from the folder of the same name.
ATTACHED = ("flights", "set_aside", "aircraft_class", "visits")


def export_registry(store: Store, out: Path) -> int:
    """Write the store's ``aircraft`` table (imports merged first, as the identify stage
    does) to one Parquet file for ``SparkEngine(aircraft=...)``; returns its rows."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_aircraft(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    table = con.sql("SELECT * FROM aircraft ORDER BY icao24").to_arrow_table()
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out, compression="zstd")
    return int(table.num_rows)


def read_run(results: Path) -> dict[str, Any]:
    """The ``run.json`` of a results folder (UsageError when it is not one)."""
    path = results / RUN_FILE
    if not path.is_file():
        raise UsageError(
            f"{results}: not a Spark results folder (no {RUN_FILE}); run "
            "`basewatch spark run --out` first"
        )
    summary: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return summary


def attach(store: Store, results: Path) -> dict[str, Any]:
    """Replace ``flights``, ``set_aside``, ``aircraft_class`` and ``visits`` with the engine's
    results; the
    flights count as current when the store holds what the engine read. Returns the counts
    and ``current`` (True or False)."""
    summary = read_run(results)
    con = store.con
    counts: dict[str, Any] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for name in ATTACHED:
            files = str(results / name / "*.parquet").replace("'", "''")
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_parquet('{files}')")
            counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
        read = summary.get("read", {})
        seen = con.execute(
            "SELECT count(*), coalesce(max(ingest_id), 0) FROM positions"
        ).fetchall()[0]
        builder = FlightBuilder()
        current = [read.get("positions"), read.get("max_ingest_id")] == list(seen) and read.get(
            "settings"
        ) == [repr(builder.segmenter), repr(builder.endpoints)]
        flag = fingerprint(store, builder) if current else "attached from Spark (not current)"
        con.execute("CREATE OR REPLACE TABLE flights_build AS SELECT ? AS fingerprint", [flag])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {**counts, "current": current}
