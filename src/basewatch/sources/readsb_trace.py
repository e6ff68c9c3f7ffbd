"""readsb / tar1090 ``globe_history`` traces (``trace_full_*.json``, ``trace_recent_*.json``).

A trace is one aircraft: ``timestamp`` plus points ``[dt, lat, lon, alt|"ground", gs, track,
flags, vrate, aircraft_obj, type, alt_geom, geom_rate, ias, roll]`` (readsb README-json.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, ClassVar

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.sources.base import Blob, Chunk, ReadOptions, Reject
from basewatch.sources.columns import to_chunk
from basewatch.sources.vocab import READSB_TYPES, map_vocabulary

FLAG_STALE = 1
FLAG_NEW_LEG = 2
FLAG_ALT_GEOM = 8
MIN_POINT_LEN = 8


def _obj_field(objs: tuple[Any, ...], key: str, new_leg: list[bool]) -> pa.Array:
    """A field of the sparse aircraft objects, carried forward to later points of the same leg.

    An empty string at a new-leg point stops the carry (it is cleaned to null later).
    """
    values: list[str | None] = [None] * len(objs)
    for i, obj in enumerate(objs):
        if obj.__class__ is dict and key in obj:
            value = obj[key]
            values[i] = value if isinstance(value, str) else None
        elif new_leg[i]:
            values[i] = ""
    return pc.fill_null_forward(pa.array(values, type=pa.string()))


def _numbers(values: tuple[Any, ...]) -> list[float | None]:
    """Numbers kept, anything else (``"ground"``, null, junk) as None."""
    return [v if v.__class__ in (int, float) else None for v in values]


def _flag(flags: pa.Array, bit: int) -> pa.Array:
    return pc.not_equal(pc.bit_wise_and(flags, bit), 0)


class ReadsbTrace:
    """Adapter for readsb globe_history trace files, plain or gzip."""

    name: ClassVar[str] = "readsb_trace"
    description: ClassVar[str] = "readsb/tar1090 globe_history trace_full/trace_recent JSON"

    def sniff(self, head: bytes) -> bool:
        start = head.lstrip()[:1]
        return start == b"{" and b'"trace"' in head and b'"icao"' in head

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        data, broken = blob.read_all()
        if broken is not None:
            yield Chunk(_empty(), [broken])
            return
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            yield Chunk(_empty(), [Reject(f"invalid JSON: {exc}", offset=exc.pos)])
            return
        problem = _check_doc(doc)
        if problem:
            yield Chunk(_empty(), [Reject(problem)])
            return
        yield _points_chunk(doc, options)


def _check_doc(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return "not a readsb trace: top level is not an object"
    if not isinstance(doc.get("icao"), str):
        return "not a readsb trace: 'icao' missing or not a string"
    ts = doc.get("timestamp")
    if isinstance(ts, bool) or not isinstance(ts, int | float):
        return "not a readsb trace: 'timestamp' missing or not a number"
    if not isinstance(doc.get("trace"), list):
        return "not a readsb trace: 'trace' missing or not a list"
    return None


def _points_chunk(doc: dict[str, Any], options: ReadOptions) -> Chunk:
    """Columns of all well-shaped points; malformed points become rejects."""
    rejects: list[Reject] = []
    points: list[list[Any]] = []
    records: list[int] = []
    for i, point in enumerate(doc["trace"], start=1):
        if point.__class__ is list and len(point) >= MIN_POINT_LEN:
            points.append(point)
            records.append(i)
        else:
            rejects.append(
                Reject("trace point is not a list of 8+ values", i, raw=repr(point)[:300])
            )
    n = len(points)
    cols = list(itertools.zip_longest(*points)) if n else [()] * 14
    cols += [(None,) * n] * (14 - len(cols))
    dt, lat, lon, alt, gs, track, flags_raw, vrate, objs, ptype, alt_geom, geom_rate = cols[:12]
    flags = pa.array([f if f.__class__ is int else 0 for f in flags_raw], type=pa.int64())
    new_leg = _flag(flags, FLAG_NEW_LEG)
    alt_num = pa.array(_numbers(alt), type=pa.float64())
    alt_is_geom = _flag(flags, FLAG_ALT_GEOM)
    types = pa.array([t if t.__class__ is str else None for t in ptype], type=pa.string())
    types = pc.coalesce(types, _obj_field(objs, "type", new_leg.to_pylist()))
    icao = doc["icao"].strip().lower()
    columns = {
        "time": dt,
        "icao24": pa.array([icao] * n, type=pa.string()),
        "callsign": _obj_field(objs, "flight", new_leg.to_pylist()),
        "squawk": _obj_field(objs, "squawk", new_leg.to_pylist()),
        "lat": lat,
        "lon": lon,
        "alt_baro_ft": pc.round(pc.if_else(alt_is_geom, None, alt_num)),
        "alt_geom_ft": pc.round(
            pc.coalesce(
                pa.array(_numbers(alt_geom), pa.float64()), pc.if_else(alt_is_geom, alt_num, None)
            )
        ),
        "gs_kt": _numbers(gs),
        "track_deg": _numbers(track),
        "vrate_fpm": pc.coalesce(
            pa.array(_numbers(vrate), pa.float64()), pa.array(_numbers(geom_rate), pa.float64())
        ),
        "on_ground": pa.array([a == "ground" for a in alt], type=pa.bool_()),
        "pos_source": map_vocabulary(types, READSB_TYPES, "other"),
        "new_leg": new_leg,
        "stale": _flag(flags, FLAG_STALE),
    }
    return to_chunk(columns, records, options, rejects, time_offset=float(doc["timestamp"]))


def _empty() -> pa.Table:
    from basewatch.model import RAW_SCHEMA

    return RAW_SCHEMA.empty_table().append_column("record", pa.array([], pa.int64()))
