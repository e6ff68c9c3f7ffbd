"""tar1090-db: the ``db/`` folder of gzip JSON chunks keyed by address prefix, and aircraft.csv.gz.

Chunks (wiedehopf/tar1090-db ``toJson.py`` ``writedb``; read by wiedehopf/tar1090
``html/dbloader.js``): file ``<PREFIX>.js`` (gzip JSON despite the name) maps the rest of the
upper-case hex to ``[registration, type, flags, description]``; a chunk too big is split and
lists the sub-chunks holding longer prefixes in ``"children"``. Flags: char 0 military,
1 interesting, 2 PIA, 3 LADD (trailing ``00`` dropped, so missing characters are 0).
A folder import starts at the root chunks ``0.js``..``F.js`` and follows ``children`` as
dbloader.js does. A single chunk file can be imported alone: its content is recognised as a
chunk and its file name stem supplies the prefix (the one use of a file name in detection).
``aircraft.csv``: ``icao;reg;type;flags;desc;year;ownOp;`` (toJson.py, Python csv writer with
``;``, QUOTE_NONE and ``\\`` escapes), no header.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from basewatch.errors import FormatError
from basewatch.identify.registry.base import (
    CsvRows,
    Piece,
    Unit,
    make_piece,
    read_chunk_json,
    snippet,
)
from basewatch.sources.base import Blob, Reject

_CHUNK_START = re.compile(rb'\s*\{\s*"(?:[0-9A-Fa-f]{1,6}|children)"\s*:\s*\[')
_FIELD = rb"(?:[^;\\\n]|\\.)*"  # a field: no delimiter, or an escaped one
_CSV_LINE = re.compile(rb"[0-9A-Fa-f]{6};" + _FIELD + b";" + _FIELD + rb";[01]*;", re.DOTALL)
#: A chunk file name: its hex prefix, ``.js`` (current) or ``.json`` (older tar1090), maybe ``.gz``.
CHUNK_NAME = re.compile(r"^([0-9A-Fa-f]{1,5})\.(?:js|json)(?:\.gz)?$")
_FLAG_NAMES = ("military", "interesting", "pia", "ladd")
_CSV_MIN_WIDTH = 5


def is_chunk(head: bytes) -> bool:
    """True when the content starts like a chunk: an object of address keys to lists."""
    return bool(_CHUNK_START.match(head))


def chunk_prefix(path: str) -> str | None:
    """The upper-case hex prefix a chunk file name stands for, or None."""
    match = CHUNK_NAME.match(Path(path).name)
    return match[1].upper() if match else None


def chunk_files(folder: Path) -> dict[str, Path]:
    """The chunk files of a tar1090-db folder by prefix (``.js`` preferred over ``.json``)."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir(), key=lambda p: (len(p.suffixes), p.name)):
        prefix = chunk_prefix(path.name)
        if prefix is not None and path.is_file():
            found.setdefault(prefix, path)
    return found


def is_chunk_folder(folder: Path) -> bool:
    """True when the folder holds at least one root chunk (``0.js`` .. ``F.js``)."""
    return any(len(prefix) == 1 for prefix in chunk_files(folder))


def flag_columns(flags: pa.Array) -> dict[str, pa.Array]:
    """military/interesting/pia/ladd from the flags strings; null where there are no flags."""
    present = pc.greater(pc.utf8_length(flags), 0)
    return {
        name: pc.if_else(present, pc.equal(pc.utf8_slice_codeunits(flags, i, i + 1), "1"), None)
        for i, name in enumerate(_FLAG_NAMES)
    }


def _entries(prefix: str, data: dict[str, Any]) -> tuple[dict[str, Any], list[int], list[Reject]]:
    """Columns of a chunk's entries (record = position of the key in the chunk)."""
    keys = list(data)
    values = list(data.values())
    good = [
        i
        for i, v in enumerate(values)
        if v.__class__ is list and len(v) >= 3 and keys[i] != "children"
    ]
    rejects = [
        Reject(
            "entry not [registration, type, flags, description]",
            record=i + 1,
            raw=snippet({keys[i]: values[i]}),
        )
        for i in sorted(set(range(len(values))) - set(good))
        if keys[i] != "children"
    ]
    rows = [values[i] for i in good]
    columns: dict[str, Any] = {
        "icao24": [prefix + keys[i] for i in good],
        "registration": [r[0] for r in rows],
        "type_code": [r[1] for r in rows],
        "type_desc": [r[3] if len(r) > 3 else None for r in rows],
    }
    flags = pa.array([r[2] if isinstance(r[2], str) else None for r in rows], pa.string())
    columns.update(flag_columns(flags))
    return columns, [i + 1 for i in good], rejects


