"""The canonical store: one DuckDB file (or ``:memory:``) with positions, ingests and rejects.

``Store.open`` migrates the schema; ``ingest`` reads files through the format adapters.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa

from basewatch.errors import FormatError, StoreError
from basewatch.sources import Blob, ReadOptions, Source, detect_format, get_source
from basewatch.sources.discover import discover
from basewatch.sources.parallel import read_files
from basewatch.store.export import export_positions
from basewatch.store.ingest import Ingestor, IngestResult, Progress
from basewatch.store.schema import migrate

DEFAULT_DB = "basewatch.duckdb"

__all__ = ["DEFAULT_DB", "IngestResult", "Store", "default_db_path", "plan", "transaction"]


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
    """One transaction with ``tables`` registered under their names: committed when the block
    ends, rolled back when it raises; the names are unregistered either way."""
    con.execute("BEGIN TRANSACTION")
    try:
        for name, table in tables.items():
            con.register(name, table)
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in tables:
            con.unregister(name)


def plan(
    inputs: list[str], fmt: str | None = None, options: ReadOptions | None = None
) -> tuple[list[tuple[Blob, Source]], list[str]]:
    """Pair each input with its adapter; named files of unknown format raise FormatError.

    Returns the work and the skipped files (unknown files met while walking folders).
    """
    options = options or ReadOptions()
    forced = get_source(fmt) if fmt else None
    work: list[tuple[Blob, Source]] = []
    skipped: list[str] = []
    errors: list[str] = []
    for found in discover(inputs, options.since, options.until):
        try:
            work.append((found.blob, forced or detect_format(found.blob)))
        except FormatError as exc:
            (errors if found.named else skipped).append(str(exc))
    if errors:
        raise FormatError("\n".join(errors))
    return work, skipped


def prepared(
    inputs: Sequence[str | tuple[Blob, Source]], fmt: str | None, options: ReadOptions
) -> list[tuple[Blob, Source]]:
    """Inputs as (blob, adapter) pairs: prepared pairs as they are, paths planned."""
    paths = [i for i in inputs if isinstance(i, str)]
    work = [i for i in inputs if not isinstance(i, str)]
    if paths:
        work += plan(paths, fmt, options)[0]
    return work


def default_db_path() -> str:
    """``BASEWATCH_DB`` if set, else ``./basewatch.duckdb``."""
    return os.environ.get("BASEWATCH_DB") or DEFAULT_DB


class Store:
    """An open basewatch store; use as a context manager or call ``close``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str) -> None:
        self.con = con
        self.path = path

    @classmethod
    def open(cls, path: str | Path | None = None, read_only: bool = False) -> Store:
        """Open (creating and migrating when needed) the store at ``path`` or ``:memory:``."""
        where = str(path) if path is not None else default_db_path()
        try:
            con = duckdb.connect(where, read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"{where}: cannot open the store: {exc}") from exc
        con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            migrate(con, where)
        return cls(con, where)

    def close(self) -> None:
        """Close the connection (a checkpoint is written for file stores)."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def plan(
        self, inputs: list[str], fmt: str | None = None, options: ReadOptions | None = None
    ) -> tuple[list[tuple[Blob, Source]], list[str]]:
        """``plan``: the inputs paired with their adapters, and the files skipped."""
        return plan(inputs, fmt, options)

    def ingest(
        self,
        inputs: Sequence[str | tuple[Blob, Source]],
        fmt: str | None = None,
        options: ReadOptions | None = None,
        progress: Progress | None = None,
        workers: int | None = None,
    ) -> list[IngestResult]:
        """Ingest paths (or prepared (blob, adapter) pairs); the same file twice counts once.

        ``workers`` processes read large batches in parallel (default: one per core).
        """
        options = options or ReadOptions()
        work = prepared(inputs, fmt, options)
        known = self._known([blob.sha256() for blob, _ in work])
        readings = read_files(work, options, workers, skip=lambda blob: blob.sha256() in known)
        return Ingestor(self.con, progress=progress).run(readings, known)

    def _known(self, digests: list[str]) -> dict[str, int]:
        """The ingest ids of the given contents already stored (only those: the table grows
        by one row per feed response during a long watch)."""
        if not digests:
            return {}
        rows = self.con.execute(
            "SELECT sha256, ingest_id FROM ingests WHERE sha256 IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(set(digests))],
        ).fetchall()
        return {str(d): int(i) for d, i in rows}

    def stats(self) -> dict[str, Any]:
        """Counts and time span of what the store holds."""
        row = self.con.execute(
            "SELECT count(*), count(DISTINCT icao24), min(time), max(time) FROM positions"
        ).fetchone()
        ingests = self.con.execute(
            "SELECT count(*), coalesce(sum(rejected), 0), coalesce(sum(duplicates), 0) FROM ingests"
        ).fetchone()
        by_format = dict(
            self.con.execute(
                "SELECT format, count(*) FROM ingests GROUP BY format ORDER BY format"
            ).fetchall()
        )
        by_source = dict(
            self.con.execute(
                "SELECT pos_source, count(*) FROM positions GROUP BY 1 ORDER BY 1"
            ).fetchall()
        )
        assert row is not None and ingests is not None
        has_flights = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'flights'"
        ).fetchall()[0][0]
        flights = (
            self.con.execute("SELECT count(*) FROM flights").fetchall()[0][0] if has_flights else 0
        )
        return {
            "positions": int(row[0]),
            "aircraft": int(row[1]),
            "flights": int(flights),
            "ingests": int(ingests[0]),
            "rejected": int(ingests[1]),
            "duplicates": int(ingests[2]),
            "first_time": _iso(row[2]),
            "last_time": _iso(row[3]),
            "formats": by_format,
            "pos_sources": by_source,
        }

    def cluster_positions(self) -> int:
        """Lay ``positions`` out by (icao24, time) (same rows, another physical order), so the
        flights build reads them without sorting; returns the rows. See store/cluster.py."""
        from basewatch.store.cluster import cluster_positions

        return cluster_positions(self.con)

    def export_positions(self, out: str | Path, fmt: str = "parquet") -> Path:
        """Write positions as Hive-partitioned Parquet (``date=YYYY-MM-DD/``) or one CSV."""
        return export_positions(self.con, Path(out), fmt)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.isoformat().replace("+00:00", "Z"))
