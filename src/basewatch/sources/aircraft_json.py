"""readsb / dump1090 / dump1090-fa ``aircraft.json`` and ``history_N.json`` snapshots.

``{"now": <epoch s>, "messages": N, "aircraft": [...]}``; each aircraft object gives one position
at ``now - seen_pos`` (readsb and dump1090-fa README-json.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from basewatch.sources.base import Blob, Chunk, ReadOptions
from basewatch.sources.readsb_aircraft import is_aircraft_json_head, read_snapshots


class AircraftJson:
    """Adapter for receiver snapshots: aircraft.json, history_N.json, readsb ``/re-api/``.

    Reduced feeds without ``seen_pos`` (the garden-radar capture keeps only ``seen``) date a
    position at ``now - seen``. Entries without lat/lon are no position and count nothing;
    ``receiver.json`` and ``stats.json`` hold no ``aircraft`` list and are not sniffed. A file
    recording one snapshot per line is read too.
    """

    name: ClassVar[str] = "aircraft_json"
    description: ClassVar[str] = "readsb/dump1090(-fa) aircraft.json and history_N.json snapshots"

    def sniff(self, head: bytes) -> bool:
        return is_aircraft_json_head(head)

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        return read_snapshots(blob, options)
