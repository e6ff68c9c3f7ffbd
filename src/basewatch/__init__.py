"""basewatch: public flight-tracking data in, evidence about state air activity at bases out.

The public API is listed in ``__all__``; everything else is internal and may change.
"""

from basewatch.activity import ActivityAnalyzer, VisitDetector, resolve_base
from basewatch.config import Config, load_config
from basewatch.errors import (
    BasewatchError,
    ConfigError,
    FormatError,
    InputError,
    StoreError,
    UsageError,
)
from basewatch.flights import EndpointFinder, FlightBuilder, Segmenter
from basewatch.identify.classify import Classifier
from basewatch.identify.lookup import AircraftIdentity, list_aircraft
from basewatch.identify.lookup import identify as identify_aircraft
from basewatch.identify.registry import ImportResult, import_aircraft
from basewatch.model import POS_SOURCES, POSITION_SCHEMA
from basewatch.sources import ReadOptions, Reject, detect_format, format_names
from basewatch.store import IngestResult, Store

__version__ = "0.1.0"

__all__ = [
    "ActivityAnalyzer",
    "AircraftIdentity",
    "BasewatchError",
    "Classifier",
    "Config",
    "ConfigError",
    "EndpointFinder",
    "FlightBuilder",
    "FormatError",
    "ImportResult",
    "IngestResult",
    "InputError",
    "POSITION_SCHEMA",
    "POS_SOURCES",
    "ReadOptions",
    "Reject",
    "Segmenter",
    "Store",
    "StoreError",
    "UsageError",
    "VisitDetector",
    "__version__",
    "detect_format",
    "format_names",
    "identify_aircraft",
    "import_aircraft",
    "list_aircraft",
    "load_config",
    "resolve_base",
]
