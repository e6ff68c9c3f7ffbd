"""Ingest files into the store: detect, read, validate, dedup, insert — one transaction per group.

Files commit at file boundaries, so killing the process mid-file leaves the store as it was;
a file already ingested (same sha256) adds nothing and says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.model import RAW_SCHEMA
from basewatch.sources import Blob, Chunk, Reject, Source
from basewatch.store.dedup import DUPLICATES_SQL, duplicates_sql

#: Flush staged rows into ``positions`` past this many, and commit at the next file boundary.
COMMIT_ROWS = 2_000_000

_COLUMNS = ", ".join(f.name for f in RAW_SCHEMA)
#: Registry fields a trace header can carry (columns of ``aircraft_records``).
_HEADER_SCHEMA = pa.schema(
    [
        ("icao24", pa.string()),
        ("registration", pa.string()),
        ("type_code", pa.string()),
        ("type_desc", pa.string()),
        ("operator", pa.string()),
        ("year", pa.string()),
        ("military", pa.bool_()),
        ("interesting", pa.bool_()),
        ("pia", pa.bool_()),
        ("ladd", pa.bool_()),
    ]
)
_REJECT_SCHEMA = pa.schema(
    [
        ("ingest_id", pa.int64()),
        ("path", pa.string()),
        ("record", pa.int64()),
        ("byte_offset", pa.int64()),
        ("reason", pa.string()),
        ("raw", pa.string()),
    ]
)


@dataclass
class IngestResult:
    """What one input contributed: counts, and whether it was new."""

    path: str
    format: str
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    status: str = "ingested"
    ingest_id: int | None = None
    sha256: str = ""
    size_bytes: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    started_at: datetime | None = None
    first_time: datetime | None = None
    last_time: datetime | None = None

    def as_json(self) -> dict[str, object]:
        """The ``ingest --json`` shape of DESIGN.md, plus status and id."""
        return {
            "path": self.path,
            "format": self.format,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "status": self.status,
            "ingest_id": self.ingest_id,
            "sha256": self.sha256,
        }


#: Called after each chunk with the file's result and the records it held.
Progress = Callable[[IngestResult, int], None]
#: Positions stored outside table ``positions`` (a Parquet dataset's files) that a staged batch
#: spanning (first time, last time) must be checked against: a parenthesised query, or None.
Stored = Callable[[datetime, datetime], str | None]
#: What the ingestor consumes: an input, its adapter, and the chunks read from it.
Reading = tuple[Blob, Source, Iterator[Chunk]]


class Ingestor:
    """Moves readings into ``positions``, ``ingests`` and ``rejects``, deduplicated."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        commit_rows: int = COMMIT_ROWS,
        progress: Progress | None = None,
        stored: Stored | None = None,
    ) -> None:
        self.con = con
        self.commit_rows = commit_rows
        self.progress = progress
        self.stored = stored
        self._pending: list[pa.Table] = []
        self._staged = 0
        self._seq = 0
        self._open: dict[int, IngestResult] = {}
        self._rejects: list[pa.Table] = []
        self._aircraft: list[dict[str, object]] = []
        self._aircraft_from: set[str] = set()

    def run(
        self, readings: Iterable[Reading], known: dict[str, int] | None = None
    ) -> list[IngestResult]:
        """Ingest every reading; one result per input, in order. ``known`` maps the contents
        already stored to their ingest ids (default: read from the store)."""
        results: list[IngestResult] = []
        known = (
            dict(known)
            if known is not None
            else {
                row[0]: int(row[1])
                for row in self.con.execute("SELECT sha256, ingest_id FROM ingests").fetchall()
            }
        )
        row = self.con.execute("SELECT coalesce(max(ingest_id), 0) FROM ingests").fetchone()
        next_id = int(row[0]) + 1 if row else 1
        self.con.execute("BEGIN TRANSACTION")
        try:
            for blob, source, chunks in readings:
                result = IngestResult(blob.path, source.name, sha256=blob.sha256())
                results.append(result)
                if result.sha256 in known:
                    result.status, result.ingest_id = "already ingested", known[result.sha256]
                    continue
                result.ingest_id = known[result.sha256] = next_id
                next_id += 1
                result.size_bytes, result.started_at = blob.size, datetime.now(UTC)
                self._open[result.ingest_id] = result
                for chunk in chunks:
                    self._stage(chunk, result)
                if self._staged >= self.commit_rows:
                    self._commit()
                    self.con.execute("BEGIN TRANSACTION")
            self._commit()
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return results

    def _stage(self, chunk: Chunk, result: IngestResult) -> None:
        assert result.ingest_id is not None
        n = chunk.table.num_rows
        if n:
            table = chunk.table.drop_columns(["record"])
            table = table.append_column("ingest_id", pa.repeat(result.ingest_id, n))
            table = table.append_column(
                "seq", pa.array(range(self._seq, self._seq + n), pa.int64())
            )
            self._pending.append(table)
            self._seq += n
            self._staged += n
        if chunk.rejects:
            self._add_rejects(chunk.rejects, result)
        if chunk.aircraft:
            self._aircraft.extend(chunk.aircraft)
            self._aircraft_from.add(result.sha256)
        if self.progress:
            self.progress(result, n + len(chunk.rejects))
        if self._staged >= 2 * self.commit_rows:
            self._flush()  # a very large file: keep memory bounded, still one transaction

    def _add_rejects(self, rejects: list[Reject], result: IngestResult) -> None:
        result.rejected += len(rejects)
        for r in rejects:
            key = r.reason.split(":")[0]
            result.reject_reasons[key] = result.reject_reasons.get(key, 0) + 1
        self._rejects.append(
            pa.table(
                {
                    "ingest_id": pa.repeat(result.ingest_id, len(rejects)),
                    "path": pa.repeat(result.path, len(rejects)),
                    "record": [r.record for r in rejects],
                    "byte_offset": [r.offset for r in rejects],
                    "reason": [r.reason for r in rejects],
                    "raw": [r.raw for r in rejects],
                },
                schema=_REJECT_SCHEMA,
            )
        )

    def _flush(self) -> None:
        """Move staged rows that are not duplicates into ``positions``; count per ingest."""
        if not self._pending:
            return
        staging = pa.concat_tables(self._pending)
        self._pending, self._staged = [], 0
        self.con.register("staging", staging)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE dup_seq AS {self._duplicates(staging)}")
            counts = self.con.execute(
                "SELECT ingest_id, count(*) FILTER (WHERE d.seq IS NULL), "
                "count(*) FILTER (WHERE d.seq IS NOT NULL), "
                "min(time) FILTER (WHERE d.seq IS NULL), max(time) FILTER (WHERE d.seq IS NULL) "
                "FROM staging s LEFT JOIN dup_seq d USING (seq) GROUP BY ingest_id"
            ).fetchall()
            self.con.execute(
                f"INSERT INTO positions SELECT {_COLUMNS}, ingest_id FROM staging "
                "ANTI JOIN dup_seq USING (seq) ORDER BY time, icao24"
            )
            self.con.execute("DROP TABLE dup_seq")
        finally:
            self.con.unregister("staging")
        for ingest_id, accepted, dups, first, last in counts:
            result = self._open[int(ingest_id)]
            result.accepted += int(accepted)
            result.duplicates += int(dups)
            if first is not None:
                result.first_time = min(first, result.first_time or first)
                result.last_time = max(last, result.last_time or last)

    def _duplicates(self, staging: pa.Table) -> str:
        """The duplicate query against ``positions`` and, when given, the ``stored`` ones."""
        if self.stored is None:
            return DUPLICATES_SQL
        span = pc.min_max(staging.column("time"))
        outside = self.stored(span["min"].as_py(), span["max"].as_py())
        if outside is None:
            return DUPLICATES_SQL
        return duplicates_sql(f"(SELECT icao24, time, lat, lon FROM positions UNION ALL {outside})")

    def _commit(self) -> None:
        """Flush, write the ingests and rejects rows of this group, and commit."""
        self._flush()
        if self._rejects:
            self.con.register("reject_view", pa.concat_tables(self._rejects))
            self.con.execute("INSERT INTO rejects SELECT * FROM reject_view")
            self.con.unregister("reject_view")
            self._rejects = []
        if self._aircraft:
            self._write_aircraft()
        if self._open:
            now = datetime.now(UTC)
            rows = [
                (
                    r.ingest_id,
                    r.path,
                    r.format,
                    r.sha256,
                    r.size_bytes,
                    r.started_at,
                    now,
                    r.accepted,
                    r.rejected,
                    r.duplicates,
                    r.first_time,
                    r.last_time,
                )
                for r in self._open.values()
            ]
            self.con.executemany(
                "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            self._open.clear()
        self.con.execute("COMMIT")

    def _write_aircraft(self) -> None:
        """Registry fields carried by the inputs (readsb trace headers) as one aircraft import
        of source ``readsb_trace``; the identify stage merges it into ``aircraft`` when it runs."""
        latest = {str(row["icao24"]): row for row in self._aircraft}  # the last file wins
        sha = hashlib.sha256("".join(sorted(self._aircraft_from)).encode()).hexdigest()
        row = self.con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM aircraft_imports")
        import_id = int(row.fetchall()[0][0])
        now = datetime.now(UTC)
        self.con.execute(
            "INSERT INTO aircraft_imports (import_id, path, format, sha256, size_bytes, "
            "started_at, finished_at, accepted, rejected) VALUES (?, ?, ?, ?, 0, ?, ?, ?, 0)",
            [
                import_id,
                f"headers of {len(self._aircraft_from)} readsb traces",
                "readsb_trace",
                sha,
                now,
                now,
                len(latest),
            ],
        )
        table = pa.Table.from_pylist(list(latest.values()), schema=_HEADER_SCHEMA)
        self.con.register("bw_headers", table)
        try:
            self.con.execute(
                "DELETE FROM aircraft_records WHERE source = 'readsb_trace' "
                "AND icao24 IN (SELECT icao24 FROM bw_headers)"
            )
            self.con.execute(
                f"INSERT INTO aircraft_records BY NAME SELECT *, 'readsb_trace' AS source, "
                f"{import_id}::BIGINT AS import_id FROM bw_headers"
            )
        finally:
            self.con.unregister("bw_headers")
        self._aircraft, self._aircraft_from = [], set()
