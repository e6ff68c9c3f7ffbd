"""Activity at watched bases: visits (arrivals, observed or inferred), pauses and resumptions,
surges against a baseline. Reads flights and identities; never imports later stages."""

from basewatch.activity.bases import ResolvedBase, resolve_base
from basewatch.activity.events import ActivityAnalyzer
from basewatch.activity.visits import VisitDetector, visit_json

__all__ = ["ActivityAnalyzer", "ResolvedBase", "VisitDetector", "resolve_base", "visit_json"]
