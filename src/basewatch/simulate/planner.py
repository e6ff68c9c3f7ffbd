"""Flights in the making: each leg is flown at once (so the next leg of the same aircraft knows
when it landed), aircraft are kept from being in two places at once, and every leg keeps the
seed its noise will be drawn from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from basewatch.simulate.fleet import Aircraft
from basewatch.simulate.fly import FlightPlan, Trajectory, fly
from basewatch.simulate.geo import bearing_deg
from basewatch.simulate.paths import RU_ENTRY, Waypoints, civil_route, state_route
from basewatch.simulate.places import field as airport

DAY = 86_400.0
HOUR = 3_600.0
STORY_START = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Calendar:
    """Epoch seconds (UTC midnights): data start, the day of the last arrival before the pause,
    the Friday of the resumption, data end."""

    start: float
    last_before: float
    resumption: float
    end: float


def story_calendar(
    seed: int, rng: np.random.Generator, regular_weeks: int, pause_days: int | None = None
) -> Calendar:
    """Seed 7 is the news story (last arrival Thu 24 Apr 2025, resumption Fri 24 Oct 2025, data
    to Sun 2 Nov); other seeds draw a Friday in 2025 and a 60–200-day pause."""
    if seed == 7:
        friday = datetime(2025, 10, 24, tzinfo=UTC)
        days = 183
    else:
        friday = datetime(2025, 3, 7, tzinfo=UTC) + timedelta(weeks=int(rng.integers(30, 42)))
        days = int(rng.integers(60, 201))
    pause = timedelta(days=pause_days if pause_days is not None else days)
    last = friday - pause
    start = last - timedelta(weeks=regular_weeks, days=1)
    return Calendar(
        start.timestamp(),
        last.timestamp(),
        friday.timestamp(),
        (friday + timedelta(days=10)).timestamp(),
    )


@dataclass
class Flown:
    """A flown leg and the seed of its recording noise."""

    traj: Trajectory
    seed: int

    @property
    def plan(self) -> FlightPlan:
        return self.traj.plan


@dataclass
class Planner:
    """Collects flown legs; ``busy`` holds each aircraft's (start, end) intervals."""

    rng: np.random.Generator
    calendar: Calendar
    flights: list[Flown] = field(default_factory=list)
    busy: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    by_aircraft: dict[str, list[Flown]] = field(default_factory=dict)

    def free(self, ac: Aircraft, start: float, end: float) -> bool:
        """Nothing planned for ``ac`` between ``start`` and ``end``, and it is at one of its
        bases then (not on the ground abroad between two legs of a trip)."""
        if any(s < end and e > start for s, e in self.busy.get(ac.icao24, [])):
            return False
        return self.where(ac, start) in (ac.home, *RU_ENTRY)

    def where(self, ac: Aircraft, t: float) -> str:
        """Where ``ac`` is at ``t``: the field of its last landing before then, else its home."""
        landed = [f for f in self.by_aircraft.get(ac.icao24, []) if f.traj.touchdown <= t]
        return max(landed, key=lambda f: f.traj.touchdown).plan.destination if landed else ac.home

    def leg(
        self,
        ac: Aircraft,
        origin: str,
        destination: str,
        callsign: str,
        kind: str,
        *,
        arrive: float | None = None,
        depart: float | None = None,
        note: str = "",
        route: Waypoints | None = None,
        fields: dict[str, Any] | None = None,
    ) -> Flown:
        """Fly one leg that lands at ``arrive`` or leaves the stand at ``depart``; ``fields``
        are further ``FlightPlan`` settings (dark approach, low pass, transponder times)."""
        seed = int(self.rng.integers(2**62))
        if route is None:
            civil = ac.category == "civil"
            route = (civil_route if civil else state_route)(origin, destination)
        start = depart if depart is not None else float(arrive or 0.0) - 6 * HOUR
        spec = FlightPlan(
            aircraft=ac,
            callsign=callsign,
            squawk=self.squawk(),
            origin=origin,
            destination=destination,
            off_block=start,
            route=route,
            kind=kind,
            level_ft=self.level(ac, origin, destination),
            note=note,
            **(fields or {}),
        )
        traj = fly(spec, np.random.default_rng(seed))
        if arrive is not None:
            traj = traj.shifted(arrive - traj.touchdown)
        flown = Flown(traj, seed)
        self.flights.append(flown)
        self.by_aircraft.setdefault(ac.icao24, []).append(flown)
        self.busy.setdefault(ac.icao24, []).append((traj.t_on - HOUR, traj.t_off + HOUR))
        return flown

    def squawk(self) -> str:
        """Four octal digits, never an emergency or conspicuity code."""
        while True:
            code = "".join(str(d) for d in self.rng.integers(0, 8, 4))
            if code not in ("7500", "7600", "7700", "7000", "2000", "1200", "0000"):
                return code

    def level(self, ac: Aircraft, origin: str, destination: str) -> float:
        """A cruise level by the semicircular rule: odd flight levels eastbound, even westbound."""
        a, b = airport(origin), airport(destination)
        east = float(bearing_deg(a.lat, a.lon, b.lat, b.lon)) < 180.0
        top = 360 if ac.type_code in ("A320", "A321", "IL62", "T154", "T204") else 340
        choices = [fl for fl in range(300, top + 1, 10) if (fl // 10) % 2 == (1 if east else 0)]
        return float(self.rng.choice(choices)) * 100.0

    def state_callsign(self, ac: Aircraft) -> tuple[str, str]:
        """Outbound and return callsigns of a state rotation (RFF1234/RFF1235, RSD061/RSD062)."""
        if ac.callsign_prefix == "RSD":
            n = int(self.rng.integers(10, 99)) * 2 + 1
            return f"RSD{n:03d}", f"RSD{n + 1:03d}"
        n = int(self.rng.integers(1000, 4999)) * 2 + 1
        return f"RFF{n}", f"RFF{n + 1}"
