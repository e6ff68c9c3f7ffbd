"""readsb / tar1090 ``globe_history`` traces (``trace_full_*.json``, ``trace_recent_*.json``).

A trace is one aircraft: ``timestamp`` plus points ``[dt, lat, lon, alt|"ground", gs, track,
flags, vrate, aircraft_obj, type, alt_geom, geom_rate, ias, roll]`` (readsb README-json.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.sources.base import Blob, Chunk, ReadOptions, Reject, no_gc
from basewatch.sources.columns import to_chunk
from basewatch.sources.vocab import READSB_TYPES, map_vocabulary

FLAG_STALE = 1
FLAG_NEW_LEG = 2
FLAG_ALT_GEOM = 8
MIN_POINT_LEN = 8


def _obj_field(objs: tuple[Any, ...], present: list[int], key: str, legs: list[int]) -> pa.Array:
    """A field of the sparse aircraft objects, carried forward to later points of the same leg.

    An empty string at a new-leg point stops the carry (it is cleaned to null later).
    """
    values: list[str | None] = [None] * len(objs)
    for i in legs:
        values[i] = ""
    for i in present:
        value = objs[i].get(key) if objs[i].__class__ is dict else None
        if isinstance(value, str):
            values[i] = value
    return pc.fill_null_forward(pa.array(values, type=pa.string()))


def _floats(values: tuple[Any, ...]) -> pa.Array:
    """A float column; anything that is not a number (``"ground"``, junk) becomes null."""
    try:
        return pa.array(values, type=pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array(
            [v if v.__class__ in (int, float) else None for v in values], type=pa.float64()
        )


def _altitudes(alt: tuple[Any, ...]) -> tuple[pa.Array, pa.Array]:
    """Numeric altitudes and the on-ground mask of readsb's ``"ground"`` altitude."""
    ground = np.zeros(len(alt), dtype=bool)
    values = list(alt)
    start = 0
    for _ in range(alt.count("ground")):  # C-level scans, one Python step per ground point
        start = values.index("ground", start)
        ground[start] = True
        values[start] = None
        start += 1
    return _floats(tuple(values)), pa.array(ground)


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
        with no_gc():
            try:
                doc = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                yield Chunk(_empty(), [Reject(f"invalid JSON: {exc}", offset=exc.pos)])
                return
            problem = _check_doc(doc)
            chunk = Chunk(_empty(), [Reject(problem)]) if problem else _points_chunk(doc, options)
        if not problem:
            chunk.aircraft = _header(doc)
        yield chunk


def _header(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The registry fields readsb copied into the trace from its database (r, t, desc, ownOp,
    year, dbFlags: bit 0 military, 1 interesting, 2 PIA, 3 LADD), if any."""

    def text(key: str) -> str | None:
        value = doc.get(key)
        return str(value).strip() or None if isinstance(value, str | int) else None

    flags = doc.get("dbFlags")
    row: dict[str, Any] = {
        "registration": text("r"),
        "type_code": text("t"),
        "type_desc": text("desc"),
        "operator": text("ownOp"),
        "year": text("year"),
    }
    if isinstance(flags, int) and not isinstance(flags, bool):
        row.update(
            military=bool(flags & 1),
            interesting=bool(flags & 2),
            pia=bool(flags & 4),
            ladd=bool(flags & 8),
        )
    if not any(v is not None for v in row.values()):
        return []
    return [{"icao24": doc["icao"].strip().lower(), **row}]


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


def _well_shaped(trace: list[Any]) -> tuple[list[list[Any]], Any, list[Reject]]:
    """Points that are lists of 8+ values, their record numbers, and rejects for the rest."""
    if set(map(type, trace)) <= {list} and min(map(len, trace), default=99) >= MIN_POINT_LEN:
        return trace, range(1, len(trace) + 1), []
    points, records, rejects = [], [], []
    for i, point in enumerate(trace, start=1):
        if point.__class__ is list and len(point) >= MIN_POINT_LEN:
            points.append(point)
            records.append(i)
        else:
            rejects.append(
                Reject("trace point is not a list of 8+ values", i, raw=repr(point)[:300])
            )
    return points, records, rejects


def _points_chunk(doc: dict[str, Any], options: ReadOptions) -> Chunk:
    """Columns of all well-shaped points; malformed points become rejects."""
    points, records, rejects = _well_shaped(doc["trace"])
    n = len(points)
    cols = list(itertools.zip_longest(*points)) if n else [()] * 14
    cols += [(None,) * n] * (14 - len(cols))
    dt, lat, lon, alt, gs, track, flags_raw, vrate, objs, ptype, alt_geom, geom_rate = cols[:12]
    flags = pc.fill_null(pc.cast(_floats(flags_raw), pa.int64()), 0)
    new_leg = _flag(flags, FLAG_NEW_LEG)
    legs = pc.indices_nonzero(new_leg).to_pylist()
    present = [i for i, o in enumerate(objs) if o is not None]
    alt_num, on_ground = _altitudes(alt)
    alt_is_geom = _flag(flags, FLAG_ALT_GEOM)
    try:
        types = pa.array(ptype, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        types = pa.array([t if t.__class__ is str else None for t in ptype], type=pa.string())
    types = pc.coalesce(types, _obj_field(objs, present, "type", legs))
    icao = doc["icao"].strip().lower()
    columns = {
        "time": dt,
        "icao24": pa.array([icao] * n, type=pa.string()),
        "callsign": _obj_field(objs, present, "flight", legs),
        "squawk": _obj_field(objs, present, "squawk", legs),
        "lat": lat,
        "lon": lon,
        "alt_baro_ft": pc.round(pc.if_else(alt_is_geom, None, alt_num)),
        "alt_geom_ft": pc.round(
            pc.coalesce(_floats(alt_geom), pc.if_else(alt_is_geom, alt_num, None))
        ),
        "gs_kt": _floats(gs),
        "track_deg": _floats(track),
        "vrate_fpm": pc.coalesce(_floats(vrate), _floats(geom_rate)),
        "on_ground": on_ground,
        "pos_source": map_vocabulary(types, READSB_TYPES, "other"),
        "new_leg": new_leg,
        "stale": _flag(flags, FLAG_STALE),
    }
    return to_chunk(columns, records, options, rejects, time_offset=float(doc["timestamp"]))


def _empty() -> pa.Table:
    from basewatch.model import RAW_SCHEMA

    return RAW_SCHEMA.empty_table().append_column("record", pa.array([], pa.int64()))
