"""Cutting a TCP byte stream into whole messages: SBS lines, Beast frames (0x1a-escaped).

A framer keeps the unfinished tail between reads; ``cut`` drops it when the connection does
(it is counted as malformed: a message cut by a drop never reaches the store).
"""

from __future__ import annotations

import re

#: An SBS line longer than this without a newline is garbage.
MAX_LINE = 4096
#: Beast payload bytes after the type (6-byte counter, signal, message), per type byte.
BEAST_PAYLOAD = {ord("1"): 9, ord("2"): 14, ord("3"): 21, ord("4"): 21}
_ESC = rb"(?:\x1a\x1a|[^\x1a])"
_FRAME = re.compile(rb"\x1a(?:1" + _ESC + rb"{9}|2" + _ESC + rb"{14}|[34]" + _ESC + rb"{21})")
#: The start of a frame that more bytes may complete (a trailing 0x1a may open an escape).
_PREFIX = re.compile(rb"\x1a([1-4])(" + _ESC + rb"*)\x1a?\Z")


class LineFramer:
    """SBS text: complete lines (their ``\\r\\n`` kept); heartbeat blank lines dropped."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self.pending = b""

    def feed(self, data: bytes) -> tuple[list[bytes], int]:
        """Complete lines so far, and how many were malformed (overlong garbage)."""
        *lines, self.pending = (self.pending + data).split(b"\n")
        bad = 0
        if len(self.pending) > self.max_line:
            bad, self.pending = 1, b""
        whole = [line + b"\n" for line in lines if line.strip()]
        long = [line for line in whole if len(line) > self.max_line]
        if long:
            bad += len(long)
            whole = [line for line in whole if len(line) <= self.max_line]
        return whole, bad

    def cut(self) -> int:
        """The connection dropped: discard a partial line; 1 if there was one."""
        bad = 1 if self.pending.strip() else 0
        self.pending = b""
        return bad


class BeastFramer:
    """Beast binary: whole frames of type 1–4, bytes as sent (escapes kept, so a run of frames
    is itself valid Beast). Unknown frame types are skipped; a frame broken by an unescaped
    0x1a (corruption) is malformed."""

    def __init__(self) -> None:
        self.pending = b""

    def feed(self, data: bytes) -> tuple[list[bytes], int]:
        """Complete frames so far, and how many broken frames were skipped."""
        buf = self.pending + data
        self.pending = b""
        frames: list[bytes] = []
        bad, pos, end = 0, 0, len(buf)
        while pos < end:
            start = buf.find(b"\x1a", pos)
            if start < 0:
                break
            frame = _FRAME.match(buf, start)
            if frame is not None:
                frames.append(frame.group())
                pos = frame.end()
                continue
            if start + 1 == end or _incomplete(buf, start):
                self.pending = buf[start:]  # more bytes will finish it
                break
            if buf[start + 1] in BEAST_PAYLOAD:
                bad += 1  # a known type whose payload holds a lone 0x1a: broken
            pos = start + 1
        return frames, bad

    def cut(self) -> int:
        """The connection dropped: discard a partial frame; 1 if there was one."""
        bad = 1 if self.pending else 0
        self.pending = b""
        return bad


def _incomplete(buf: bytes, start: int) -> bool:
    """True when the frame starting at ``start`` is shorter than its type needs."""
    match = _PREFIX.match(buf, start)
    if match is None:
        return False
    need = BEAST_PAYLOAD[match.group(1)[0]]
    return len(match.group(2).replace(b"\x1a\x1a", b"\x1a")) < need
