"""ADS-B Exchange ``basic-ac-db.json(.gz)``: one JSON object per line, streamed in batches.

Fields ``icao, reg, icaotype, year, manufacturer, model, ownop, faa_pia, faa_ladd, short_type,
mil`` (read by wiedehopf/tar1090-db ``toJson.py`` and nandortoth/aeromux-db
``src/aeromux_db/sources/adsbexchange.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import orjson

from basewatch.identify.registry.base import (
    BATCH_ROWS,
    Piece,
    Unit,
    join_words,
    make_piece,
    snippet,
)
from basewatch.sources.base import GZIP_ERRORS, Blob, Reject

#: JSON key → field, for the keys taken as they are.
_KEYS = {
    "icao": "icao24",
    "reg": "registration",
    "icaotype": "type_code",
    "year": "year",
    "ownop": "operator",
    "mil": "military",
    "faa_pia": "pia",
    "faa_ladd": "ladd",
}


def _parse(
    lines: list[bytes], numbers: list[int]
) -> tuple[list[dict[str, Any]], list[int], list[Reject]]:
    """The objects of a batch of lines; invalid lines become rejects."""
    try:  # fast path: the whole batch as one JSON array
        objs = orjson.loads(b"[" + b",".join(lines) + b"]")
        if all(o.__class__ is dict for o in objs):
            return objs, numbers, []
    except orjson.JSONDecodeError:
        pass
    good: list[dict[str, Any]] = []
    records: list[int] = []
    rejects: list[Reject] = []
    for number, line in zip(numbers, lines, strict=True):
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            rejects.append(Reject(f"invalid JSON: {exc}", record=number, raw=snippet(line)))
            continue
        if obj.__class__ is not dict:
            rejects.append(Reject("not a JSON object", record=number, raw=snippet(line)))
            continue
        good.append(obj)
        records.append(number)
    return good, records, rejects


def _piece(path: str, lines: list[bytes], numbers: list[int], extra: list[Reject]) -> Piece:
    objs, records, rejects = _parse(lines, numbers)
    columns: dict[str, Any] = {field: [o.get(key) for o in objs] for key, field in _KEYS.items()}
    columns["type_desc"] = join_words(
        [o.get("manufacturer") for o in objs], [o.get("model") for o in objs]
    )
    return make_piece(path, columns, records, rejects + extra)


def _batches(blob: Blob) -> Iterator[tuple[list[bytes], list[int], list[Reject]]]:
    """Non-blank lines in batches with their line numbers; a gzip error ends the last batch."""
    lines: list[bytes] = []
    numbers: list[int] = []
    number = 0
    try:
        with blob.open() as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    lines.append(line)
                    numbers.append(number)
                    if len(lines) >= BATCH_ROWS:
                        yield lines, numbers, []
                        lines, numbers = [], []
    except GZIP_ERRORS as exc:
        yield lines, numbers, [Reject(f"corrupt or truncated gzip: {exc}", record=number + 1)]
        return
    if lines:
        yield lines, numbers, []


class BasicAcDb:
    """Importer for the ADS-B Exchange basic aircraft database (JSON lines, plain or gzip)."""

    name: ClassVar[str] = "basic_ac_db"
    description: ClassVar[str] = "ADS-B Exchange basic-ac-db.json(.gz) JSON lines"

    def sniff(self, head: bytes) -> bool:
        first = head.lstrip().split(b"\n", 1)[0]
        try:
            obj = orjson.loads(first)
        except orjson.JSONDecodeError:
            return False
        return isinstance(obj, dict) and "icao" in obj and ("reg" in obj or "icaotype" in obj)

    def read(self, unit: Unit) -> Iterator[Piece]:
        blob = unit.blobs[0]
        for lines, numbers, rejects in _batches(blob):
            yield _piece(blob.path, lines, numbers, rejects)
