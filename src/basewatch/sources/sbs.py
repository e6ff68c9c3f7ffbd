"""SBS-1 / BaseStation text, as dump1090 and readsb serve it on port 30003 (``MSG,…`` lines).

Layout (dump1090 and readsb ``net_io.c``, modesSendSBSOutput), 22 comma-separated fields:
``MSG,type,session,aircraft,HEX,flight,date gen,time gen,date log,time log,callsign,altitude,
ground speed,track,lat,lon,vertical rate,squawk,alert,emergency,spi,on ground``. Only types 2
(surface) and 3 (airborne) carry positions; callsign (1), speed/track/rate (4), altitude (5, 7)
and squawk (6) are carried forward per aircraft onto later positions (at most 60 s old).
Times are the "generated" date and time read as UTC: readsb writes UTC (``gmtime_r``) but
dump1090 writes the receiver's local time (``localtime_r``), so dump1090 files from a receiver
not on UTC are offset by its UTC offset. An altitude or rate ending in ``H`` is GNSS
(``--gnss``). dump1090 never forwards MLAT over SBS, so positions are ``adsb``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from basewatch.model import RAW_SCHEMA
from basewatch.sources.base import Blob, Chunk, ReadOptions, Reject
from basewatch.sources.carry import CarryForward
from basewatch.sources.columns import to_chunk
from basewatch.sources.lines import LineBatch, line_batches

N_FIELDS = 22
#: Line kinds that carry no position: skipped silently.
NO_POSITION_KINDS = ("SEL", "ID", "AIR", "STA", "CLK")
#: Fields carried per aircraft from earlier messages onto positions.
CARRIED = ("callsign", "squawk", "gs_kt", "track_deg", "vrate_fpm", "alt_baro_ft", "alt_geom_ft")
_LINE = re.compile(r"^(MSG,[1-8]|SEL|ID|AIR|STA|CLK),")
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)$"
_CLOCK = r"^(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2}(?:\.\d*)?)$"
_NULL_STR = pa.scalar(None, pa.string())


class Sbs:
    """Adapter for SBS-1 BaseStation text (port 30003)."""

    name: ClassVar[str] = "sbs"
    description: ClassVar[str] = "SBS-1/BaseStation text (dump1090/readsb port 30003 MSG lines)"

    def sniff(self, head: bytes) -> bool:
        lines = [s.strip() for s in head.decode("ascii", "replace").splitlines()[:50]]
        lines = [s for s in lines if s]
        if not lines or not _LINE.match(lines[0]):
            return False
        good = sum(1 for s in lines if _LINE.match(s))
        return any(s.startswith("MSG,") for s in lines) and good >= 0.8 * len(lines)

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        carry = CarryForward(CARRIED, air_only=("alt_baro_ft", "alt_geom_ft"))
        for batch in line_batches(blob):
            if isinstance(batch, Reject):
                yield Chunk(empty_table(), [batch])
                return
            yield batch_chunk(batch, carry, options)


def _reason(reasons: pa.Array, mask: pa.Array, text: str) -> pa.Array:
    mask = pc.fill_null(mask, False)
    return pc.if_else(pc.and_(mask, pc.is_null(reasons)), text, reasons)


def _fields(lines: pa.Array) -> tuple[list[pa.Array], pa.Array]:
    """The 22 fields of every line (missing ones empty) and each line's real field count."""
    count = pc.list_value_length(pc.split_pattern(lines, ","))
    padded = pc.split_pattern(pc.binary_join_element_wise(lines, "," * N_FIELDS, ""), ",")
    return [pc.utf8_trim_whitespace(pc.list_element(padded, i)) for i in range(N_FIELDS)], count


