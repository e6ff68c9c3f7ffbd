"""Retries for the network edges (feeds, alert sinks): exponential backoff with full jitter, and
the server's ``Retry-After`` honoured when it sends one."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

T = TypeVar("T")


class Retryable(Protocol):
    """An error that says whether trying again may help, and after how long."""

    retryable: bool
    retry_after: float | None


@dataclass
class Backoff:
    """Delay before attempt ``n + 1``: uniform in [0, min(cap, base · 2ⁿ)] ("full jitter"),
    or the server's Retry-After (capped at ``max_retry_after_s``)."""

    base_s: float = 1.0
    cap_s: float = 300.0
    attempts: int = 4
    max_retry_after_s: float = 3_600.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait after ``failures`` consecutive failures (≥ 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after_s)
        ceiling = min(self.cap_s, self.base_s * 2 ** max(failures - 1, 0))
        return self.rng.uniform(0.0, ceiling)

    def call(
        self,
        action: Callable[[], T],
        errors: tuple[type[BaseException], ...],
        sleep: Callable[[float], None] = time.sleep,
    ) -> T:
        """Run ``action``, retrying retryable ``errors`` up to ``attempts`` times in all."""
        for failures in range(1, self.attempts + 1):
            try:
                return action()
            except errors as exc:
                retryable = bool(getattr(exc, "retryable", True))
                if not retryable or failures == self.attempts:
                    raise
                sleep(self.delay(failures, getattr(exc, "retry_after", None)))
        raise AssertionError("unreachable")  # pragma: no cover


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """An HTTP ``Retry-After`` header (delta-seconds or an HTTP date) in seconds, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
