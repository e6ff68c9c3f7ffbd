"""An alert: what happened, where, to which aircraft, with the evidence, under a stable id.

The id is derived from what the alert is about (rule, base, aircraft, event time), never from
when it was raised, so a restart or a second feed seeing the same event yields the same id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from basewatch.config import ALERT_EVENTS

#: The kinds of alert: the ``on:`` values of the config's alert rules.
ALERT_KINDS = ALERT_EVENTS


def iso(t: datetime) -> str:
    """ISO 8601 UTC with ``Z``."""
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def alert_id(kind: str, *subject: object) -> str:
    """A stable id: the kind and a short hash of what the alert is about."""
    key = json.dumps([kind, *[str(s) for s in subject]], separators=(",", ":"))
    return f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class Alert:
    """One alert, ready for any sink: a title, a one-paragraph message and the evidence."""

    alert_id: str
    kind: str
    time: datetime
    title: str
    message: str
    base: str | None = None
    icao24: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The alert as one JSON-able document (the jsonl and webhook payload)."""
        return {
            "alert_id": self.alert_id,
            "kind": self.kind,
            "time": iso(self.time),
            "title": self.title,
            "message": self.message,
            "base": self.base,
            "icao24": self.icao24,
            "evidence": dict(self.evidence),
        }

    def text(self) -> str:
        """Title and message as plain text (chat and email bodies)."""
        return f"{self.title}\n{self.message}"
