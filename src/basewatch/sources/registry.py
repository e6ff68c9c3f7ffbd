"""The list of adapters, in sniffing order (most specific first), and format detection."""

from __future__ import annotations

from basewatch.errors import FormatError, UsageError
from basewatch.sources.adsbx_api import AdsbxV2
from basewatch.sources.aircraft_json import AircraftJson
from basewatch.sources.base import Blob, Source
from basewatch.sources.fr24 import Fr24Csv, Fr24Kml
from basewatch.sources.modes import Beast, ModesHex
from basewatch.sources.opensky import OpenSkyHistory, OpenSkyRest
from basewatch.sources.readsb_trace import ReadsbTrace
from basewatch.sources.sbs import Sbs

#: Every adapter, most specific sniffers first (one per line; add new adapters here).
SOURCES: tuple[Source, ...] = (
    ReadsbTrace(),
    AdsbxV2(),
    AircraftJson(),
    Fr24Csv(),
    Fr24Kml(),
    OpenSkyRest(),
    OpenSkyHistory(),
    Beast(),
    Sbs(),
    ModesHex(),
)


def format_names() -> list[str]:
    """Names accepted by ``--format``."""
    return [s.name for s in SOURCES]


def get_source(name: str) -> Source:
    """The adapter called ``name``; a usage error listing the choices otherwise."""
    for source in SOURCES:
        if source.name == name:
            return source
    raise UsageError(f"unknown format {name!r}; choose one of: {', '.join(format_names())}")


def detect_format(blob: Blob) -> Source:
    """The adapter whose sniffer accepts the blob's content (never its file name)."""
    head = blob.head()
    for source in SOURCES:
        if source.sniff(head):
            return source
    what = "empty file" if not head else f"starts with {head[:40]!r}"
    raise FormatError(
        f"{blob.path}: unknown format ({what}); tried: {', '.join(format_names())}. "
        "Pass --format to force one."
    )
