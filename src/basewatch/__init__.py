"""basewatch: public flight-tracking data in, evidence about state air activity at bases out.

The public API is listed in ``__all__``; everything else is internal and may change.
"""

from basewatch.errors import (
    BasewatchError,
    FormatError,
    InputError,
    StoreError,
    UsageError,
)
from basewatch.model import POS_SOURCES, POSITION_SCHEMA
from basewatch.sources import ReadOptions, Reject, detect_format, format_names
from basewatch.store import IngestResult, Store

__version__ = "0.1.0"

__all__ = [
    "BasewatchError",
    "FormatError",
    "IngestResult",
    "InputError",
    "POSITION_SCHEMA",
    "POS_SOURCES",
    "ReadOptions",
    "Reject",
    "Store",
    "StoreError",
    "UsageError",
    "__version__",
    "detect_format",
    "format_names",
]
