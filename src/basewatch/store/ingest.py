"""Ingest files into the store: detect, read, validate, dedup, insert — one transaction per group.

Files commit at file boundaries, so killing the process mid-file leaves the store as it was;
a file already ingested (same sha256) adds nothing and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from basewatch.model import RAW_SCHEMA
from basewatch.sources import Blob, Chunk, ReadOptions, Reject, Source
from basewatch.store.dedup import DUPLICATES_SQL

#: Commit once this many positions have been staged (at the next file boundary).
COMMIT_ROWS = 2_000_000

_COLUMNS = ", ".join(f.name for f in RAW_SCHEMA)
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
    reject_reasons: dict[str, int] = field(default_factory=dict)
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


Progress = Callable[[IngestResult, int], None]


class Ingestor:
    """Reads (blob, adapter) pairs into the store's ``positions``, ``ingests`` and ``rejects``."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        options: ReadOptions | None = None,
        commit_rows: int = COMMIT_ROWS,
        progress: Progress | None = None,
    ) -> None:
        self.con = con
        self.options = options or ReadOptions()
        self.commit_rows = commit_rows
        self.progress = progress
        self._staged = 0
        self._seq = 0
        self._open: dict[int, IngestResult] = {}

    def run(self, work: Iterable[tuple[Blob, Source]]) -> list[IngestResult]:
        """Ingest every pair; returns one result per input, in order."""
        results: list[IngestResult] = []
        self._create_staging()
        self.con.execute("BEGIN TRANSACTION")
        try:
            seen: set[str] = set()
            for blob, source in work:
                result = self._one(blob, source, seen)
                results.append(result)
                if self._staged >= self.commit_rows:
                    self._commit()
                    self.con.execute("BEGIN TRANSACTION")
            self._commit()
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self.con.execute("DROP TABLE IF EXISTS staging")
        return results

    def _create_staging(self) -> None:
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE staging AS "
            f"SELECT {_COLUMNS}, ingest_id, 0::BIGINT AS seq FROM positions LIMIT 0"
        )

    def _one(self, blob: Blob, source: Source, seen: set[str]) -> IngestResult:
        sha = blob.sha256()
        result = IngestResult(blob.path, source.name, sha256=sha)
        row = self.con.execute("SELECT ingest_id FROM ingests WHERE sha256 = ?", [sha]).fetchone()
        if row is not None or sha in seen:
            result.status = "already ingested"
            result.ingest_id = int(row[0]) if row else None
            return result
        seen.add(sha)
        next_id = self.con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests").fetchone()
        result.ingest_id = int(next_id[0]) if next_id else 1
        self.con.execute(
            "INSERT INTO ingests (ingest_id, path, format, sha256, size_bytes, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [result.ingest_id, blob.path, source.name, sha, blob.size, datetime.now(UTC)],
        )
        self._open[result.ingest_id] = result
        for chunk in source.read(blob, self.options):
            self._stage(chunk, result)
            if self.progress:
                self.progress(result, chunk.table.num_rows + len(chunk.rejects))
        return result

    def _stage(self, chunk: Chunk, result: IngestResult) -> None:
        assert result.ingest_id is not None
        n = chunk.table.num_rows
        if n:
            table = chunk.table.drop_columns(["record"]).append_column(
                "ingest_id", pa.array([result.ingest_id] * n, pa.int64())
            )
            table = table.append_column(
                "seq", pa.array(range(self._seq, self._seq + n), pa.int64())
            )
            self._seq += n
            self.con.register("chunk_view", table)
            self.con.execute("INSERT INTO staging SELECT * FROM chunk_view")
            self.con.unregister("chunk_view")
            self._staged += n
        if chunk.rejects:
            self._store_rejects(chunk.rejects, result)

    def _store_rejects(self, rejects: list[Reject], result: IngestResult) -> None:
        result.rejected += len(rejects)
        for r in rejects:
            key = r.reason.split(":")[0]
            result.reject_reasons[key] = result.reject_reasons.get(key, 0) + 1
        table = pa.table(
            {
                "ingest_id": [result.ingest_id] * len(rejects),
                "path": [result.path] * len(rejects),
                "record": [r.record for r in rejects],
                "byte_offset": [r.offset for r in rejects],
                "reason": [r.reason for r in rejects],
                "raw": [r.raw for r in rejects],
            },
            schema=_REJECT_SCHEMA,
        )
        self.con.register("reject_view", table)
        self.con.execute("INSERT INTO rejects SELECT * FROM reject_view")
        self.con.unregister("reject_view")

    def _flush(self) -> None:
        """Move staged rows that are not duplicates into ``positions``; count per ingest."""
        if self._staged:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE dup_seq AS {DUPLICATES_SQL}")
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
            for ingest_id, accepted, dups, first, last in counts:
                result = self._open[int(ingest_id)]
                result.accepted += int(accepted)
                result.duplicates += int(dups)
                if first is not None:
                    result.first_time = min(first, result.first_time or first)
                    result.last_time = max(last, result.last_time or last)
            self.con.execute("DELETE FROM staging")
            self.con.execute("DROP TABLE dup_seq")
            self._staged = 0

    def _commit(self) -> None:
        self._flush()
        for ingest_id, result in self._open.items():
            self.con.execute(
                "UPDATE ingests SET accepted = ?, rejected = ?, duplicates = ?, "
                "finished_at = ?, first_time = ?, last_time = ? WHERE ingest_id = ?",
                [
                    result.accepted,
                    result.rejected,
                    result.duplicates,
                    datetime.now(UTC),
                    result.first_time,
                    result.last_time,
                    ingest_id,
                ],
            )
        self._open.clear()
        self.con.execute("COMMIT")
