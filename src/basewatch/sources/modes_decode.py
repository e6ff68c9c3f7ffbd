"""Mode S / ADS-B frames to canonical positions with the rs1090 decoder, for the hex and Beast
adapters: frames are checked first (hex, length, DF17/18 CRC) and what rs1090 drops is rejected.

rs1090 resolves CPR positions from odd/even pairs (and surface ones against the reference);
with a reference, a lone airborne frame is decoded locally against it. Callsign (BDS08), speed,
track and rate (BDS09), altitude (DF0/4/16/20) and squawk (DF5/21, BDS61) are carried forward.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import rs1090

from basewatch.sources.base import Chunk, ReadOptions, Reject
from basewatch.sources.carry import CarryForward
from basewatch.sources.columns import EARLIEST, FUTURE_SLACK, to_chunk

log = logging.getLogger(__name__)

CARRIED = ("callsign", "squawk", "gs_kt", "track_deg", "vrate_fpm", "alt_baro_ft", "alt_geom_ft")
#: Recent CPR frames per aircraft (this many seconds, at most so many) open the next batch.
CPR_KEEP_S = 30.0
CPR_KEEP_FRAMES = 16
TICKS_PER_S = 12e6
COUNTER_WRAP = 1 << 48
_WRAP_SLACK = int(TICKS_PER_S * 3600)
#: A lone frame decoded against the receiver is ambiguous beyond half a CPR cell (180 NM);
#: with receivers hearing up to 300 NM, only (360 - 300) NM around it is safe (as dump1090).
LOCAL_RANGE_KM = (360 - 300) * 1.852
_HEX = r"^([0-9a-f]{14}|[0-9a-f]{28})$"
_ALTITUDE_DFS = ("0", "4", "16", "20")
_SQUAWK_DFS = ("5", "21")
UNDECODABLE = "CRC check failed or undecodable"

#: rs1090's name of the DF18 control field (CF) → pos_source. CF as dump1090 mode_s.c reads
#: it: 0/1 ADS-B from non-transponder devices, 2/5 fine TIS-B, 6 ADS-R rebroadcast.
DF18_SOURCES = {
    "ADSB_ES_NT": "adsb",
    "ADSB_ES_NT_ALT": "adsb",
    "TISB_FINE": "tisb",
    "TISB_ADSB_RELAY": "tisb",
    "TISB_ADSB": "adsr",
}
#: CF 3 (coarse TIS-B: not the DF17 ME layout), 4 (management) and 7 (reserved) are not
#: decoded, as dump1090 does not: such frames are skipped, not rejected.
UNUSED_CF = (3, 4, 7)


def _crc_table() -> np.ndarray:
    table = np.zeros(256, np.uint32)
    for byte in range(256):
        crc = byte << 16
        for _ in range(8):
            crc = (crc << 1) ^ (0xFFF409 if crc & 0x800000 else 0)
        table[byte] = crc & 0xFFFFFF
    return table


_CRC_TABLE = _crc_table()


def crc_ok(data: np.ndarray) -> np.ndarray:
    """For long frames (rows of 14 bytes): does the Mode S CRC-24 (poly 0xFFF409) match?"""
    crc = np.zeros(len(data), np.uint32)
    for i in range(11):
        crc = ((crc << 8) & 0xFFFFFF) ^ _CRC_TABLE[((crc >> 16) ^ data[:, i]) & 0xFF]
    parity = (data[:, 11].astype(np.uint32) << 16) | (data[:, 12].astype(np.uint32) << 8)
    return np.asarray(crc == (parity | data[:, 13]), dtype=bool)


def non_icao(data: np.ndarray) -> np.ndarray:
    """DF18 frames whose AA field is not an ICAO address (CF and IMF bit, dump1090 mode_s.c)."""
    cf = data[:, 0] & 7
    me = data[:, 4:11]
    tc = me[:, 0] >> 3
    imf = np.where(
        ((tc >= 9) & (tc <= 18)) | ((tc >= 20) & (tc <= 22)),
        me[:, 0] & 1,
        np.where((tc >= 5) & (tc <= 8), (me[:, 2] >> 3) & 1, np.where(tc == 19, me[:, 1] >> 7, 0)),
    )
    coarse = (cf == 3) & (me[:, 0] >> 7 == 1)
    flagged = np.isin(cf, (1, 4, 5, 7)) | (np.isin(cf, (2, 6)) & (imf == 1)) | coarse
    return np.asarray(flagged, dtype=bool)


class CounterClock:
    """A 12 MHz receiver counter (Beast, ``@`` raw lines) as epoch seconds from a base time.

    A 48-bit wrap-around is unwrapped; a counter going backwards otherwise (a receiver restart)
    starts a new base at the last time seen, and is counted in ``resets``.
    """

    def __init__(self, base: float) -> None:
        self.base = base
        self.ticks = 0
        self.last: int | None = None
        self.resets = 0

    def times(self, counters: np.ndarray) -> np.ndarray:
        c = counters.astype(np.int64)
        if not len(c):
            return np.zeros(0)
        prev = np.concatenate(([c[0] if self.last is None else self.last], c[:-1]))
        step = c - prev
        wrapped = (step < 0) & (prev > COUNTER_WRAP - _WRAP_SLACK) & (c < _WRAP_SLACK)
        step = np.where(wrapped, step + COUNTER_WRAP, step)
        self.resets += int(np.count_nonzero(step < 0))
        ticks = self.ticks + np.cumsum(np.maximum(step, 0))
        self.ticks, self.last = int(ticks[-1]), int(c[-1])
        return np.asarray(self.base + ticks / TICKS_PER_S, dtype=np.float64)


@dataclass
class Frames:
    """A batch of raw frames to decode, with what a reject needs to point at each one."""

    hex: list[str] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    record: list[int] = field(default_factory=list)
    offset: list[int | None] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)

    def reject(self, i: int, reason: str) -> Reject:
        return Reject(reason, record=self.record[i], offset=self.offset[i], raw=self.raw[i][:300])


class ModeSDecoder:
    """Decodes successive batches of one input, keeping CPR and carried values across them."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self.carry = CarryForward(CARRIED, air_only=("alt_baro_ft", "alt_geom_ft"))
        self.cpr: dict[str, list[tuple[str, float]]] = {}

    def chunk(self, frames: Frames, rejects: list[Reject]) -> Chunk:
        """Positions of a batch; bad and undecodable frames become rejects."""
        ok, anonymous = self._check(frames, rejects)
        decoded = self._decode([frames.hex[i] for i in ok], [frames.time[i] for i in ok])
        rows: list[tuple[Any, ...]] = []
        for i, msg, anon in zip(ok, decoded, anonymous, strict=True):
            if msg is None:
                rejects.append(frames.reject(i, UNDECODABLE))
            elif (row := _row(msg, anon, frames.record[i])) is not None:
                rows.append(row)
        positions = self.carry.apply(_messages(rows))
        columns = {name: positions[name] for name in positions.column_names if name != "seq"}
        chunk = to_chunk(columns, positions["seq"], self.options, rejects)
        where = dict(zip(frames.record, frames.offset, strict=True))
        chunk.rejects = [
            replace(r, offset=where.get(r.record)) if r.offset is None and r.record else r
            for r in chunk.rejects
        ]
        return chunk

    def _check(self, frames: Frames, rejects: list[Reject]) -> tuple[list[int], list[bool]]:
        """Indices of well-formed frames (lowercased in place) and their non-ICAO flags."""
        text = pc.utf8_lower(pa.array(frames.hex, pa.string()))
        frames.hex = text.to_pylist()
        good = pc.fill_null(pc.match_substring_regex(text, _HEX), False).to_numpy(False)
        for i in np.flatnonzero(~good):
            rejects.append(frames.reject(int(i), "message is not 14 or 28 hex digits"))
        good &= self._plausible_times(frames, good, rejects)
        idx = np.flatnonzero(good)
        hexes = [frames.hex[i] for i in idx]
        df = np.frombuffer(bytes.fromhex("".join(h[:2] for h in hexes)), np.uint8) >> 3
        long = np.fromiter((len(h) == 28 for h in hexes), bool, len(hexes))
        fits = long == ((df & 0x10) != 0)
        anon, unused = np.zeros(len(idx), bool), np.zeros(len(idx), bool)
        squitter = long & np.isin(df, (17, 18))
        if squitter.any():
            data = np.frombuffer(
                bytes.fromhex("".join(hexes[i] for i in np.flatnonzero(squitter))), np.uint8
            ).reshape(-1, 14)
            fits[squitter] &= crc_ok(data)
            anon[squitter] = non_icao(data) & (df[squitter] == 18)
            unused[squitter] = (df[squitter] == 18) & np.isin(data[:, 0] & 7, UNUSED_CF)
        for k in np.flatnonzero(~fits):
            why = "CRC check failed" if squitter[k] else "length does not match downlink format"
            rejects.append(frames.reject(int(idx[k]), why))
        use = fits & ~unused
        return [int(i) for i in idx[use]], anon[use].tolist()

    def _plausible_times(
        self, frames: Frames, good: np.ndarray, rejects: list[Reject]
    ) -> np.ndarray:
        """Frames timed before 2000 or in the future are rejected before they are decoded."""
        t = np.asarray(frames.time, dtype=np.float64)
        now = self.options.now or datetime.now(UTC)
        early, late = t < EARLIEST.timestamp(), t > (now + FUTURE_SLACK).timestamp()
        for i in np.flatnonzero(good & (early | late)):
            why = "time before 2000" if early[i] else "time in the future"
            rejects.append(frames.reject(int(i), why))
        return np.asarray(~(early | late), dtype=bool)

    def _decode(self, hexes: list[str], times: list[float]) -> list[dict[str, Any] | None]:
        """rs1090 output per frame (None where it dropped one), after the kept CPR frames."""
        kept = sorted((f for frames in self.cpr.values() for f in frames), key=lambda f: f[1])
        all_hex = [h for h, _ in kept] + hexes
        all_time = [t for _, t in kept] + times
        try:
            out = rs1090.decode(all_hex, all_time, reference=self.options.reference)
        except BaseException as exc:  # a pyo3 PanicException is a BaseException
            if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                raise
            log.warning("rs1090 failed on a batch of %d frames: %s", len(all_hex), exc)
            return [None] * len(hexes)
        decoded = _align(all_hex, all_time, cast(list[dict[str, Any]], out or []))[len(kept) :]
        self._remember(decoded)
        if self.options.reference is not None:
            _local(decoded, self.options.reference)
        return decoded

    def _remember(self, decoded: Sequence[dict[str, Any] | None]) -> None:
        """Keep each aircraft's recent CPR frames: re-fed before the next batch, they rebuild
        rs1090's per-aircraft state (it cannot be handed over), so batches join up."""
        for msg in decoded:
            if msg is not None and "lat_cpr" in msg:
                recent = self.cpr.setdefault(msg["icao24"], [])
                recent.append((msg["frame"], msg["timestamp"]))
        newest = max((f[-1][1] for f in self.cpr.values()), default=0.0)
        kept: dict[str, list[tuple[str, float]]] = {}
        for icao, frames in self.cpr.items():
            last = frames[-1][1]
            if last >= newest - CPR_KEEP_S:
                kept[icao] = [f for f in frames[-CPR_KEEP_FRAMES:] if f[1] >= last - CPR_KEEP_S]
        self.cpr = kept


