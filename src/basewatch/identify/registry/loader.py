"""Load imports into the store: stage, validate set-based, upsert, merge; one transaction each.

Pieces are bulk-inserted into a temporary stage; one SQL pass judges every row (address 6 hex
digits, a registration or a type, first occurrence of its address) and the good rows replace
this source's rows for their addresses (``INSERT OR REPLACE`` on ``(icao24, source)``). A unit
whose SHA-256 was imported before adds nothing and says so.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from basewatch.identify.registry.base import (
    BOOL_FIELDS,
    FIELDS,
    STAGE_SCHEMA,
    Importer,
    Piece,
    Unit,
)
from basewatch.identify.registry.merge import rebuild_aircraft

_REJECT_SCHEMA = pa.schema(
    [
        ("import_id", pa.int64()),
        ("path", pa.string()),
        ("record", pa.int64()),
        ("byte_offset", pa.int64()),
        ("reason", pa.string()),
        ("raw", pa.string()),
    ]
)
_WHITESPACE = "chr(32) || chr(9) || chr(10) || chr(13)"
_TEXT = [f for f in FIELDS if f not in BOOL_FIELDS and f != "tags"]


def _sql_type(f: pa.Field) -> str:
    if f.name == "tags":
        return "VARCHAR[]"
    return {pa.bool_(): "BOOLEAN", pa.int64(): "BIGINT"}.get(f.type, "VARCHAR")


_STAGE_DDL = "CREATE OR REPLACE TEMP TABLE aircraft_stage (seq BIGINT, path VARCHAR, {})".format(
    ", ".join(f"{f.name} {_sql_type(f)}" for f in STAGE_SCHEMA)
)

#: Every staged row with its reason for rejection (NULL: accepted), in one set-based pass.
_JUDGE_SQL = f"""
CREATE OR REPLACE TEMP TABLE aircraft_judged AS
WITH cleaned AS (
    SELECT seq, path, record, icao24 AS raw_icao,
        lower(trim(icao24, {_WHITESPACE})) AS hex,
        {", ".join(f"nullif(trim({c}, {_WHITESPACE}), '') AS {c}" for c in _TEXT)},
        military, interesting, pia, ladd,
        nullif(list_transform(
            list_filter(tags, lambda t: nullif(trim(t, {_WHITESPACE}), '') IS NOT NULL),
            lambda t: trim(t, {_WHITESPACE})
        ), []) AS tags
    FROM aircraft_stage
),
checked AS (
    SELECT *, CASE
        WHEN hex IS NULL OR hex = '' THEN 'no address'
        WHEN NOT regexp_full_match(hex, '[0-9a-f]+') THEN 'address not hexadecimal: ' || raw_icao
        WHEN length(hex) <> 6 THEN 'address not 6 hex digits: ' || length(hex) || ' digits'
        WHEN registration IS NULL AND type_code IS NULL THEN 'no registration and no type'
    END AS problem
    FROM cleaned
)
SELECT * EXCLUDE (problem), coalesce(problem, CASE WHEN row_number() OVER w > 1
    THEN 'duplicate address: ' || hex || ' (first at record ' || first_value(record) OVER w || ')'
    END) AS reason
FROM checked
WINDOW w AS (PARTITION BY problem IS NULL, hex ORDER BY seq)
"""

_UPSERT_SQL = f"""
INSERT OR REPLACE INTO aircraft_records (icao24, source, import_id, {", ".join(FIELDS)})
SELECT hex, $source, $import_id, {", ".join(FIELDS)}
FROM aircraft_judged WHERE reason IS NULL ORDER BY hex
"""

_REJECTS_SQL = """
INSERT INTO aircraft_rejects
SELECT $import_id, path, record, NULL, reason,
    left(concat_ws(' | ', raw_icao, registration, type_code, type_desc), 300)
