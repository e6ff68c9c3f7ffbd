"""Aircraft database importers: tar1090-db, plane-alert-db, ADS-B Exchange basic-ac-db, OpenSky.

``import_aircraft`` detects each input's format by content, imports it idempotently (by SHA-256)
in one transaction into ``aircraft_records`` (rejects with file, record and reason into
``aircraft_rejects``) and rebuilds the merged ``aircraft`` table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from basewatch.identify.registry.detect import IMPORTERS, detect, format_names, get_importer, plan
from basewatch.identify.registry.loader import ImportResult, load_unit
from basewatch.identify.registry.merge import rebuild_aircraft

if TYPE_CHECKING:
    from basewatch.store import Store

__all__ = [
    "IMPORTERS",
    "ImportResult",
    "detect",
    "format_names",
    "get_importer",
    "import_aircraft",
    "rebuild_aircraft",
]


def import_aircraft(store: Store, inputs: list[str], fmt: str | None = None) -> list[ImportResult]:
    """Import database files or tar1090-db folders; one result per import, in order.

    ``fmt`` forces a format (one of ``format_names()``). Files met while walking a folder that
    match no format come back with status ``skipped``; a named file of no known format raises
    FormatError before anything is imported.
    """
    results: list[ImportResult] = []
    for planned in plan(inputs, fmt):
        if planned.importer is None:
            results.append(ImportResult(planned.unit.path, "unknown", status="skipped"))
            continue
        results.append(load_unit(store.con, planned.unit, planned.importer))
    return results