def _number(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Float values (null when empty) and a mask of fields that are present but not numbers."""
    ok = pc.match_substring_regex(text, _NUMBER)
    values = pc.cast(pc.if_else(ok, text, _NULL_STR), pa.float64())
    return values, pc.and_(pc.not_equal(text, ""), pc.invert(ok))


def _times(date: pa.Array, clock: pa.Array) -> pa.Array:
    """Epoch seconds from ``YYYY/MM/DD`` and ``HH:MM:SS.fff``; null when either is malformed."""
    day = pc.strptime(
        pc.replace_substring(date, "-", "/"), format="%Y/%m/%d", unit="s", error_is_null=True
    )
    parts = pc.extract_regex(clock, _CLOCK)
    h, m, s = (pc.cast(pc.struct_field(parts, k), pa.float64()) for k in "hms")
    ok = pc.and_(pc.and_(pc.less(h, 24), pc.less(m, 60)), pc.less(s, 61))
    seconds = pc.add(pc.add(pc.multiply(h, 3600.0), pc.multiply(m, 60.0)), s)
    total = pc.add(pc.cast(pc.cast(day, pa.int64()), pa.float64()), seconds)
    return pc.if_else(pc.fill_null(ok, False), total, pa.scalar(None, pa.float64()))


def _blank(text: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(text, ""), _NULL_STR, text)


def batch_chunk(batch: LineBatch, carry: CarryForward, options: ReadOptions) -> Chunk:
    lines = pc.utf8_trim_whitespace(pa.array(batch.lines, pa.string()))
    f, count = _fields(lines)
    records = pa.array(range(batch.first_line, batch.first_line + len(batch.lines)), pa.int64())
    skip = pc.or_(pc.is_in(f[0], pa.array(NO_POSITION_KINDS)), pc.equal(lines, ""))
    is_msg = pc.equal(f[0], "MSG")
    msg_type, time, reasons = _check_lines(f, count, pc.invert(pc.or_(is_msg, skip)))
    cols, reasons = _values(f, reasons)
    reasons = pc.if_else(skip, _NULL_STR, reasons)
    rejects = _rejects(batch, reasons, records)
    has_pos = pc.or_(pc.is_valid(cols["lat"]), pc.is_valid(cols["lon"]))
    is_pos = pc.and_(pc.is_in(msg_type, pa.array([2, 3], pa.int8())), has_pos)
    on_ground = pc.if_else(pc.equal(msg_type, 2), True, cols.pop("on_ground"))
    messages = pa.table(
        {"icao24": pc.utf8_lower(f[4]), "time": time, "seq": records, "is_pos": is_pos}
        | {"on_ground": on_ground}
        | cols
    ).filter(pc.and_(is_msg, pc.is_null(reasons)))
    positions = carry.apply(messages)
    columns = {name: positions[name] for name in positions.column_names if name != "seq"}
    columns["pos_source"] = pa.array(["adsb"] * positions.num_rows, pa.string())
    chunk = to_chunk(columns, positions["seq"], options, rejects)
    chunk.rejects = [_with_offset(r, batch) for r in chunk.rejects]
    return chunk


def _check_lines(
    f: list[pa.Array], count: pa.Array, not_sbs: pa.Array
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Transmission type, time (epoch seconds) and the first reason to reject each line."""
    reasons = pa.nulls(len(count), pa.string())
    reasons = _reason(reasons, not_sbs, "not an SBS line (MSG, SEL, ID, AIR, STA or CLK)")
    short = pc.less(count, N_FIELDS)
    reasons = _reason(reasons, short, f"MSG line has fewer than {N_FIELDS} fields")
    digit = pc.match_substring_regex(f[1], "^[1-8]$")
    msg_type = pc.cast(pc.if_else(digit, f[1], _NULL_STR), pa.int8())
    reasons = _reason(reasons, pc.is_null(msg_type), "MSG transmission type is not 1-8")
    bad_hex = pc.invert(pc.match_substring_regex(pc.utf8_lower(f[4]), r"^~?[0-9a-f]{6}$"))
    reasons = _reason(reasons, bad_hex, "address is not 6 hex digits")
    time = _times(f[6], f[7])
    reasons = _reason(reasons, pc.is_null(time), "date/time generated is not YYYY/MM/DD HH:MM:SS")
    return msg_type, time, reasons


def _with_offset(reject: Reject, batch: LineBatch) -> Reject:
    """Give a reject raised by validation the byte offset of its line."""
    if reject.offset is not None or reject.record is None:
        return reject
    return replace(reject, offset=batch.offsets[reject.record - batch.first_line])


def _values(f: list[pa.Array], reasons: pa.Array) -> tuple[dict[str, pa.Array], pa.Array]:
    """Typed value columns of a batch; a present but non-numeric number rejects its line."""
    alt_text = f[11]
    geom = pc.ends_with(alt_text, "H")
    alt, bad = _number(pc.replace_substring_regex(alt_text, "H$", ""))
    reasons = _reason(reasons, bad, "altitude (field 12) is not a number")
    cols: dict[str, pa.Array] = {
        "alt_baro_ft": pc.round(pc.if_else(geom, pa.scalar(None, pa.float64()), alt)),
        "alt_geom_ft": pc.round(pc.if_else(geom, alt, pa.scalar(None, pa.float64()))),
    }
    for name, index, what in (
        ("gs_kt", 12, "ground speed (field 13)"),
        ("track_deg", 13, "track (field 14)"),
        ("lat", 14, "latitude (field 15)"),
        ("lon", 15, "longitude (field 16)"),
        ("vrate_fpm", 16, "vertical rate (field 17)"),
    ):
        cols[name], bad = _number(pc.replace_substring_regex(f[index], "H$", ""))
        reasons = _reason(reasons, bad, f"{what} is not a number")
    cols["callsign"] = _blank(f[10])
    cols["squawk"] = _blank(f[17])
    ground = f[21]
    cols["on_ground"] = pc.if_else(
        pc.is_in(ground, pa.array(["-1", "1"])),
        True,
        pc.if_else(pc.equal(ground, "0"), False, pa.scalar(None, pa.bool_())),
    )
    return cols, reasons


def _rejects(batch: LineBatch, reasons: pa.Array, records: pa.Array) -> list[Reject]:
    bad = pc.is_valid(reasons)
    if not pc.any(bad).as_py():
        return []
    idx = pc.indices_nonzero(bad).to_pylist()
    why = reasons.take(pa.array(idx)).to_pylist()
    offsets = batch.offsets
    return [
        Reject(
            w, record=records[i].as_py(), offset=offsets[i], raw=repr(batch.lines[i].rstrip())[:300]
        )
        for i, w in zip(idx, why, strict=True)
    ]


def empty_table() -> pa.Table:
    return RAW_SCHEMA.empty_table().append_column("record", pa.array([], pa.int64()))
