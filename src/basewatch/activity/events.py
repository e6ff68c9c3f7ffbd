"""Pauses, resumptions and surges in a base's visits of the watched class.

A pause is a gap between consecutive arrivals longer than ``pause_days``; the arrival after it is
a *resumption* ("first state arrival in 183 days"). A surge is a window of ``window_days`` whose
arrivals are improbable under the rate of the trailing ``baseline_days`` (Poisson upper tail
below ``alpha``); overlapping surge windows merge, and a surge counts every arrival of its span.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DAY = timedelta(days=1)


def poisson_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    term = math.exp(-lam)
    below = term
    for i in range(1, k):
        term *= lam / i
        below += term
    return max(0.0, 1.0 - below)


@dataclass(frozen=True)
class ActivityAnalyzer:
    """Settings of the pause/resumption and surge detection."""

    pause_days: float = 30.0
    window_days: int = 7
    baseline_days: int = 90
    alpha: float = 0.01
    min_surge: int = 3

    def analyze(self, arrivals: list[tuple[datetime, str]]) -> dict[str, list[dict[str, Any]]]:
        """``{"pauses", "resumptions", "surges"}`` from (arrival time, icao24) pairs."""
        arrivals = sorted(arrivals)
        return {
            "pauses": self._pauses(arrivals),
            "resumptions": self._resumptions(arrivals),
            "surges": self._surges([t for t, _ in arrivals]),
        }

    def _gaps(self, arrivals: list[tuple[datetime, str]]) -> list[tuple[int, float]]:
        return [
            (i, (arrivals[i][0] - arrivals[i - 1][0]) / DAY)
            for i in range(1, len(arrivals))
            if (arrivals[i][0] - arrivals[i - 1][0]) / DAY > self.pause_days
        ]

    def _pauses(self, arrivals: list[tuple[datetime, str]]) -> list[dict[str, Any]]:
        return [
            {"start": iso(arrivals[i - 1][0]), "end": iso(arrivals[i][0]), "days": round(days, 1)}
            for i, days in self._gaps(arrivals)
        ]

    def _resumptions(self, arrivals: list[tuple[datetime, str]]) -> list[dict[str, Any]]:
        return [
            {"time": iso(arrivals[i][0]), "icao24": arrivals[i][1], "after_days": round(days, 1)}
            for i, days in self._gaps(arrivals)
        ]

    def _surges(self, times: list[datetime]) -> list[dict[str, Any]]:
        """Windows improbable under their trailing baseline, merged where they overlap and
        trimmed to the days holding their arrivals; each surge gives its own arrivals
        (``count``: all of them between ``start`` and ``end``), the arrivals the baseline rate
        expects over that span, and their Poisson tail."""
        if not times:
            return []
        spans: list[list[datetime]] = []
        start = times[0].replace(hour=0, minute=0, second=0, microsecond=0)
        start += self.baseline_days * DAY
        while start <= times[-1]:
            end = start + self.window_days * DAY
            count = _between(times, start, end)
            expected = self._expected(times, start, self.window_days)
            if count >= self.min_surge and poisson_tail(count, expected) < self.alpha:
                if spans and spans[-1][1] >= start:
                    spans[-1][1] = end
                else:
                    spans.append([start, end])
            start += DAY
        found = []
        for lo, hi in spans:  # trimmed to the days that hold the span's arrivals
            inside = times[bisect_left(times, lo) : bisect_left(times, hi)]
            first = inside[0].replace(hour=0, minute=0, second=0, microsecond=0)
            end = inside[-1].replace(hour=0, minute=0, second=0, microsecond=0) + DAY
            count = len(inside)
            expected = self._expected(times, first, (end - first) / DAY)
            found.append(
                {
                    "start": iso(first),
                    "end": iso(end),
                    "count": count,
                    "baseline": round(expected, 2),
                    "p_value": float(f"{poisson_tail(count, expected):.3g}"),
                }
            )
        return found

    def _expected(self, times: list[datetime], start: datetime, days: float) -> float:
        """Arrivals expected over ``days`` from ``start`` at the rate of the baseline before."""
        before = _between(times, start - self.baseline_days * DAY, start)
        return before * days / self.baseline_days


def _between(times: list[datetime], start: datetime, end: datetime) -> int:
    """Arrivals in [start, end) of sorted times."""
    return bisect_left(times, end) - bisect_left(times, start)


def iso(value: datetime) -> str:
    """ISO 8601 UTC with Z."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
