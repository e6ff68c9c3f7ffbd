"""Carry sparse per-aircraft values (callsign, squawk, speed…) forward onto later positions.

Feeds that send each field in its own message (SBS, Mode S) need the last value seen per
aircraft: a sort by (aircraft, time) and a running index of the last non-null value per field
(numpy ``maximum.accumulate``); a small state table bridges chunk boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Values older than this (seconds) are not carried onto a position.
MAX_AGE_S = 60.0
_ORDER = [("icao24", "ascending"), ("time", "ascending"), ("seq", "ascending")]


class CarryForward:
    """Fills ``fields`` of position rows from earlier messages of the same aircraft.

    Input tables have ``icao24``, ``time`` (epoch seconds), ``seq`` (order within equal
    times, ≥ 0), ``is_pos``, ``on_ground`` and the fields; ``air_only`` fields are not
    carried onto rows whose ``on_ground`` is true (a surface position keeps no altitude from
    the approach). A value older than ``max_age_s`` at the position is not carried.
    """

    def __init__(
        self, fields: Sequence[str], max_age_s: float = MAX_AGE_S, air_only: Sequence[str] = ()
    ) -> None:
        self.fields = list(fields)
        self.max_age_s = max_age_s
        self.air_only = set(air_only)
        self.state: pa.Table | None = None

    def apply(self, messages: pa.Table) -> pa.Table:
        """The ``is_pos`` rows of ``messages`` with carried fields, in ``seq`` order."""
        table = messages
        for name in self.fields:
            table = table.append_column(f"{name}__t", pa.nulls(len(table), pa.float64()))
        if self.state is not None and len(self.state):
            table = pa.concat_tables([self.state, table], promote_options="default")
        table = table.take(pc.sort_indices(table, sort_keys=_ORDER))
        n = len(table)
        icao = table["icao24"].combine_chunks()
        starts = np.ones(n, dtype=bool)
        if n > 1:
            starts[1:] = pc.not_equal(icao[1:], icao[:-1]).to_numpy(zero_copy_only=False)
        group = np.cumsum(starts)
        times = table["time"].to_numpy()
        rows = np.arange(n)
        ground = pc.fill_null(table["on_ground"], False).to_numpy(zero_copy_only=False)
        carried: dict[str, tuple[pa.Array, np.ndarray]] = {}
        for name in self.fields:
            values = table[name].combine_chunks()
            seen_at = pc.fill_null(table[f"{name}__t"], table["time"]).to_numpy()
            last = np.maximum.accumulate(np.where(values.is_valid().to_numpy(False), rows, -1))
            safe = np.maximum(last, 0)
            same = (last >= 0) & (group[safe] == group)
            fresh = same & (times - seen_at[safe] <= self.max_age_s)
            if name in self.air_only:
                fresh &= ~ground | (last == rows)
            taken, null = values.take(pa.array(safe)), pa.scalar(None, values.type)
            carried[name] = (pc.if_else(same, taken, null), np.where(same, seen_at[safe], np.nan))
            index = table.schema.get_field_index(name)
            table = table.set_column(index, name, pc.if_else(fresh, taken, null))
        self.state = self._state(table, starts, carried)
        positions = table.filter(pc.and_(table["is_pos"], pc.greater_equal(table["seq"], 0)))
        positions = positions.select(messages.column_names)
        return positions.take(pc.sort_indices(positions["seq"]))

    def _state(
        self, table: pa.Table, starts: np.ndarray, carried: dict[str, tuple[pa.Array, np.ndarray]]
    ) -> pa.Table:
        """Per aircraft, the last value of each field and when it was seen; stale ones dropped."""
        ends = np.flatnonzero(np.append(starts[1:], True)) if len(table) else np.zeros(0, int)
        newest = float(np.max(table["time"].to_numpy())) if len(table) else 0.0
        seen = np.column_stack([carried[f][1][ends] for f in self.fields])
        alive = np.max(np.where(np.isnan(seen), -np.inf, seen), axis=1, initial=-np.inf)
        keep = pa.array(ends[alive >= newest - self.max_age_s], pa.int64())
        columns: dict[str, pa.Array] = {
            "icao24": table["icao24"].take(keep),
            "time": table["time"].take(keep),
            "seq": pa.array(np.full(len(keep), -1), pa.int64()),
            "is_pos": pa.array(np.zeros(len(keep), bool)),
        }
        for name in self.fields:
            value, when = carried[name]
            columns[name] = value.take(keep)
            columns[f"{name}__t"] = pa.array(when, pa.float64(), from_pandas=True).take(keep)
        return pa.table(columns)
