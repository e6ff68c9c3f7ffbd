"""Live watch: poll feeds, store what they send, keep flights and visits current, raise alerts.

``Watcher.cycle(now)`` is one step (tests drive it with scripted time); ``run`` loops until told
to stop, and a restart continues where the store left off.
"""

from basewatch.watch.pipeline import Pipeline
from basewatch.watch.rules import AlertRules, RuleContext

__all__ = ["AlertRules", "Pipeline", "RuleContext"]
