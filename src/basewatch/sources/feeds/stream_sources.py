"""The SBS and Beast adapters for a stream handed over in pieces: the state a file read keeps
from start to end (carried callsigns and altitudes, CPR pairs, the receiver clock) is kept from
one poll's piece to the next, so a stream read in pieces gives what one read of it would.

They read the same bytes as ``sbs``/``beast`` files and carry the same format names (the
``ingests`` rows say ``sbs``/``beast``). Each instance serves one stream, in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from basewatch.sources import sbs
from basewatch.sources.base import Blob, Chunk, ReadOptions, Reject
from basewatch.sources.carry import CarryForward
from basewatch.sources.lines import line_batches
from basewatch.sources.modes import Beast, beast_chunk, parse_beast
from basewatch.sources.modes_decode import CounterClock, ModeSDecoder

# Workaround until sbs.py and modes.py expose these (proposed in the feeds report):
# ``sbs.batch_chunk``/``sbs.empty_table`` and ``modes.beast_chunk`` read one batch with
# caller-held state.


class SbsStream:
    """SBS lines of one stream; values carried per aircraft across pieces (at most 60 s old)."""

    name: ClassVar[str] = "sbs"
    description: ClassVar[str] = sbs.Sbs.description

    def __init__(self) -> None:
        self.carry = CarryForward(sbs.CARRIED, air_only=("alt_baro_ft", "alt_geom_ft"))

    def sniff(self, head: bytes) -> bool:
        return sbs.Sbs().sniff(head)

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        for batch in line_batches(blob):
            if isinstance(batch, Reject):  # only a gzip error, which stream bytes never are
                yield Chunk(sbs.empty_table(), [batch])
                return
            yield sbs.batch_chunk(batch, self.carry, options)


class BeastStream:
    """Beast frames of one connection: the 12 MHz counter of its first frame is ``base_time``
    (when that frame arrived) and later frames are timed by counter ticks from it."""

    name: ClassVar[str] = "beast"
    description: ClassVar[str] = Beast.description

    def __init__(self, base_time: datetime, reference: tuple[float, float] | None = None) -> None:
        self.base_time = base_time
        self.reference = reference
        self.clock = CounterClock(base_time.timestamp())
        self.decoder: ModeSDecoder | None = None
        self.frames_read = 0

    def sniff(self, head: bytes) -> bool:
        return Beast().sniff(head)

    def options(self, options: ReadOptions) -> ReadOptions:
        """The read options with this stream's reference time and receiver position."""
        return replace(
            options,
            reference=self.reference or options.reference,
            reference_time=self.base_time,
        )

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        merged = self.options(options)
        if self.decoder is None:
            self.decoder = ModeSDecoder(merged)
        self.decoder.options = merged
        data, broken = blob.read_all()
        frames, garbage = parse_beast(data)
        yield beast_chunk(frames, garbage, self.frames_read, self.clock, self.decoder, broken)
        self.frames_read += len(frames)
