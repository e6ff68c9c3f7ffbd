"""ADS-B Exchange v2 API responses, as adsb.lol, adsb.fi, airplanes.live and ADSBx serve them.

``{"ac": [...], "msg", "now": <epoch ms>, "total", "ctime", "ptime"}`` (readsb api.c, ``jv2``);
one response per file, or a recording of one response per line, streamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from basewatch.sources.base import Blob, Chunk, ReadOptions
from basewatch.sources.readsb_aircraft import is_api_v2_head, read_snapshots


class AdsbxV2:
    """Adapter for ADSBx v2 API responses and JSON-lines recordings of them.

    A position is dated ``now/1000 - seen_pos``. An aircraft with only ``lastPosition`` gives
    that one position (address, callsign, lat/lon; its other fields are current values, so
    left null); ``rr_lat``/``rr_lon`` are never taken. adsb.fi answers some endpoints with
    ``"aircraft"`` instead of ``"ac"``: both are read, and ``now`` is told seconds from
    milliseconds by its size.
    """

    name: ClassVar[str] = "adsbx_v2"
    description: ClassVar[str] = (
        "ADS-B Exchange v2 API responses (adsb.lol, adsb.fi, airplanes.live), one or one per line"
    )

    def sniff(self, head: bytes) -> bool:
        return is_api_v2_head(head)

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        return read_snapshots(blob, options)