FROM aircraft_judged WHERE reason IS NOT NULL ORDER BY seq
"""


@dataclass
class ImportResult:
    """What one import contributed: counts, reasons for rejects, and whether it was new."""

    path: str
    format: str
    status: str = "imported"
    import_id: int | None = None
    sha256: str = ""
    size_bytes: int = 0
    accepted: int = 0
    rejected: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, object]:
        """The ``aircraft import --json`` shape."""
        return {
            "path": self.path,
            "format": self.format,
            "status": self.status,
            "import_id": self.import_id,
            "sha256": self.sha256,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "reject_reasons": self.reject_reasons,
            "notes": self.notes,
        }


def _stage(con: duckdb.DuckDBPyConnection, piece: Piece, seq: int, import_id: int) -> int:
    """Bulk-insert a piece's rows and parse rejects; returns the next sequence number."""
    n = piece.table.num_rows
    if n:
        table = piece.table.append_column("seq", pa.array(range(seq, seq + n), pa.int64()))
        table = table.append_column("path", pa.repeat(piece.path, n))
        con.register("aircraft_piece", table)
        try:
            con.execute("INSERT INTO aircraft_stage BY NAME SELECT * FROM aircraft_piece")
        finally:
            con.unregister("aircraft_piece")
    if piece.rejects:
        k = len(piece.rejects)
        rejects = pa.table(
            {
                "import_id": pa.repeat(import_id, k),
                "path": pa.repeat(piece.path, k),
                "record": [r.record for r in piece.rejects],
                "byte_offset": [r.offset for r in piece.rejects],
                "reason": [r.reason for r in piece.rejects],
                "raw": [r.raw for r in piece.rejects],
            },
            schema=_REJECT_SCHEMA,
        )
        con.register("aircraft_piece_rejects", rejects)
        try:
            con.execute("INSERT INTO aircraft_rejects SELECT * FROM aircraft_piece_rejects")
        finally:
            con.unregister("aircraft_piece_rejects")
    return int(seq + n)


def _count(result: ImportResult, reason: str | None, n: int = 1) -> None:
    if reason is None:
        result.accepted += n
        return
    key = reason.split(":")[0]
    result.rejected += n
    result.reject_reasons[key] = result.reject_reasons.get(key, 0) + n


def _stage_all(
    con: duckdb.DuckDBPyConnection, pieces: Iterable[Piece], result: ImportResult
) -> None:
    """Stage every piece an importer reads (parse rejects go straight to the store)."""
    assert result.import_id is not None
    con.execute(_STAGE_DDL)
    seq = 0
    for piece in pieces:
        seq = _stage(con, piece, seq, result.import_id)
        for reject in piece.rejects:
            _count(result, reject.reason)
        result.notes += piece.notes


def _record_import(con: duckdb.DuckDBPyConnection, result: ImportResult, started: datetime) -> None:
    con.execute(
        "INSERT INTO aircraft_imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.import_id,
            result.path,
            result.format,
            result.sha256,
            result.size_bytes,
            started,
            datetime.now(UTC),
            result.accepted,
            result.rejected,
        ],
    )


def _run(
    con: duckdb.DuckDBPyConnection, unit: Unit, importer: Importer, result: ImportResult
) -> None:
    """Stage, judge, upsert, record and merge one import (inside the caller's transaction)."""
    started = datetime.now(UTC)
    _stage_all(con, importer.read(unit), result)
    con.execute(_JUDGE_SQL)
    con.execute(_UPSERT_SQL, {"source": importer.name, "import_id": result.import_id})
    con.execute(_REJECTS_SQL, {"import_id": result.import_id})
    for reason, n in con.execute(
        "SELECT reason, count(*) FROM aircraft_judged GROUP BY ALL"
    ).fetchall():
        _count(result, reason, int(n))
    _record_import(con, result, started)
    rebuild_aircraft(con, result.import_id)
    con.execute("DROP TABLE aircraft_stage")
    con.execute("DROP TABLE aircraft_judged")


def load_unit(con: duckdb.DuckDBPyConnection, unit: Unit, importer: Importer) -> ImportResult:
    """Import one unit in its own transaction; an already imported SHA-256 adds nothing."""
    t0 = time.perf_counter()
    result = ImportResult(unit.path, importer.name, sha256=unit.sha256(), size_bytes=unit.size)
    known = con.execute(
        "SELECT min(import_id) FILTER (WHERE sha256 = ?), coalesce(max(import_id), 0) + 1 "
        "FROM aircraft_imports",
        [result.sha256],
    ).fetchall()
    earlier, next_id = known[0]
    if earlier is not None:
        result.status, result.import_id = "already imported", int(earlier)
        return result
    result.import_id = int(next_id)
    con.execute("BEGIN TRANSACTION")
    try:
        _run(con, unit, importer, result)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    result.seconds = time.perf_counter() - t0
    return result
