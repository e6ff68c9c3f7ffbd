"""Format adapters: each reads one real-world tracking format into the canonical schema.

Formats are recognised by content; ``detect_format`` names every format it tried when none fits.
"""

from basewatch.sources.base import Blob, Chunk, ReadOptions, Reject, Source
from basewatch.sources.registry import SOURCES, detect_format, format_names, get_source

__all__ = [
    "Blob",
    "Chunk",
    "ReadOptions",
    "Reject",
    "SOURCES",
    "Source",
    "detect_format",
    "format_names",
    "get_source",
]
