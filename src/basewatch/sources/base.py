"""What every adapter shares: the Source protocol, read options, rejects and the file handle.

An adapter sniffs content (never the file name) and yields ``Chunk``s: Arrow tables of the raw
canonical schema plus the records it had to reject, each with its number and a reason.
"""

from __future__ import annotations

import gc
import hashlib
import io
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Protocol, cast

import pyarrow as pa
from isal import igzip, igzip_lib, isal_zlib

#: Errors a gzip stream raises when it is truncated or corrupt (zlib's and ISA-L's).
GZIP_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    cast(type[BaseException], isal_zlib.error),
    cast(type[BaseException], igzip_lib.IsalError),
)

GZIP_MAGIC = b"\x1f\x8b"
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Reject:
    """One record an adapter could not accept, and why."""

    reason: str
    record: int | None = None
    offset: int | None = None
    raw: str | None = None


@dataclass
class Chunk:
    """A batch of raw canonical positions (with a ``record`` column), its rejects, and any
    registry fields the format carries."""

    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    #: Registry fields a format carries beside positions (readsb trace headers), one dict per
    #: aircraft with ``icao24`` and columns of ``aircraft_records``.
    aircraft: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ReadOptions:
    """Settings an adapter may need: reference position/time for Mode-S, a fixed address."""

    reference: tuple[float, float] | None = None
    reference_time: datetime | None = None
    icao24: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    now: datetime | None = None


class Blob:
    """One input: a file on disk or stdin's bytes, transparently gunzipped when it is gzip."""

    def __init__(self, path: str | Path, data: bytes | None = None) -> None:
        self.path = str(path)
        self._data = data
        self._sha256: str | None = None

    @classmethod
    def stdin(cls) -> Blob:
        """Read all of standard input (it cannot be re-read)."""
        return cls("-", sys.stdin.buffer.read())

    @property
    def in_memory(self) -> bool:
        """Bytes held in memory (stdin, a feed response): there is no path to reopen."""
        return self._data is not None

    @property
    def size(self) -> int:
        """Size in bytes as stored (compressed size for gzip files)."""
        return len(self._data) if self._data is not None else Path(self.path).stat().st_size

    def open_raw(self) -> BinaryIO:
        """The bytes as stored."""
        if self._data is not None:
            return io.BytesIO(self._data)
        return open(self.path, "rb")

    @property
    def is_gzip(self) -> bool:
        """True when the stored bytes start with the gzip magic number."""
        with self.open_raw() as fh:
            return fh.read(2) == GZIP_MAGIC

    def open(self) -> BinaryIO:
        """The content, decompressed when the stored bytes are gzip (readsb keeps `.json`)."""
        raw = self.open_raw()
        if raw.read(2) == GZIP_MAGIC:
            raw.seek(0)
            # ISA-L's gzip reader: the same stream as the gzip module, two to three times faster
            return igzip.IGzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value,no-untyped-call]
        raw.seek(0)
        return raw

    def head(self, n: int = HEAD_BYTES) -> bytes:
        """Up to ``n`` bytes of content for format sniffing; what decompresses before an error."""
        out = bytearray()
        try:
            with self.open() as fh:
                while len(out) < n:
                    piece = fh.read(min(4096, n - len(out)))
                    if not piece:
                        break
                    out += piece
        except GZIP_ERRORS:
            pass
        return bytes(out)

    def read_all(self) -> tuple[bytes, Reject | None]:
        """All content; on a truncated or corrupt gzip, what was readable plus a Reject."""
        out = bytearray()
        try:
            with self.open() as fh:
                while piece := fh.read(1 << 20):
                    out += piece
        except GZIP_ERRORS as exc:
            return bytes(out), Reject(f"corrupt or truncated gzip: {exc}", offset=len(out))
        return bytes(out), None

    def sha256(self) -> str:
        """SHA-256 of the bytes as stored: the identity of an ingest."""
        if self._sha256 is None:
            digest = hashlib.sha256()
            with self.open_raw() as fh:
                while piece := fh.read(1 << 20):
                    digest.update(piece)
            self._sha256 = digest.hexdigest()
        return self._sha256

    def __repr__(self) -> str:
        return f"Blob({self.path!r})"


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while parsing: JSON makes no cycles, and collections
    triggered by millions of fresh lists cost a quarter of the parse time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Source(Protocol):
    """A format adapter: recognises its format by content and reads it into chunks."""

    name: ClassVar[str]
    description: ClassVar[str]

    def sniff(self, head: bytes) -> bool:
        """True when ``head`` (the first bytes of content) looks like this format."""
        ...

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        """Yield chunks of positions and rejects; never raise on a bad record."""
        ...
