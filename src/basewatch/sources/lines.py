"""Streaming reads shared by the text and binary feed adapters: blocks and batches of lines.

Memory stays bounded on any file size; a truncated gzip ends the stream with one Reject.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from itertools import accumulate
from pathlib import Path

from basewatch.sources.base import GZIP_ERRORS, Blob, ReadOptions, Reject

BLOCK_BYTES = 1 << 16
BATCH_LINES = 100_000


def blocks(blob: Blob, size: int | None = None) -> Iterator[bytes | Reject]:
    """The content in blocks of ``size`` (default ``BLOCK_BYTES``) bytes; a gzip error yields
    a Reject and stops."""
    size = size or BLOCK_BYTES
    done = 0
    try:
        with blob.open() as fh:
            while piece := fh.read(size):
                done += len(piece)
                yield piece
    except GZIP_ERRORS as exc:
        yield Reject(f"corrupt or truncated gzip: {exc}", offset=done)


@dataclass
class LineBatch:
    """Consecutive lines (without their line ends) and where the first one starts."""

    first_line: int
    first_offset: int
    lines: list[str]

    @cached_property
    def offsets(self) -> list[int]:
        """Character offset of each line (byte offset for ASCII text)."""
        return list(
            accumulate((len(line) + 1 for line in self.lines[:-1]), initial=self.first_offset)
        )


def line_batches(blob: Blob, max_lines: int | None = None) -> Iterator[LineBatch | Reject]:
    """Lines in batches of at most ``max_lines`` (default ``BATCH_LINES``); undecodable UTF-8
    is replaced, not fatal."""
    max_lines = max_lines or BATCH_LINES
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    tail = ""
    line_no, offset = 1, 0
    pending: list[str] = []
    for block in blocks(blob):
        if isinstance(block, Reject):
            if pending or tail:
                yield LineBatch(line_no, offset, [*pending, tail] if tail else pending)
            yield block
            return
        parts = (tail + decoder.decode(block)).split("\n")
        tail = parts.pop()
        pending.extend(parts)
        while len(pending) >= max_lines:
            batch, pending = pending[:max_lines], pending[max_lines:]
            yield LineBatch(line_no, offset, batch)
            line_no += len(batch)
            offset += sum(len(line) + 1 for line in batch)
    tail += decoder.decode(b"", final=True)
    if tail:
        pending.append(tail)
    if pending:
        yield LineBatch(line_no, offset, pending)


def base_time(blob: Blob, options: ReadOptions) -> float:
    """Absolute time of a receiver clock's first tick: the reference time, else the file's
    modification time, else now (stdin)."""
    if options.reference_time is not None:
        return options.reference_time.timestamp()
    path = Path(blob.path)
    if blob.path != "-" and path.is_file():
        return path.stat().st_mtime
    return (options.now or datetime.now(UTC)).timestamp()
