"""readsb aircraft objects (aircraft.json, ADSBx v2 API) to canonical columns, and their reader.

Shared by the ``aircraft_json`` and ``adsbx_v2`` adapters: the same objects (readsb README-json.md,
dump1090-fa README-json.md) in different envelopes, one snapshot per file or one per line.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.model import RAW_SCHEMA
from basewatch.sources.base import GZIP_ERRORS, Blob, Chunk, ReadOptions, Reject, no_gc
from basewatch.sources.columns import Column, to_chunk
from basewatch.sources.vocab import READSB_TYPES, map_vocabulary

#: A ``now`` above this is epoch milliseconds (ADSBx v2 API); below it, seconds (aircraft.json).
#: 1e11 s would be the year 5138 and 1e11 ms is 1973, so the two cannot be confused.
MS_THRESHOLD = 1e11
#: Yield a chunk once this many aircraft entries with a position have been gathered.
CHUNK_ROWS = 100_000
#: Times are clamped to +-this many seconds (year 33658), so microseconds fit in int64.
TIME_BOUND = 1e12
#: ``pos_source`` of a ``lastPosition``: ``type`` describes the current data, not that position.
LAST_POSITION_TYPE = "other"

_AIRCRAFT_LIST = re.compile(rb'"aircraft"\s*:\s*\[')
_AC_LIST = re.compile(rb'"ac"\s*:\s*(?:\[|null)')
_NOW_MS = re.compile(rb'"now"\s*:\s*\d{12}')
_SNAPSHOT_KEYS = ("ac", "aircraft")

Line: TypeAlias = tuple[int, int, bytes]


def is_api_v2_head(head: bytes) -> bool:
    """True for an ADSBx v2 API response (``"ac"`` list, or ``"aircraft"`` with ``now`` in ms)."""
    if head.lstrip()[:1] != b"{":
        return False
    if _AC_LIST.search(head):
        return True
    return _AIRCRAFT_LIST.search(head) is not None and _NOW_MS.search(head) is not None


def is_aircraft_json_head(head: bytes) -> bool:
    """True for an aircraft.json-style snapshot (``"aircraft"`` list, ``now`` in seconds)."""
    if head.lstrip()[:1] != b"{" or _AIRCRAFT_LIST.search(head) is None:
        return False
    return (b'"hex"' in head or b'"now"' in head) and not is_api_v2_head(head)


def empty_table() -> pa.Table:
    """A raw-canonical table with no rows (plus the ``record`` column chunks carry)."""
    return RAW_SCHEMA.empty_table().append_column("record", pa.array([], pa.int64()))


def snapshot_now(doc: dict[str, Any]) -> float | None:
    """The snapshot's ``now`` in epoch seconds, whichever unit it was written in."""
    now = doc.get("now")
    if now.__class__ not in (int, float) or not math.isfinite(now):
        return None
    return now / 1000.0 if now > MS_THRESHOLD else float(now)


def snapshot_entries(doc: Any) -> tuple[list[Any], float] | str:
    """The aircraft list and ``now`` (seconds) of one snapshot, or why it is not one."""
    if not isinstance(doc, dict):
        return "not an aircraft snapshot: top level is not an object"
    key = next((k for k in _SNAPSHOT_KEYS if k in doc), None)
    if key is None:
        msg = doc.get("msg")
        said = f" (server said {msg!r})" if isinstance(msg, str) and msg != "No error" else ""
        return f"not an aircraft snapshot: no 'ac' or 'aircraft' list{said}"
    entries = doc[key] if doc[key] is not None else []
    if not isinstance(entries, list):
        return f"not an aircraft snapshot: '{key}' is not a list"
    now = snapshot_now(doc)
    if now is None:
        return "not an aircraft snapshot: 'now' missing or not a number"
    return entries, now


