"""Pauses, resumptions and surges in a base's visits of the watched class.

A pause is a gap between consecutive arrivals longer than ``pause_days``; the arrival after it is
a *resumption* ("first state arrival in 183 days"). A surge is a window of ``window_days`` whose
arrivals are improbable under the rate of the trailing ``baseline_days`` (Poisson upper tail
below ``alpha``); overlapping surge windows merge.
"""

from __future__ import annotations

import math
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
        if not times:
            return []
        day0 = times[0].replace(hour=0, minute=0, second=0, microsecond=0)
        last = times[-1]
        found: list[dict[str, Any]] = []
        start = day0 + self.baseline_days * DAY
        while start <= last:
            end = start + self.window_days * DAY
            count = sum(1 for t in times if start <= t < end)
            base_from = start - self.baseline_days * DAY
            before = sum(1 for t in times if base_from <= t < start)
            expected = before * self.window_days / self.baseline_days
            p = poisson_tail(count, expected)
            if count >= self.min_surge and p < self.alpha:
                window = {
                    "start": start,
                    "end": end,
                    "count": count,
                    "baseline": round(expected, 2),
                    "p_value": p,
                }
                if found and found[-1]["end"] >= start:
                    merged = found[-1]
                    merged["end"] = end
                    if p < merged["p_value"]:
                        merged.update(count=count, baseline=round(expected, 2), p_value=p)
                else:
                    found.append(window)
            start += DAY
        return [
            {
                **w,
                "start": iso(w["start"]),
                "end": iso(w["end"]),
                "p_value": float(f"{w['p_value']:.3g}"),
            }
            for w in found
        ]


def iso(value: datetime) -> str:
    """ISO 8601 UTC with Z."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
