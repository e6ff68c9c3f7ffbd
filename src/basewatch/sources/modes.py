"""Raw Mode S / ADS-B captures: hex lines (``modes_hex``) and Beast binary (``beast``, port 30005).

Both hand frames to rs1090 (see ``modes_decode``). Receiver clocks are 12 MHz counters with no
date: their time is the reference time (default: the file's modification time, or now for
stdin) plus the ticks since the first frame; see ``CounterClock`` for restarts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import ClassVar, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.model import RAW_SCHEMA
from basewatch.sources import lines
from basewatch.sources.base import Blob, Chunk, ReadOptions, Reject
from basewatch.sources.lines import LineBatch, base_time, blocks, line_batches
from basewatch.sources.modes_decode import CounterClock, Frames, ModeSDecoder

log = logging.getLogger(__name__)

_HEXMSG = r"(?:[0-9A-Fa-f]{14}|[0-9A-Fa-f]{28})"
_TS = r"(?:\d+(?:\.\d*)?(?:\s*,\s*|\s+))"
_SNIFF = re.compile(
    rf'^{_TS}?"?(?:[*:]?{_HEXMSG}|[@%][0-9A-Fa-f]{{12}}{_HEXMSG}|<[0-9A-Fa-f]{{14}}{_HEXMSG})'
    r';?"?\s*(?:,.*)?$'
)
_LINE = (
    r'^\s*(?:(?P<ts>\d+(?:\.\d*)?)(?:\s*,\s*|\s+))?"?(?P<mark>[*:@%<]?)'
    r'(?P<body>[^;",\s]*);?"?\s*(?:,.*)?$'
)
_NULL_STR = pa.scalar(None, pa.string())
_COUNTER_MARKS = pa.array(["@", "%"])


class ModesHex:
    """Adapter for Mode S hex lines: ``TS,"HEX",…`` CSV, ``TS HEX``, ``*HEX;`` and ``@…;``.

    ``*HEX;`` is dump1090's raw output (port 30002), optionally after a Unix timestamp;
    ``@``/``%`` lines carry a 12-hex-digit 12 MHz counter and ``<`` lines a counter and a
    signal byte (dump1090 ``net_io.c`` decodeHexMessage). A line with no time at all gets
    ``options.reference_time`` or is rejected. Mode A/C replies (4 hex digits) are skipped.
    """

    name: ClassVar[str] = "modes_hex"
    description: ClassVar[str] = "Mode S hex lines (TIMESTAMP,HEX CSV, *HEX; raw, @counter raw)"

    def sniff(self, head: bytes) -> bool:
        rows = [s.strip() for s in head.decode("ascii", "replace").splitlines()[:21]]
        rows = [s for s in rows if s and not s.startswith("#")][:20]
        good = sum(1 for s in rows if _SNIFF.match(s))
        return good >= 1 and len(rows) - good <= max(1, len(rows) // 5)

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        decoder = ModeSDecoder(options)
        clock = CounterClock(base_time(blob, options))
        for batch in line_batches(blob):
            if isinstance(batch, Reject):
                yield Chunk(_empty(), [batch])
                break
            frames, rejects = _hex_frames(batch, clock, options)
            yield decoder.chunk(frames, rejects)
        _note_resets(blob, clock)


def _hex_frames(
    batch: LineBatch, clock: CounterClock, options: ReadOptions
) -> tuple[Frames, list[Reject]]:
    """Message hex and time of each line of a batch; lines that cannot give both are rejected."""
    frames, rejects = Frames(), []
    for i, (matched, counter_ok, msg, time) in _parse_lines(batch, clock, options):
        reason = (
            "not a Mode S hex line"
            if not matched
            else "timestamp counter is not 12 hex digits"
            if not counter_ok
            else "line has no timestamp: pass a reference time (--reference-time)"
            if time is None
            else None
        )
        record, offset, raw = batch.first_line + i, batch.offsets[i], batch.lines[i].strip()
        if reason or msg is None or time is None:
            why = reason or "not a Mode S hex line"
            rejects.append(Reject(why, record=record, offset=offset, raw=repr(raw)[:300]))
            continue
        frames.hex.append(msg)
        frames.time.append(time)
        frames.record.append(record)
        frames.offset.append(offset)
        frames.raw.append(repr(raw))
    return frames, rejects


def _parse_lines(
    batch: LineBatch, clock: CounterClock, options: ReadOptions
) -> Iterator[tuple[int, tuple[bool, bool, str | None, float | None]]]:
    """(index, (matched, counter ok, message hex, epoch seconds)) of each line not skipped."""
    text = pc.utf8_trim_whitespace(pa.array(batch.lines, pa.string()))
    parts = pc.extract_regex(text, _LINE)
    mark = pc.fill_null(pc.struct_field(parts, "mark"), "")
    body, stamp = pc.struct_field(parts, "body"), pc.struct_field(parts, "ts")
    skip = pc.or_(pc.equal(text, ""), pc.starts_with(text, "#"))
    if batch.first_line == 1 and not re.search(r"[0-9A-Fa-f]{14}", batch.lines[0]):
        skip = pa.array([True, *skip.to_pylist()[1:]])  # a CSV header
    head = pc.if_else(pc.equal(mark, "<"), 14, pc.if_else(pc.is_in(mark, _COUNTER_MARKS), 12, 0))
    message = pc.if_else(pc.equal(head, 0), body, pc.utf8_slice_codeunits(body, 12))
    message = pc.if_else(pc.equal(head, 14), pc.utf8_slice_codeunits(body, 14), message)
    skip = pc.or_(skip, pc.fill_null(pc.equal(pc.utf8_length(message), 4), False))  # Mode A/C
    counted = pc.and_(pc.greater(head, 0), pc.invert(skip))
    counter_ok = pc.match_substring_regex(body, "^[0-9A-Fa-f]{12}")
    times = pc.cast(pc.if_else(pc.equal(stamp, ""), _NULL_STR, stamp), pa.float64())
    times = _counter_times(times, body, pc.and_(counted, counter_ok), clock)
    if options.reference_time is not None:
        times = pc.fill_null(times, options.reference_time.timestamp())
    counter_fine = pc.or_(pc.invert(counted), pc.fill_null(counter_ok, False))
    values = zip(
        parts.is_valid().to_pylist(), counter_fine.to_pylist(), message.to_pylist(),
        times.to_pylist(), strict=True,
    )  # fmt: skip
    return ((i, v) for i, (s, v) in enumerate(zip(skip.to_pylist(), values, strict=True)) if not s)


def _counter_times(
    times: pa.Array, body: pa.Array, counted: pa.Array, clock: CounterClock
) -> pa.Array:
    """Fill the times of counter lines (``@``, ``%``, ``<``) without a Unix timestamp."""
    use = pc.and_(pc.fill_null(counted, False), pc.is_null(times))
    idx = np.flatnonzero(use.to_numpy(zero_copy_only=False))
    if not len(idx):
        return times
    text = body.take(pa.array(idx)).to_pylist()
    counters = np.array([int(t[:12], 16) for t in text], dtype=np.int64)
    filled = times.to_numpy(zero_copy_only=False).astype(np.float64)
    filled[idx] = clock.times(counters)
    return pa.array(filled, pa.float64(), mask=np.isnan(filled))


def _note_resets(blob: Blob, clock: CounterClock) -> None:
    if clock.resets:
        log.warning(
            "%s: the receiver clock went backwards %d time(s) (restart); each restart "
            "continues from the last time seen",
            blob.path,
            clock.resets,
        )


# --- Beast binary ----------------------------------------------------------------------------

#: A frame: 0x1a, the type, then (escaped) 6-byte counter, signal byte and 2/7/14/14 bytes.
_ESC = rb"(?:\x1a\x1a|[^\x1a])"
_FRAME = re.compile(rb"\x1a(?:1" + _ESC + rb"{9}|2" + _ESC + rb"{14}|[34]" + _ESC + rb"{21})")
_MAX_FRAME = 2 + 2 * 21


class BeastFrame(NamedTuple):
    """One Beast frame: where it starts, its type byte, 12 MHz counter, signal and message."""

    offset: int
    kind: int
    counter: int
    signal: int
    message: bytes


class BeastSplitter:
    """Splits a Beast byte stream fed in pieces into frames and skipped garbage runs."""

    def __init__(self) -> None:
        self.buf = b""
        self.offset = 0

    def feed(
        self, data: bytes, final: bool = False
    ) -> tuple[list[BeastFrame], list[tuple[int, bytes]]]:
        """Complete frames so far, and (offset, bytes) of garbage between them."""
        buf = self.buf + data
        limit = len(buf) if final else max(0, len(buf) - _MAX_FRAME)
        frames: list[BeastFrame] = []
        garbage: list[tuple[int, bytes]] = []
        pos = 0
        for m in _FRAME.finditer(buf):
            if m.start() >= limit:
                break
            if m.start() > pos:
                garbage.append((self.offset + pos, buf[pos : m.start()]))
            payload = m.group()[2:].replace(b"\x1a\x1a", b"\x1a")
            counter = int.from_bytes(payload[:6], "big")
            frames.append(BeastFrame(self.offset + m.start(), buf[m.start() + 1], counter,
                                     payload[6], payload[7:]))  # fmt: skip
            pos = m.end()
        cut = max(pos, limit)
        if cut > pos:
            garbage.append((self.offset + pos, buf[pos:cut]))
        self.buf, self.offset = buf[cut:], self.offset + cut
        return frames, garbage


def parse_beast(data: bytes) -> tuple[list[BeastFrame], list[tuple[int, bytes]]]:
    """All frames of a complete Beast capture and the garbage skipped between them."""
    return BeastSplitter().feed(data, final=True)


class Beast:
    """Adapter for Beast binary (dump1090/readsb port 30005; ``net_io.c`` decodeBinMessage).

    Frames are ``0x1a``, a type (``1`` Mode A/C, ``2`` Mode S short, ``3`` long, ``4``
    status), a 6-byte big-endian 12 MHz counter, a signal byte and the message; a ``0x1a``
    inside is doubled. Garbage is skipped to the next whole frame and rejected with its offset.
    Records are frame numbers; Mode A/C and status frames carry no position.
    """

    name: ClassVar[str] = "beast"
    description: ClassVar[str] = "Beast binary Mode S frames (dump1090/readsb port 30005)"

    def sniff(self, head: bytes) -> bool:
        first = _FRAME.match(head)
        if first is None:
            return False
        rest = head[first.end() : first.end() + 2]
        return not rest or (rest[0] == 0x1A and (len(rest) == 1 or rest[1] in b"12345"))

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        decoder = ModeSDecoder(options)
        clock = CounterClock(base_time(blob, options))
        splitter = BeastSplitter()
        counted = 0
        frames: list[BeastFrame] = []
        garbage: list[tuple[int, bytes]] = []
        for block in _blocks_then_end(blob):
            broken = block if isinstance(block, Reject) else None
            end = block is None or broken is not None
            more, junk = splitter.feed(block if isinstance(block, bytes) else b"", final=end)
            frames += more
            garbage += junk
            if end or len(frames) >= lines.BATCH_LINES:
                yield beast_chunk(frames, garbage, counted, clock, decoder, broken)
                counted += len(frames)
                frames, garbage = [], []
            if broken is not None:
                break
        _note_resets(blob, clock)


def _blocks_then_end(blob: Blob) -> Iterator[bytes | Reject | None]:
    yield from blocks(blob)
    yield None


def beast_chunk(
    frames: list[BeastFrame],
    garbage: list[tuple[int, bytes]],
    counted: int,
    clock: CounterClock,
    decoder: ModeSDecoder,
    broken: Reject | None,
) -> Chunk:
    rejects = [
        Reject(f"not a Beast frame: {len(junk)} bytes skipped", offset=at, raw=repr(junk[:60]))
        for at, junk in garbage
    ]
    if broken is not None:
        rejects.append(broken)
    modes = [(n, f) for n, f in enumerate(frames, start=counted + 1) if f.kind in b"23"]
    if not modes:
        return Chunk(_empty(), rejects)
    times = clock.times(np.array([f.counter for _, f in modes], dtype=np.int64))
    batch = Frames(
        hex=[f.message.hex() for _, f in modes],
        time=times.tolist(),
        record=[n for n, _ in modes],
        offset=[f.offset for _, f in modes],
        raw=[f.message.hex() for _, f in modes],
    )
    return decoder.chunk(batch, rejects)


def _empty() -> pa.Table:
    return RAW_SCHEMA.empty_table().append_column("record", pa.array([], pa.int64()))