def _position_view(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The entry itself when it has a position, its ``lastPosition`` as an entry, or None.

    A ``lastPosition`` keeps only address and callsign: altitude, speed and track in the entry
    are current values, not those of that older position. ``rr_lat``/``rr_lon`` (a rough
    receiver-derived guess) are never a position.
    """
    if entry.get("lat") is not None or entry.get("lon") is not None:
        return entry
    last = entry.get("lastPosition")
    if last.__class__ is not dict:
        return None
    return {
        "hex": entry.get("hex"),
        "flight": entry.get("flight"),
        "lat": last.get("lat"),
        "lon": last.get("lon"),
        "seen_pos": last.get("seen_pos"),
        "type": LAST_POSITION_TYPE,
    }


@dataclass
class SnapshotBatch:
    """Aircraft entries with a position gathered from snapshots, until they make a chunk.

    Records number every aircraft entry of the input in order (1-based, across snapshots);
    in a recording the byte offset of the entry's line goes with it.
    """

    entries: list[dict[str, Any]] = field(default_factory=list)
    now: list[float] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    offsets: list[int | None] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    counted: int = 0

    def add(self, doc: Any, offset: int | None = None, line: int | None = None) -> None:
        """Take the entries of one snapshot; a document that is no snapshot is one reject."""
        got = snapshot_entries(doc)
        if isinstance(got, str):
            where = f" (line {line})" if line is not None else ""
            self.rejects.append(Reject(got + where, offset=offset, raw=repr(doc)[:300]))
            return
        entries, now = got
        for entry in entries:
            self.counted += 1
            if entry.__class__ is not dict:
                reason = "aircraft entry is not an object"
                self.rejects.append(Reject(reason, self.counted, offset, repr(entry)[:300]))
                continue
            view = _position_view(entry)
            if view is not None:
                self.entries.append(view)
                self.now.append(now)
                self.records.append(self.counted)
                self.offsets.append(offset)

    def take_chunk(self, options: ReadOptions) -> Chunk:
        """The gathered positions as a validated chunk; the batch starts empty again."""
        columns = aircraft_columns(self.entries, self.now)
        chunk = to_chunk(columns, self.records, options, self.rejects)
        if chunk.rejects and any(o is not None for o in self.offsets):
            at = dict(zip(self.records, self.offsets, strict=True))
            chunk.rejects = [
                dataclasses.replace(r, offset=at[r.record])
                if r.offset is None and r.record in at
                else r
                for r in chunk.rejects
            ]
        self.entries, self.now, self.records, self.offsets, self.rejects = [], [], [], [], []
        return chunk


def _numbers(values: list[Any]) -> pa.Array:
    """Numbers as float64; anything else (``"ground"``, null, junk) as null."""
    return pa.array(
        [float(v) if v.__class__ in (int, float) else None for v in values], pa.float64()
    )


def _strings(values: list[Any]) -> pa.Array:
    return pa.array([v if v.__class__ is str else None for v in values], pa.string())


def _has_lat(fields: Any) -> bool:
    return fields.__class__ is list and "lat" in fields


def _pos_source(types: list[Any], mlat: list[Any], tisb: list[Any]) -> pa.Array:
    """``lat`` listed in ``mlat``/``tisb`` wins; else readsb ``type``; no ``type`` is ADS-B.

    dump1090-fa writes ``type`` only when it is not ``adsb_icao`` (net_io.c), and marks MLAT
    positions only through the ``mlat`` list.
    """
    kinds = pa.array(
        [t if t.__class__ is str else (None if t is None else "") for t in types], pa.string()
    )
    base = pc.if_else(pc.is_null(kinds), "adsb", map_vocabulary(kinds, READSB_TYPES, "other"))
    from_mlat = pa.array([_has_lat(m) for m in mlat], pa.bool_())
    from_tisb = pa.array([_has_lat(t) for t in tisb], pa.bool_())
    return pc.if_else(from_mlat, "mlat", pc.if_else(from_tisb, "tisb", base))


def aircraft_columns(entries: list[dict[str, Any]], now: list[float]) -> dict[str, Column]:
    """Canonical columns of readsb/dump1090 aircraft objects seen in snapshots taken at ``now``.

    Position time is ``now - seen_pos``, or ``now - seen`` when ``seen_pos`` is absent (reduced
    feeds). Old dump1090 names (``altitude``, ``speed``, ``vert_rate``) are read when the
    current ones are absent. Latitude, longitude and address pass as written so that wrong
    types become rejects.
    """

    def values(key: str, old: str | None = None) -> list[Any]:
        if old is None:
            return [e.get(key) for e in entries]
        return [e[key] if key in e else e.get(old) for e in entries]

    alt = values("alt_baro", "altitude")
    age = pc.coalesce(_numbers(values("seen_pos")), _numbers(values("seen")))
    time = pc.subtract(pa.array(now, pa.float64()), age)
    return {
        # absurd times stay absurd (and are rejected) but cannot overflow microseconds
        "time": pc.max_element_wise(pc.min_element_wise(time, TIME_BOUND), -TIME_BOUND),
        "icao24": values("hex"),
        "callsign": _strings(values("flight")),
        "lat": values("lat"),
        "lon": values("lon"),
        "alt_baro_ft": pc.round(_numbers(alt)),
        "alt_geom_ft": pc.round(_numbers(values("alt_geom"))),
        "gs_kt": _numbers(values("gs", "speed")),
        "track_deg": _numbers(values("track")),
        "vrate_fpm": pc.coalesce(
            _numbers(values("baro_rate")),
            _numbers(values("geom_rate")),
            _numbers(values("vert_rate")),
        ),
        "on_ground": _on_ground(alt),
        "squawk": _strings(values("squawk")),
        "pos_source": _pos_source(values("type"), values("mlat"), values("tisb")),
    }


def _on_ground(alt: list[Any]) -> pa.Array:
    """``"ground"`` is on the ground, a number airborne, anything else unknown."""
    return pa.array(
        [True if a == "ground" else (False if a.__class__ in (int, float) else None) for a in alt],
        pa.bool_(),
    )


def read_snapshots(
    blob: Blob, options: ReadOptions, chunk_rows: int = CHUNK_ROWS
) -> Iterator[Chunk]:
    """Chunks of a file holding one snapshot, or a recording of one snapshot per line.

    A recording (its first or second line is a whole snapshot) streams line by line, a chunk
    per ``chunk_rows`` positions; a bad line is one reject and the rest still counts.
    """
    lines = _lines(blob)
    first = list(itertools.islice(lines, 2))
    parsed = _is_recording(first)
    if parsed is not None:
        yield from _recording(itertools.chain(first, lines), options, chunk_rows, parsed)
        return
    lines.close()
    data, broken = blob.read_all()
    if broken is not None:
        yield Chunk(empty_table(), [broken])
        return
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        yield Chunk(empty_table(), [Reject(f"invalid JSON: {exc}", offset=exc.pos)])
        return
    batch = SnapshotBatch()
    batch.add(doc)
    yield batch.take_chunk(options)


def _lines(blob: Blob) -> Generator[Line | Reject, None, None]:
    """Non-blank lines as (number, byte offset, bytes); a read error ends them with a reject."""
    offset = 0
    try:
        with blob.open() as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    yield number, offset, line
                offset += len(line)
    except GZIP_ERRORS as exc:
        yield Reject(f"corrupt or truncated input: {exc}", offset=offset)


def _is_recording(first: list[Line | Reject]) -> dict[int, Any] | None:
    """The parsed first lines (by line number) when they are a recording of snapshots, else
    None; the parse is kept so that no line is decoded twice."""
    parsed: dict[int, Any] = {}
    recording = False
    for item in first:
        if isinstance(item, Reject):
            return None
        try:
            doc = orjson.loads(item[2])
        except orjson.JSONDecodeError:
            continue
        parsed[item[0]] = doc
        if isinstance(doc, dict) and any(k in doc for k in _SNAPSHOT_KEYS):
            recording = True
    return parsed if recording else None


def _recording(
    items: Iterable[Line | Reject],
    options: ReadOptions,
    chunk_rows: int,
    parsed: dict[int, Any] | None = None,
) -> Iterator[Chunk]:
    batch = SnapshotBatch()
    for item in items:
        if isinstance(item, Reject):
            batch.rejects.append(item)
            break
        number, offset, line = item
        with no_gc():
            try:
                doc = parsed.pop(number) if parsed and number in parsed else orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                reason = f"invalid JSON: line {number}: {exc}"
                batch.rejects.append(Reject(reason, offset=offset, raw=repr(line[:300])))
                continue
            batch.add(doc, offset=offset, line=number)
        if len(batch.entries) >= chunk_rows:
            yield batch.take_chunk(options)
    yield batch.take_chunk(options)
