"""What every aircraft-database importer shares: the staged columns, pieces, and file reading.

An importer turns one database file (or a tar1090-db folder) into ``Piece``s: Arrow tables of
raw record columns with a ``record`` number each, plus the rows it could not parse. Validation
common to all formats (address, empty rows, duplicates) happens later, set-based, in ``loader``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.sources.base import GZIP_ERRORS, Blob, Reject

#: Rows per piece for streamed formats: memory stays bounded on 600,000-row databases.
BATCH_ROWS = 100_000

#: The fields of ``aircraft_records`` (and of the merged ``aircraft``), in table order.
FIELDS: tuple[str, ...] = (
    "registration",
    "type_code",
    "type_desc",
    "operator",
    "owner",
    "year",
    "military",
    "interesting",
    "pia",
    "ladd",
    "cmpg",
    "category",
    "tags",
    "link",
)
BOOL_FIELDS = frozenset({"military", "interesting", "pia", "ladd"})


def _field_type(name: str) -> pa.DataType:
    if name == "tags":
        return pa.list_(pa.string())
    return pa.bool_() if name in BOOL_FIELDS else pa.string()


#: What an importer hands over: the raw address and the fields, one row per database record.
STAGE_SCHEMA = pa.schema(
    [("record", pa.int64()), ("icao24", pa.string())]
    + [(name, _field_type(name)) for name in FIELDS]
)

_HEX_1_TO_5 = r"^[0-9A-Fa-f]{1,5}$"


@dataclass
class Piece:
    """Records read from one file (``path``: a chunk of a folder import names its own file)."""

    path: str
    table: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Unit:
    """One import: a database file, or a tar1090-db folder with its chunk files."""

    path: str
    blobs: list[Blob]
    folder: bool = False

    def sha256(self) -> str:
        """The file's SHA-256; for a folder, the SHA-256 of its chunk names and hashes."""
        if not self.folder and len(self.blobs) == 1:
            return self.blobs[0].sha256()
        digest = hashlib.sha256()
        for blob in sorted(self.blobs, key=lambda b: Path(b.path).name):
            digest.update(f"{Path(blob.path).name}\0{blob.sha256()}\n".encode())
        return digest.hexdigest()

    @property
    def size(self) -> int:
        """Bytes as stored, summed over the unit's files."""
        return sum(blob.size for blob in self.blobs)


class Importer(Protocol):
    """An aircraft-database format: recognised by content, read into pieces."""

    name: ClassVar[str]
    description: ClassVar[str]

    def sniff(self, head: bytes) -> bool:
        """True when ``head`` (the first 64 KiB of content, gunzipped) is this format."""
        ...

    def read(self, unit: Unit) -> Iterator[Piece]:
        """Yield pieces of records and rejects; never raise on bad content."""
        ...


def strings(values: Sequence[Any]) -> pa.Array:
    """A string column; numbers become their text, anything else non-string becomes null."""
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array(
            [
                v if isinstance(v, str) else str(v) if isinstance(v, int | float) else None
                for v in values
            ],
            type=pa.string(),
        )


def booleans(values: Sequence[Any]) -> pa.Array:
    """A boolean column; anything that is not a JSON boolean becomes null."""
    try:
        return pa.array(values, type=pa.bool_())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array([v if isinstance(v, bool) else None for v in values], type=pa.bool_())


def pad_short_hex(values: pa.Array) -> pa.Array:
    """Left-pad 1-5 digit hex addresses with zeros (a spreadsheet dropped the leading zeros)."""
    trimmed = pc.utf8_trim_whitespace(values)
    short = pc.match_substring_regex(trimmed, _HEX_1_TO_5)
    return pc.if_else(short, pc.utf8_lpad(trimmed, 6, "0"), values)


def join_words(first: Sequence[str | None], second: Sequence[str | None]) -> list[str | None]:
    """``manufacturer model`` descriptions; the model alone when it already names the maker."""
    out: list[str | None] = []
    for a, b in zip(first, second, strict=True):
        a = a.strip() if isinstance(a, str) else ""
        b = b.strip() if isinstance(b, str) else ""
        if a and b and not b.lower().startswith(a.lower()):
            out.append(f"{a} {b}")
        else:
            out.append(b or a or None)
    return out


