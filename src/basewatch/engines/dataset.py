"""``ingest --to parquet DIR``: tracking files straight into a Hive-partitioned Parquet dataset.

For history too large for one DuckDB file (the Spark engine's input): the files go through the
same adapters, dedup and reject bookkeeping as a store's ingest, batch by batch, each batch in a
scratch DuckDB file beside the dataset, then published as ``DIR/date=YYYY-MM-DD/part-*.parquet``
(the layout of ``export positions``). Bookkeeping lives in ``DIR/_basewatch/`` (hidden from
Spark and Hive by its leading underscore): ``ingests/`` and ``rejects/``, one Parquet file per
batch (``run-<id>.parquet``; a run counts once its ``ingests`` file exists), and
``aircraft.parquet``, the registry fields of the readsb trace headers in the store's
``aircraft`` columns (what ``spark run --aircraft`` reads).

Idempotent like the store: a file whose sha256 is in ``ingests/`` is skipped, and positions are
deduplicated against the dataset's files of the same days. A batch's position files are moved
into place before its ``ingests`` file is written (each by an atomic rename), so a process
killed in between leaves files the next run re-reads and finds duplicated: nothing is counted
twice and nothing stored before is touched.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from basewatch.errors import StoreError
from basewatch.identify.registry.merge import rebuild_aircraft
from basewatch.sources import Blob, ReadOptions, Source
from basewatch.sources.parallel import read_files
from basewatch.store import Store, plan, prepared
from basewatch.store.dedup import TOLERANCE_S
from basewatch.store.ingest import Ingestor, IngestResult, Progress

#: The dataset's bookkeeping folder (a leading underscore: not a partition to Spark or Hive).
META = "_basewatch"
#: Input bytes per batch: one scratch store, published at once (bounds the scratch's size).
BATCH_BYTES = 2 << 30
#: The registry the dataset keeps (trace headers merged, newest wins), in ``aircraft``'s columns.
REGISTRY = "aircraft.parquet"


def _quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class ParquetDataset:
    """A folder of Hive-partitioned positions that ``ingest`` appends to, idempotently."""

    def __init__(self, root: str | Path, batch_bytes: int = BATCH_BYTES) -> None:
        self.root = Path(root)
        self.meta = self.root / META
        self.batch_bytes = batch_bytes

    def plan(
        self, inputs: list[str], fmt: str | None = None, options: ReadOptions | None = None
    ) -> tuple[list[tuple[Blob, Source]], list[str]]:
        """Pair each input with its adapter (as ``Store.plan``)."""
        return plan(inputs, fmt, options)

    def ingest(
        self,
        inputs: Sequence[str | tuple[Blob, Source]],
        fmt: str | None = None,
        options: ReadOptions | None = None,
        progress: Progress | None = None,
        workers: int | None = None,
    ) -> list[IngestResult]:
        """Ingest paths (or prepared pairs) into the dataset, batch by batch; one result per
        input, as ``Store.ingest`` gives them."""
        options = options or ReadOptions()
        work = prepared(inputs, fmt, options)
        results: list[IngestResult] = []
        with self._locked():
            for batch in self._batches(work):
                results += self._ingest_batch(batch, options, progress, workers)
        return results

    def _batches(self, work: list[tuple[Blob, Source]]) -> Iterator[list[tuple[Blob, Source]]]:
        batch: list[tuple[Blob, Source]] = []
        size = 0
        for item in work:
            batch.append(item)
            size += item[0].size
            if size >= self.batch_bytes:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def _ingest_batch(
        self,
        batch: list[tuple[Blob, Source]],
        options: ReadOptions,
        progress: Progress | None,
        workers: int | None,
    ) -> list[IngestResult]:
        run = uuid.uuid4().hex[:12]
        scratch_path = self.meta / f"scratch-{run}.duckdb"
        staging = self.meta / f"staging-{run}"
        try:
            with Store.open(scratch_path) as scratch:
                last_id = self._load_books(scratch)
                known = scratch._known([blob.sha256() for blob, _ in batch])
                readings = read_files(
                    batch, options, workers, skip=lambda blob: blob.sha256() in known
                )
                ingestor = Ingestor(scratch.con, progress=progress, stored=self._stored)
                results = ingestor.run(readings, known)
                self._publish(scratch, staging, run, last_id)
            return results
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            for leftover in self.meta.glob(f"scratch-{run}.duckdb*"):
                leftover.unlink(missing_ok=True)

    def _load_books(self, scratch: Store) -> int:
        """The dataset's ingests (known files, next id) and registry into the scratch store;
        returns the highest ingest id so far."""
        con = scratch.con
        files = sorted((self.meta / "ingests").glob("*.parquet"))
        if files:
            listed = ", ".join(_quote(f) for f in files)
            con.execute(f"INSERT INTO ingests SELECT * FROM read_parquet([{listed}])")
        if (self.meta / REGISTRY).exists():  # as the records of one earlier import, id 0
            con.execute(
                "INSERT INTO aircraft_records BY NAME SELECT * EXCLUDE (field_sources), "
                "'readsb_trace' AS source, 0::BIGINT AS import_id "
                f"FROM read_parquet({_quote(self.meta / REGISTRY)})"
            )
        row = con.execute("SELECT coalesce(max(ingest_id), 0) FROM ingests").fetchall()
        return int(row[0][0])

    def _stored(self, first: datetime, last: datetime) -> str | None:
        """The dataset's positions files of the days a staged batch spans (with the dedup
        tolerance), as a query for the duplicate check; None when there are none."""
        lo, hi = first - timedelta(seconds=TOLERANCE_S), last + timedelta(seconds=TOLERANCE_S)
        files = []
        day = lo.date()
        while day <= hi.date():
            files += sorted((self.root / f"date={day.isoformat()}").glob("*.parquet"))
            day += timedelta(days=1)
        if not files:
            return None
        listed = ", ".join(_quote(f) for f in files)
        return f"SELECT icao24, time, lat, lon FROM read_parquet([{listed}])"

    def _publish(self, scratch: Store, staging: Path, run: str, last_id: int) -> None:
        """Positions files into their date folders, then the bookkeeping files, each moved
        into place by a rename (a reader never sees half a file)."""
        con = scratch.con
        staging.mkdir(parents=True, exist_ok=True)
        if con.execute("SELECT count(*) FROM positions").fetchall()[0][0]:
            con.execute(
                "COPY (SELECT *, strftime(time, '%Y-%m-%d') AS date FROM positions "
                f"ORDER BY time, icao24) TO {_quote(staging / 'positions')} (FORMAT parquet, "
                f"PARTITION_BY (date), FILENAME_PATTERN 'part-{run}-{{i}}', COMPRESSION zstd)"
            )
            for part in sorted((staging / "positions").glob("date=*/*.parquet")):
                target = self.root / part.parent.name / part.name
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(part, target)
        if con.execute("SELECT count(*) FROM aircraft_imports").fetchall()[0][0]:
            con.execute("BEGIN TRANSACTION")
            rebuild_aircraft(con)
            con.execute("COMMIT")
            self._book(con, "SELECT * FROM aircraft ORDER BY icao24", staging, REGISTRY)
        new = f"WHERE ingest_id > {int(last_id)}"
        for name in ("rejects", "ingests"):  # ingests last: they commit the batch
            if con.execute(f"SELECT count(*) FROM {name} {new}").fetchall()[0][0]:
                query = f"SELECT * FROM {name} {new}"
                self._book(con, query, staging, f"{name}/run-{run}.parquet")

    def _book(self, con: duckdb.DuckDBPyConnection, query: str, staging: Path, to: str) -> None:
        """Write a query's rows as ``_basewatch/<to>`` by way of a staged file and a rename."""
        tmp = staging / to.replace("/", "-")
        con.execute(f"COPY ({query}) TO {_quote(tmp)} (FORMAT parquet, COMPRESSION zstd)")
        target = self.meta / to
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time (an exclusive lock on ``_basewatch/lock``)."""
        self.meta.mkdir(parents=True, exist_ok=True)
        with open(self.meta / "lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                raise StoreError(f"{self.root}: another ingest is writing this dataset") from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
