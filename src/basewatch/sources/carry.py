"""Carry sparse per-aircraft values (callsign, squawk, speed…) forward onto later positions.

Feeds that send each field in its own message (SBS, Mode S) need the last value seen per
aircraft; one DuckDB window query does it, and a small state table bridges chunk boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

#: Values older than this (seconds) are not carried onto a position.
MAX_AGE_S = 60.0


class CarryForward:
    """Fills ``fields`` of position rows from earlier messages of the same aircraft.

    Input tables have ``icao24``, ``time`` (epoch seconds), ``seq`` (order within equal
    times), ``is_pos`` and the fields; ``air_only`` fields are not carried onto rows whose
    ``on_ground`` is true (a surface position keeps no altitude from the approach).
    """

    def __init__(
        self, fields: Sequence[str], max_age_s: float = MAX_AGE_S, air_only: Sequence[str] = ()
    ) -> None:
        self.fields = list(fields)
        self.max_age_s = max_age_s
        self.air_only = set(air_only)
        self.state: pa.Table | None = None

    def apply(self, messages: pa.Table) -> pa.Table:
        """The ``is_pos`` rows of ``messages`` with carried fields, in input order."""
        with duckdb.connect(":memory:") as con:
            con.register("messages", messages)
            if self.state is not None:
                con.register("state", self.state)
            con.execute(f"CREATE TEMP TABLE filled AS {self._filled_sql()}")
            positions = con.sql(self._positions_sql(messages.column_names)).to_arrow_table()
            self.state = con.sql(self._state_sql()).to_arrow_table()
        return positions

    def _filled_sql(self) -> str:
        own_time = ", ".join(f"NULL::DOUBLE AS {f}__t" for f in self.fields)
        source = f"SELECT *, {own_time} FROM messages"
        if self.state is not None:
            source += " UNION ALL BY NAME SELECT * FROM state"
        window = "PARTITION BY icao24 ORDER BY time, seq ROWS UNBOUNDED PRECEDING"
        values = ", ".join(
            f"last_value({f} IGNORE NULLS) OVER w AS {f}__v, "
            f"last_value(CASE WHEN {f} IS NOT NULL THEN coalesce({f}__t, time) END IGNORE NULLS)"
            f" OVER w AS {f}__at"
            for f in self.fields
        )
        return f"SELECT *, {values} FROM ({source}) WINDOW w AS ({window})"

    def _positions_sql(self, columns: list[str]) -> str:
        out = []
        for name in columns:
            if name not in self.fields:
                out.append(name)
                continue
            fresh = f"CASE WHEN time - {name}__at <= {self.max_age_s} THEN {name}__v END"
            if name in self.air_only:
                fresh = f"CASE WHEN coalesce(on_ground, FALSE) THEN {name} ELSE {fresh} END"
            out.append(f"{fresh} AS {name}")
        return f"SELECT {', '.join(out)} FROM filled WHERE is_pos AND seq >= 0 ORDER BY seq"

    def _state_sql(self) -> str:
        """Per aircraft, the last value of each field and when it was seen; stale ones dropped."""
        keep = ", ".join(f"{f}__v AS {f}, {f}__at AS {f}__t" for f in self.fields)
        latest = "greatest(" + ", ".join(f"coalesce({f}__at, -1e18)" for f in self.fields) + ")"
        return (
            f"SELECT icao24, time, -1::BIGINT AS seq, FALSE AS is_pos, {keep} FROM filled "
            f"WHERE {latest} >= (SELECT max(time) FROM filled) - {self.max_age_s} "
            "QUALIFY row_number() OVER (PARTITION BY icao24 ORDER BY time DESC, seq DESC) = 1"
        )
