"""OpenSky Network aircraft database CSV (aircraftDatabase.csv, aircraft-database-complete-*).

The older file has a lower-case header (``icao24,registration,manufacturericao,manufacturername,
model,typecode,serialnumber,…,owner,…,built,…,categoryDescription``) and double quotes; newer
ones use camelCase names (``manufacturerName``, ``serialNumber``) and quote every field with single
quotes. Columns are matched by name, case-insensitively, the quote character taken from the header.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa

from basewatch.identify.registry.base import (
    CsvRows,
    Piece,
    Unit,
    header_key,
    join_words,
    make_piece,
    pad_short_hex,
)

_COLUMNS = {
    "icao24": "icao24",
    "registration": "registration",
    "typecode": "type_code",
    "operator": "operator",
    "owner": "owner",
}
_YEAR = re.compile(r"^\s*(\d{4})")


def _quote(head: bytes) -> str:
    return "'" if head.lstrip(b"\xef\xbb\xbf \t").startswith(b"'") else '"'


def _header(head: bytes) -> list[str]:
    line = head.decode("utf-8", "replace").splitlines()[:1]
    if not line:
        return []
    return [header_key(n) for n in next(csv.reader(io.StringIO(line[0]), quotechar=_quote(head)))]


def _piece(
    path: str, names: list[str], records: list[int], columns: list[tuple[str, ...]]
) -> Piece:
    if not records:
        return make_piece(path, {}, [])
    by_name = dict(zip(names, columns, strict=True))
    out: dict[str, Any] = {
        field: by_name[name] for name, field in _COLUMNS.items() if name in by_name
    }
    out["icao24"] = pad_short_hex(pa.array(out.get("icao24", [None] * len(records)), pa.string()))
    none = [None] * len(records)
    out["type_desc"] = join_words(by_name.get("manufacturername", none), by_name.get("model", none))
    if "built" in by_name:
        out["year"] = [m[1] if (m := _YEAR.match(b)) else None for b in by_name["built"]]
    return make_piece(path, out, records)


class OpenSkyAircraft:
    """Importer for the OpenSky aircraft metadata CSV (both header styles, both quotings)."""

    name: ClassVar[str] = "opensky_aircraft"
    description: ClassVar[str] = "OpenSky aircraftDatabase.csv / aircraft-database-complete CSV"

    def sniff(self, head: bytes) -> bool:
        names = set(_header(head))
        return {"icao24", "registration", "typecode"} <= names

    def read(self, unit: Unit) -> Iterator[Piece]:
        blob = unit.blobs[0]
        rows = CsvRows(blob, quotechar=_quote(blob.head(64)))
        names = [header_key(n) for n in rows.header() or []]
        for records, columns, rejects in rows.batches(len(names) or None):
            piece = _piece(blob.path, names, records, columns)
            piece.rejects += rejects
            yield piece
