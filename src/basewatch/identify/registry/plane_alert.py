"""plane-alert-db CSV (sdr-enthusiasts/plane-alert-db): curated aircraft with Mil/Gov/Pol/Civ.

Header ``$ICAO,$Registration,$Operator,$Type,$ICAO Type,#CMPG,$Tag 1,$#Tag 2,$#Tag 3,Category,
$#Link`` (plus ``#ImageLink…`` in the ``-images`` files). Names vary across versions (``Ident``
for the registration in 2021, ``#$Tag 2``, a BOM): columns are matched by name with ``$``/``#``
and case dropped. ``#CMPG`` Mil means military.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from basewatch.identify.registry.base import (
    CsvRows,
    Piece,
    Unit,
    header_key,
    make_piece,
    pad_short_hex,
)

#: Loose header name → field; ``tag N`` columns become the ``tags`` list.
_COLUMNS = {
    "icao": "icao24",
    "registration": "registration",
    "ident": "registration",
    "operator": "operator",
    "type": "type_desc",
    "icao type": "type_code",
    "cmpg": "cmpg",
    "category": "category",
    "link": "link",
}


def _header(head: bytes) -> list[str]:
    line = head.decode("utf-8", "replace").splitlines()[:1]
    return [header_key(name) for name in next(csv.reader(io.StringIO(line[0])))] if line else []


def _piece(
    path: str, names: list[str], records: list[int], columns: list[tuple[str, ...]]
) -> Piece:
    if not records:
        return make_piece(path, {}, [])
    out: dict[str, Any] = {}
    tags: list[tuple[str, ...]] = []
    for name, values in zip(names, columns, strict=True):
        field = _COLUMNS.get(name)
        if field and field not in out:
            out[field] = values
        elif name.startswith("tag "):
            tags.append(values)
    out["icao24"] = pad_short_hex(pa.array(out.get("icao24", [None] * len(records)), pa.string()))
    if tags:
        out["tags"] = pa.array(list(zip(*tags, strict=True)), pa.list_(pa.string()))
    if "cmpg" in out:
        cmpg = pc.utf8_trim_whitespace(pa.array(out["cmpg"], pa.string()))
        present = pc.greater(pc.utf8_length(cmpg), 0)
        out["military"] = pc.if_else(present, pc.equal(pc.utf8_lower(cmpg), "mil"), None)
    return make_piece(path, out, records)


class PlaneAlert:
    """Importer for plane-alert-db CSV files (plane-alert-db.csv, -mil, -gov, -pol, -civ…)."""

    name: ClassVar[str] = "plane_alert"
    description: ClassVar[str] = "plane-alert-db CSV ($ICAO,$Registration,…,#CMPG,…,Category)"

    def sniff(self, head: bytes) -> bool:
        names = _header(head)
        return bool(names) and names[0] == "icao" and "cmpg" in names

    def read(self, unit: Unit) -> Iterator[Piece]:
        blob = unit.blobs[0]
        rows = CsvRows(blob)
        names = [header_key(n) for n in rows.header() or []]
        for records, columns, rejects in rows.batches(len(names) or None):
            piece = _piece(blob.path, names, records, columns)
            piece.rejects += rejects
            yield piece
