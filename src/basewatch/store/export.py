"""Exports of stored tables: Hive-partitioned Parquet (what Spark reads) and CSV."""

from __future__ import annotations

from pathlib import Path

import duckdb

from basewatch.errors import UsageError

EXPORT_FORMATS = ("parquet", "csv")


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_positions(con: duckdb.DuckDBPyConnection, out: Path, fmt: str) -> Path:
    """Write ``positions`` to ``out``: a folder of ``date=YYYY-MM-DD/`` Parquet, or a CSV file."""
    if fmt not in EXPORT_FORMATS:
        raise UsageError(
            f"unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}"
        )
    if fmt == "parquet":
        out.mkdir(parents=True, exist_ok=True)
        con.execute(
            "COPY (SELECT *, strftime(time, '%Y-%m-%d') AS date FROM positions "
            f"ORDER BY time, icao24) TO {_quote(out)} "
            "(FORMAT parquet, PARTITION_BY (date), OVERWRITE_OR_IGNORE, COMPRESSION zstd)"
        )
        return out
    if out.suffix != ".csv":
        out.mkdir(parents=True, exist_ok=True)
        out = out / "positions.csv"
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        "COPY (SELECT * REPLACE (strftime(time, '%Y-%m-%dT%H:%M:%S.%fZ') AS time) "
        f"FROM positions ORDER BY time, icao24) TO {_quote(out)} (HEADER, DELIMITER ',')"
    )
    return out
