"""Turn an adapter's column lists into a validated raw-canonical Arrow table, vectorised.

Adapters hand over plain columns (time as epoch seconds); type errors and impossible values
(latitude 123, a non-hex address, a time in 1970 or the future) become rejects, row by row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.model import POS_SOURCES, RAW_SCHEMA
from basewatch.sources.base import Chunk, ReadOptions, Reject

#: Earliest plausible position time: ADS-B history before 2000 does not exist.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
#: Tolerance for receiver clocks running ahead.
FUTURE_SLACK = timedelta(days=1)

Column: TypeAlias = Sequence[Any] | np.ndarray | pa.Array | pa.ChunkedArray

_TYPES: dict[str, pa.DataType] = {
    "time": pa.float64(),
    **{f.name: f.type for f in RAW_SCHEMA if f.name != "time"},
}


def _convert(name: str, values: Column, n: int) -> tuple[pa.Array, dict[int, str]]:
    """Convert one column; on a type error fall back to element-wise and report bad rows."""
    target = _TYPES[name]
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    try:
        if isinstance(values, pa.Array):
            return values.cast(target), {}
        return pa.array(values, type=target, from_pandas=True), {}
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
    items = values.to_pylist() if isinstance(values, pa.Array) else list(values)
    good: list[Any] = []
    bad: dict[int, str] = {}
    for i, item in enumerate(items):
        try:
            good.append(pa.scalar(item, type=target).as_py())
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            bad[i] = f"{name}: {item!r} is not a {target}"
            good.append(None)
    return pa.array(good, type=target), bad


def _reason(reasons: pa.Array, mask: pa.Array, text: str) -> pa.Array:
    """Set ``text`` where ``mask`` holds and no earlier reason was given."""
    mask = pc.fill_null(mask, False)
    return pc.if_else(pc.and_(mask, pc.is_null(reasons)), text, reasons)


def _validate(cols: dict[str, pa.Array], options: ReadOptions) -> pa.Array:
    """One reason per row (null = valid), rules in order of importance."""
    n = len(cols["time"])
    reasons = pa.nulls(n, pa.string())
    now = options.now or datetime.now(UTC)
    t = cols["time"]
    lat, lon = cols["lat"], cols["lon"]
    reasons = _reason(reasons, pc.is_null(cols["icao24"]), "missing address")
    reasons = _reason(
        reasons,
        pc.invert(pc.match_substring_regex(cols["icao24"], r"^~?[0-9a-f]{6}$")),
        "address is not 6 hex digits",
    )
    reasons = _reason(reasons, pc.or_(pc.is_null(t), pc.is_nan(t)), "missing time")
    reasons = _reason(reasons, pc.less(t, EARLIEST.timestamp()), "time before 2000")
    reasons = _reason(
        reasons, pc.greater(t, (now + FUTURE_SLACK).timestamp()), "time in the future"
    )
    reasons = _reason(reasons, pc.or_(pc.is_null(lat), pc.is_null(lon)), "missing position")
    reasons = _reason(reasons, pc.or_(pc.is_nan(lat), pc.is_nan(lon)), "position is NaN")
    reasons = _reason(reasons, pc.greater(pc.abs(lat), 90.0), "latitude out of range")
    reasons = _reason(reasons, pc.greater(pc.abs(lon), 180.0), "longitude out of range")
    for name in ("alt_baro_ft", "alt_geom_ft"):
        out = pc.or_(pc.less(cols[name], -2000), pc.greater(cols[name], 150000))
        reasons = _reason(reasons, out, f"{name} out of range")
    gs = cols["gs_kt"]
    reasons = _reason(reasons, pc.or_(pc.less(gs, 0), pc.greater(gs, 5000)), "gs_kt out of range")
    squawk_ok = pc.match_substring_regex(cols["squawk"], r"^[0-7]{4}$")
    reasons = _reason(reasons, pc.invert(squawk_ok), "squawk is not 4 octal digits")
    known = pc.is_in(cols["pos_source"], pa.array(POS_SOURCES))
    return _reason(reasons, pc.invert(known), "unknown pos_source")


def _clean_strings(arr: pa.Array, lower: bool = False) -> pa.Array:
    """Trim; empty strings become null."""
    arr = pc.utf8_trim_whitespace(arr)
    if lower:
        arr = pc.utf8_lower(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _row_repr(table: pa.Table, i: int) -> str:
    row = {k: v for k, v in table.slice(i, 1).to_pylist()[0].items() if v is not None}
    return repr(row)[:300]


def to_chunk(
    columns: dict[str, Column],
    records: Column,
    options: ReadOptions,
    rejects: list[Reject] | None = None,
    time_offset: float = 0.0,
) -> Chunk:
    """Build a validated chunk from adapter columns; absent columns are null.

    ``columns['time']`` is epoch seconds (plus ``time_offset``); ``records`` numbers each
    row (line, point, message) so that a rejected row can be found in its file.
    """
    rejects = list(rejects or [])
    record_arr = pa.array(records, type=pa.int64())
    n = len(record_arr)
    cols: dict[str, pa.Array] = {}
    bad: dict[int, str] = {}
    for name, typ in _TYPES.items():
        if name in columns:
            arr, col_bad = _convert(name, columns[name], n)
            for i, why in col_bad.items():
                bad.setdefault(i, why)
        else:
            arr = pa.nulls(n, typ)
        cols[name] = arr
    if time_offset:
        cols["time"] = pc.add(cols["time"], time_offset)
    for name in ("callsign", "squawk"):
        cols[name] = _clean_strings(cols[name])
    cols["icao24"] = _clean_strings(cols["icao24"], lower=True)
    reasons = _validate(cols, options)
    if bad:
        fixed = reasons.to_pylist()
        for i, why in bad.items():
            fixed[i] = why
        reasons = pa.array(fixed, type=pa.string())
    micros = pc.round(pc.multiply(pc.fill_null(cols["time"], 0.0), 1e6))
    micros = pc.if_else(pc.is_finite(micros), micros, 0.0)
    table = pa.table(
        {
            "time": pc.cast(pc.cast(micros, pa.int64()), RAW_SCHEMA.field("time").type),
            **{f.name: cols[f.name] for f in RAW_SCHEMA if f.name != "time"},
            "record": record_arr,
        }
    )
    invalid = pc.is_valid(reasons)
    if pc.any(invalid).as_py():
        idx = pc.indices_nonzero(invalid).to_pylist()
        why = reasons.take(pa.array(idx)).to_pylist()
        recs = record_arr.take(pa.array(idx)).to_pylist()
        raw_table = table.drop_columns(["time"]).append_column("time_s", cols["time"])
        rejects.extend(
            Reject(w, record=r, raw=_row_repr(raw_table, i))
            for i, w, r in zip(idx, why, recs, strict=True)
        )
        table = table.filter(pc.invert(invalid))
    return Chunk(table, rejects)


def finite_or_none(value: Any) -> float | None:
    """A float, or None for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