def _align(
    hexes: list[str], times: list[float], out: list[dict[str, Any]]
) -> list[dict[str, Any] | None]:
    """rs1090 keeps input order but drops frames: match its output back to the inputs."""
    result: list[dict[str, Any] | None] = [None] * len(hexes)
    j = 0
    for msg in out:
        while j < len(hexes) and (hexes[j] != msg.get("frame") or times[j] != msg["timestamp"]):
            j += 1
        if j == len(hexes):
            break
        result[j] = msg
        j += 1
    return result


def _local(decoded: list[dict[str, Any] | None], reference: tuple[float, float]) -> None:
    """Decode still-unresolved airborne frames one by one against the receiver's position,
    kept only within ``LOCAL_RANGE_KM`` of it (dump1090 ``track.c`` doLocalCPR)."""
    for msg in decoded:
        if msg is not None and msg.get("bds") == "05" and msg.get("latitude") is None:
            single = rs1090.decode(msg["frame"], reference=reference)
            lat, lon = single.get("latitude"), single.get("longitude")
            if lat is not None and lon is not None and _km(reference, lat, lon) <= LOCAL_RANGE_KM:
                msg["latitude"], msg["longitude"] = lat, lon


def _km(reference: tuple[float, float], lat: float, lon: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(reference[0]), math.radians(lat)
    dp, dl = p2 - p1, math.radians(lon - reference[1])
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def _row(msg: dict[str, Any], anonymous: bool, record: int) -> tuple[Any, ...] | None:
    """One message as a row of the carry table; None when it carries nothing we keep."""
    df, bds = msg.get("df"), msg.get("bds")
    lat, lon = msg.get("latitude"), msg.get("longitude")
    alt = msg.get("altitude") if df in _ALTITUDE_DFS or bds == "05" else None
    geom = bds == "05" and msg.get("source", "barometric") != "barometric"
    moving = bds in ("06", "09")
    values = (
        msg.get("callsign") if bds == "08" else None,
        msg.get("squawk") if df in _SQUAWK_DFS or bds == "61" else None,
        msg.get("groundspeed") if moving else None,
        msg.get("track") if moving else None,
        msg.get("vertical_rate") if bds == "09" else None,
        None if geom else alt,
        alt if geom else None,
    )
    is_pos = lat is not None and lon is not None
    if not is_pos and all(v is None for v in values):
        return None
    icao = ("~" if anonymous else "") + str(msg.get("icao24", ""))
    source = "adsb" if df == "17" else DF18_SOURCES.get(msg.get("tisb", ""), "tisb")
    ground = True if bds == "06" else (False if bds == "05" else None)
    return (icao, msg["timestamp"], record, is_pos, lat, lon, ground,
            source if df in ("17", "18") else "modes", *values)  # fmt: skip


_MESSAGE_SCHEMA = pa.schema(
    [
        ("icao24", pa.string()),
        ("time", pa.float64()),
        ("seq", pa.int64()),
        ("is_pos", pa.bool_()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("on_ground", pa.bool_()),
        ("pos_source", pa.string()),
        ("callsign", pa.string()),
        ("squawk", pa.string()),
        ("gs_kt", pa.float64()),
        ("track_deg", pa.float64()),
        ("vrate_fpm", pa.float64()),
        ("alt_baro_ft", pa.float64()),
        ("alt_geom_ft", pa.float64()),
    ]
)


def _messages(rows: list[tuple[Any, ...]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_MESSAGE_SCHEMA)
    arrays = [pa.array(col, type=f.type) for col, f in zip(columns, _MESSAGE_SCHEMA, strict=True)]
    table = pa.Table.from_arrays(arrays, schema=_MESSAGE_SCHEMA)
    for name in ("callsign", "squawk"):  # blanks must not hide an earlier value
        col = pc.utf8_trim_whitespace(table[name])
        blank = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        table = table.set_column(table.schema.get_field_index(name), name, blank)
    return table
