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


def _floats(arr: pa.Array) -> np.ndarray:
    """A numeric column as float64 numpy, nulls as NaN (comparisons with NaN are False)."""
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)


def _validate(cols: dict[str, pa.Array], options: ReadOptions) -> np.ndarray | None:
    """One reason per row (None = valid), first failing rule wins; None when all rows pass.

    Numeric rules run in numpy: a handful of cheap calls per chunk, whatever its size.
    """
    now = options.now or datetime.now(UTC)
    t, lat, lon = _floats(cols["time"]), _floats(cols["lat"]), _floats(cols["lon"])
    icao_ok = pc.fill_null(pc.match_substring_regex(cols["icao24"], r"^~?[0-9a-f]{6}$"), False)
    checks: list[tuple[np.ndarray, str]] = [
        (
            ~np.asarray(icao_ok.to_numpy(zero_copy_only=False), dtype=bool),
            "address is not 6 hex digits",
        ),
        (np.isnan(t), "missing time"),
        (t < EARLIEST.timestamp(), "time before 2000"),
        (t > (now + FUTURE_SLACK).timestamp(), "time in the future"),
        (np.isnan(lat) | np.isnan(lon), "missing position"),
        (np.abs(lat) > 90.0, "latitude out of range"),
        (np.abs(lon) > 180.0, "longitude out of range"),
    ]
    for name in ("alt_baro_ft", "alt_geom_ft"):
        if cols[name].null_count < len(cols[name]):
            alt = _floats(cols[name])
            checks.append(((alt < -2000) | (alt > 150000), f"{name} out of range"))
    if cols["gs_kt"].null_count < len(cols["gs_kt"]):
        gs = _floats(cols["gs_kt"])
        checks.append(((gs < 0) | (gs > 5000), "gs_kt out of range"))
    if cols["squawk"].null_count < len(cols["squawk"]):
        ok = pc.fill_null(pc.match_substring_regex(cols["squawk"], r"^[0-7]{4}$"), True)
        checks.append(
            (
                ~np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool),
                "squawk is not 4 octal digits",
            )
        )
    known = pc.fill_null(pc.is_in(cols["pos_source"], pa.array(POS_SOURCES)), False)
    checks.append(
        (~np.asarray(known.to_numpy(zero_copy_only=False), dtype=bool), "unknown pos_source")
    )
    bad = np.zeros(len(t), dtype=bool)
    for mask, _ in checks:
        bad |= mask
    if not bad.any():
        return None
    reasons = np.full(len(t), None, dtype=object)
    for mask, text in reversed(checks):
        reasons[mask] = text
    return reasons


def _clean_strings(arr: pa.Array, lower: bool = False) -> pa.Array:
    """Trim; empty strings become null (all-null columns pass through untouched)."""
    if arr.null_count == len(arr):
        return arr
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
        if reasons is None:
            reasons = np.full(n, None, dtype=object)
        for i, why in bad.items():
            reasons[i] = why
    micros = pc.round(pc.multiply(pc.fill_null(cols["time"], 0.0), 1e6))
    # NaN, inf and times beyond int64 µs become 0 here; validation has rejected them already
    micros = pc.if_else(pc.and_(pc.is_finite(micros), pc.less(pc.abs(micros), 9.0e18)), micros, 0.0)
    table = pa.table(
        {
            "time": pc.cast(pc.cast(micros, pa.int64()), RAW_SCHEMA.field("time").type),
            **{f.name: cols[f.name] for f in RAW_SCHEMA if f.name != "time"},
            "record": record_arr,
        }
    )
    if reasons is not None:
        invalid = np.array([r is not None for r in reasons], dtype=bool)
        idx = np.flatnonzero(invalid)
        recs = record_arr.take(pa.array(idx)).to_pylist()
        raw_table = table.drop_columns(["time"]).append_column("time_s", cols["time"])
        rejects.extend(
            Reject(str(reasons[i]), record=r, raw=_row_repr(raw_table, int(i)))
            for i, r in zip(idx, recs, strict=True)
        )
        table = table.filter(pa.array(~invalid))
    return Chunk(table, rejects)


def finite_or_none(value: Any) -> float | None:
    """A float, or None for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
