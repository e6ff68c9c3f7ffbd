"""Watchlists from basewatch.yaml, matched set-based against the classified aircraft.

A watchlist matches an aircraft when every criterion it gives holds (AND) and, within one
criterion, any listed value does (OR): ``{types: [A124, IL76], countries: [RU]}`` is a Russian
An-124 or Il-76. Operator and callsign criteria are regular expressions, case-insensitive.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from basewatch.config import Watchlist
from basewatch.identify.evidence import sql_literal

CRITERIA_SCHEMA = pa.schema(
    [("watchlist", pa.string()), ("kind", pa.string()), ("value", pa.string())]
)

#: equality criteria: kind → (table, expression compared with the listed value)
_EQUAL = {
    "address": ("_bw_addr", "p.icao24"),
    "registration": ("_bw_ac", "replace(upper(trim(p.registration)), '-', '')"),
    "type": ("_bw_ac", "upper(trim(p.type_code))"),
    "country": ("_bw_decided", "p.country"),
    "military": ("_bw_decided", "CAST(p.military AS VARCHAR)"),
    "state": ("_bw_decided", "CAST(p.state AS VARCHAR)"),
}


def criteria(watchlists: Sequence[Watchlist]) -> pa.Table:
    """One row per (watchlist, kind, value): the watchlists as a table."""
    rows: list[dict[str, str]] = []
    for w in watchlists:
        listed = {
            "address": w.addresses,
            "registration": tuple(r.upper().replace("-", "") for r in w.registrations),
            "type": w.types,
            "operator": w.operators,
            "callsign": w.callsigns,
            "country": w.countries,
            "military": () if w.military is None else (str(w.military).lower(),),
            "state": () if w.state is None else (str(w.state).lower(),),
        }
        rows += [
            {"watchlist": w.name, "kind": kind, "value": value}
            for kind, values in listed.items()
            for value in values
        ]
    return pa.Table.from_pylist(rows, schema=CRITERIA_SCHEMA)


def match_watchlists(con: duckdb.DuckDBPyConnection, watchlists: Sequence[Watchlist]) -> None:
    """Create ``_bw_wl(icao24, watchlists VARCHAR[])``.

    Reads the classifier's temp tables: ``_bw_addr``, ``_bw_ac`` (aircraft), ``_bw_decided``
    (country, military, state) and ``_bw_calls``.
    """
    table = criteria(watchlists)
    con.register("_bw_wl_criteria", table)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _bw_wl AS
            WITH needs AS (
                SELECT watchlist, count(DISTINCT kind) AS kinds
                FROM _bw_wl_criteria GROUP BY watchlist
            ),
            hits AS ({_hits_sql(table)})
            SELECT icao24, list(watchlist ORDER BY watchlist) AS watchlists FROM (
                SELECT h.icao24, h.watchlist
                FROM hits h JOIN needs n ON n.watchlist = h.watchlist
                GROUP BY h.icao24, h.watchlist
                HAVING count(DISTINCT h.kind) = any_value(n.kinds)
            ) GROUP BY icao24
            """
        )
    finally:
        with contextlib.suppress(duckdb.Error):  # after a failed statement, the caller rolls back
            con.unregister("_bw_wl_criteria")


def _hits_sql(table: pa.Table) -> str:
    kinds = set(table.column("kind").to_pylist())
    parts = [
        "SELECT NULL::VARCHAR AS icao24, NULL::VARCHAR AS watchlist, NULL::VARCHAR AS kind "
        "WHERE FALSE"
    ]
    parts += [
        f"SELECT p.icao24, c.watchlist, c.kind FROM {source} p JOIN _bw_wl_criteria c "
        f"ON c.kind = '{kind}' AND {expr} = c.value"
        for kind, (source, expr) in _EQUAL.items()
        if kind in kinds
    ]
    for row in table.to_pylist():
        pattern = sql_literal("(?i)" + row["value"])
        who = f"{sql_literal(row['watchlist'])}, '{row['kind']}'"
        if row["kind"] == "operator":
            parts.append(
                f"SELECT icao24, {who} FROM _bw_ac WHERE regexp_matches(operator, {pattern})"
            )
        elif row["kind"] == "callsign":
            parts.append(
                f"SELECT DISTINCT icao24, {who} FROM _bw_calls "
                f"WHERE regexp_matches(callsign, {pattern})"
            )
    return "\nUNION ALL\n".join(parts)