def make_piece(
    path: str,
    columns: Mapping[str, Sequence[Any] | pa.Array],
    records: Sequence[int],
    rejects: list[Reject] | None = None,
) -> Piece:
    """A piece with the stage schema; columns not given are null."""
    n = len(records)
    arrays: list[pa.Array] = []
    for f in STAGE_SCHEMA:
        values = records if f.name == "record" else columns.get(f.name)
        if values is None:
            arrays.append(pa.nulls(n, f.type))
        elif isinstance(values, pa.Array):
            arrays.append(values.cast(f.type))
        elif f.type == pa.string():
            arrays.append(strings(values))
        elif f.type == pa.bool_():
            arrays.append(booleans(values))
        else:
            arrays.append(pa.array(values, type=f.type))
    return Piece(path, pa.Table.from_arrays(arrays, schema=STAGE_SCHEMA), rejects or [])


def snippet(value: object) -> str:
    """A bounded, printable copy of a bad record for the rejects table."""
    return repr(value)[:300]


class CsvRows:
    """CSV rows of a blob with their 1-based line numbers; bad rows and gzip errors become rejects.

    ``header()`` reads the first non-empty row; ``batches(width)`` then yields the rest as
    columns (``zip(*rows)``) in batches, rows of another width rejected. Lines of nothing but
    delimiters are not records.
    """

    def __init__(self, blob: Blob, **dialect: Any) -> None:
        self._fh = blob.open()
        text = io.TextIOWrapper(self._fh, encoding="utf-8", errors="replace", newline="")
        self._reader = csv.reader(text, **dialect)
        self._last = 0
        self._done = False
        self.rejects: list[Reject] = []

    def _read(self, limit: int) -> tuple[list[int], list[list[str]]]:
        """Up to ``limit`` rows and the line each starts on."""
        starts: list[int] = []
        rows: list[list[str]] = []
        reader, last = self._reader, self._last
        while len(rows) < limit and not self._done:
            try:
                for row in reader:
                    start, last = last + 1, reader.line_num
                    if row and any(row):
                        starts.append(start)
                        rows.append(row)
                        if len(rows) >= limit:
                            break
                else:
                    self._done = True
            except csv.Error as exc:
                last = reader.line_num
                self.rejects.append(Reject(f"unreadable CSV: {exc}", record=last))
            except GZIP_ERRORS as exc:
                self.rejects.append(Reject(f"corrupt or truncated gzip: {exc}", record=last + 1))
                self._done = True
        self._last = last
        return starts, rows

    def header(self) -> list[str] | None:
        """The first non-empty row (None for an empty file)."""
        rows = self._read(1)[1]
        return rows[0] if rows else None

    def batches(
        self, width: int | None
    ) -> Iterator[tuple[list[int], list[tuple[str, ...]], list[Reject]]]:
        """Columns of up to BATCH_ROWS rows, their line numbers, and the rows rejected meanwhile.

        ``width`` None: the first row's width.
        """
        try:
            while True:
                starts, rows = self._read(BATCH_ROWS)
                if rows:
                    width = width or len(rows[0])
                    if any(len(row) != width for row in rows):
                        starts, rows = self._keep_width(starts, rows, width)
                rejects, self.rejects = self.rejects, []
                if rows or rejects:
                    yield starts, list(zip(*rows, strict=True)) if rows else [], rejects
                if self._done:
                    return
        finally:
            self._fh.close()

    def _keep_width(
        self, starts: list[int], rows: list[list[str]], width: int
    ) -> tuple[list[int], list[list[str]]]:
        """The rows of ``width`` columns; the others become rejects."""
        for start, row in zip(starts, rows, strict=True):
            if len(row) != width:
                reason = f"wrong column count: {len(row)}, expected {width}"
                self.rejects.append(Reject(reason, record=start, raw=snippet(row)))
        keep = [i for i, row in enumerate(rows) if len(row) == width]
        return [starts[i] for i in keep], [rows[i] for i in keep]


def read_chunk_json(blob: Blob) -> tuple[Any, Reject | None]:
    """A whole (gzip) JSON file parsed; a corrupt gzip or invalid JSON is one reject."""
    data, error = blob.read_all()
    if error is not None:
        return None, error
    try:
        return orjson.loads(data), None
    except orjson.JSONDecodeError as exc:
        return None, Reject(f"invalid JSON: {exc}", raw=snippet(data[:200]))


def header_key(name: str) -> str:
    """A header name compared loosely: ``$#`` markers, BOM, quotes and case dropped."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "").strip().strip("$#'\" ")).lower()