def read_chunk(blob: Blob, prefix: str) -> tuple[Piece, list[str]]:
    """One chunk's records, and the children it lists."""
    data, error = read_chunk_json(blob)
    if error is not None:
        return make_piece(blob.path, {}, [], [error]), []
    if not isinstance(data, dict):
        reject = Reject("chunk is not a JSON object", raw=snippet(data))
        return make_piece(blob.path, {}, [], [reject]), []
    children = data.get("children")
    if not isinstance(children, list):
        children = []
    columns, records, rejects = _entries(prefix, data)
    return make_piece(blob.path, columns, records, rejects), [str(c) for c in children]


def _folder_pieces(unit: Unit) -> Iterator[Piece]:
    """Root chunks, then every sub-chunk named in a ``children`` list (as dbloader.js walks)."""
    files = chunk_files(Path(unit.path))
    queue = sorted(p for p in files if len(p) == 1)
    seen = set(queue)
    while queue:
        prefix = queue.pop(0)
        piece, children = read_chunk(Blob(files[prefix]), prefix)
        for child in children:
            name = child.upper()
            if name in files and name.startswith(prefix) and len(name) == len(prefix) + 1:
                if name not in seen:
                    seen.add(name)
                    queue.append(name)
                continue
            reason = f"missing chunk: {child!r} listed in the children of {prefix}"
            piece.rejects.append(Reject(reason, raw=snippet(children)))
        if not queue and (unread := sorted(set(files) - seen)):
            piece.notes.append(
                f"{len(unread)} chunk file(s) not reachable from the root chunks were not read: "
                + ", ".join(unread[:10])
            )
        yield piece


def _csv_pieces(blob: Blob) -> Iterator[Piece]:
    rows = CsvRows(blob, delimiter=";", quoting=csv.QUOTE_NONE, escapechar="\\")
    for records, columns, rejects in rows.batches(None):
        piece = _csv_piece(blob.path, records, columns)
        piece.rejects += rejects
        yield piece


def _csv_piece(path: str, records: list[int], columns: Sequence[tuple[str, ...]]) -> Piece:
    if not records:
        return make_piece(path, {}, [])
    if len(columns) < _CSV_MIN_WIDTH:
        reason = f"wrong column count: {len(columns)}, expected at least {_CSV_MIN_WIDTH}"
        rejects = [Reject(reason, record=r) for r in records]
        return make_piece(path, {}, [], rejects)
    out: dict[str, Any] = {
        "icao24": columns[0],
        "registration": columns[1],
        "type_code": columns[2],
        "type_desc": columns[4],
    }
    out.update(flag_columns(pa.array(columns[3], pa.string())))
    if len(columns) > 6:
        out["year"], out["operator"] = columns[5], columns[6]
    return make_piece(path, out, records)


class Tar1090Db:
    """Importer for tar1090-db: the chunk folder, a single chunk, or aircraft.csv(.gz)."""

    name: ClassVar[str] = "tar1090_db"
    description: ClassVar[str] = "tar1090-db db/ chunk folder or chunk, aircraft.csv.gz"

    def sniff(self, head: bytes) -> bool:
        return bool(_CHUNK_START.match(head) or _CSV_LINE.match(head))

    def read(self, unit: Unit) -> Iterator[Piece]:
        if unit.folder:
            yield from _folder_pieces(unit)
            return
        blob = unit.blobs[0]
        if is_chunk(blob.head()):
            prefix = chunk_prefix(blob.path)
            if prefix is None:
                raise FormatError(
                    f"{blob.path}: a tar1090-db chunk must be named by its hex prefix "
                    "(e.g. 3C6.js): the name supplies the first digits of every address"
                )
            piece, children = read_chunk(blob, prefix)
            if children:
                piece.notes.append(
                    f"sub-chunks not read (import the folder to follow them): {', '.join(children)}"
                )
            yield piece
        else:
            yield from _csv_pieces(blob)
