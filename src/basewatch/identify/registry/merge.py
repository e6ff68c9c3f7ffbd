"""The merged ``aircraft`` table: per field, the newest import's non-null value, and its source.

One set-based SELECT over ``aircraft_records``: per field ``arg_max({value, source}, import_id)``
over the rows where the field is non-null, and ``field_sources`` a MAP field → source of that
value. Later imports win per field; a field only an older source has is kept.
"""

from __future__ import annotations

import duckdb

from basewatch.identify.registry.base import FIELDS

_PICKED = ",\n        ".join(
    f"arg_max({{'v': {f}, 's': source}}, import_id) FILTER (WHERE {f} IS NOT NULL) AS {f}"
    for f in FIELDS
)
_SHAPE = "{" + ", ".join(f"'{f}': {f}.s" for f in FIELDS) + "}"
_ENTRIES = ", ".join(f"{{'key': '{f}', 'value': shape.{f}}}" for f in FIELDS)

#: Merged rows of every address of ``aircraft_records`` that the ``$where`` filter keeps.
#: Addresses share few "shapes" (which source gave which field), so each shape's MAP is built
#: once and joined back: three times faster than a MAP per row on 600,000 addresses.
MERGE_SELECT = f"""
WITH picked AS (
    SELECT icao24,
        {_PICKED}
    FROM aircraft_records
    WHERE $where
    GROUP BY icao24
),
shaped AS (SELECT *, {_SHAPE} AS shape FROM picked),
shapes AS (
    SELECT shape,
        map_from_entries(list_filter([{_ENTRIES}], lambda e: e.value IS NOT NULL)) AS sources
    FROM (SELECT DISTINCT shape FROM shaped)
)
SELECT icao24, {", ".join(f"{f}.v AS {f}" for f in FIELDS)}, shapes.sources AS field_sources
FROM shaped JOIN shapes ON shaped.shape IS NOT DISTINCT FROM shapes.shape
ORDER BY icao24
"""

_TOUCHED = "icao24 IN (SELECT icao24 FROM aircraft_records WHERE import_id = $import_id)"


def rebuild_aircraft(con: duckdb.DuckDBPyConnection, import_id: int | None = None) -> None:
    """Rebuild ``aircraft`` for the addresses of one import, or (None) entirely.

    The caller owns the transaction. Rows are replaced by delete-then-insert: DuckDB's
    ``INSERT OR REPLACE`` is several times slower on a table holding most of the keys.
    """
    if import_id is None:
        con.execute("DELETE FROM aircraft")
        con.execute(f"INSERT INTO aircraft {MERGE_SELECT.replace('$where', 'TRUE')}")
        con.execute(
            "UPDATE aircraft_merge_state SET merged_upto = "
            "(SELECT coalesce(max(import_id), 0) FROM aircraft_imports)"
        )
        return
    params = {"import_id": import_id}
    con.execute(f"DELETE FROM aircraft WHERE {_TOUCHED}", params)
    con.execute(f"INSERT INTO aircraft {MERGE_SELECT.replace('$where', _TOUCHED)}", params)
    con.execute(
        "UPDATE aircraft_merge_state SET merged_upto = greatest(merged_upto, ?)", [import_id]
    )


def ensure_aircraft(con: duckdb.DuckDBPyConnection) -> bool:
    """Merge imports that ``aircraft`` does not reflect yet (those the ingest wrote from readsb
    trace headers); True when something was merged. The caller owns the transaction."""
    done = con.execute("SELECT merged_upto FROM aircraft_merge_state").fetchall()[0][0]
    pending = [
        int(r[0])
        for r in con.execute(
            "SELECT import_id FROM aircraft_imports WHERE import_id > ? ORDER BY import_id",
            [done],
        ).fetchall()
    ]
    for import_id in pending:
        rebuild_aircraft(con, import_id)
    return bool(pending)
