"""A year of simulated global traffic for the activity benchmark, made as numpy/Arrow in chunks.

Civil aircraft (tens of thousands at 100 M positions) fly between real airports from their hubs;
a Russian state fleet (RU-block addresses, RFF callsigns, RF- registrations) flies to the watched
bases with a months-long pause and a resumption week. Each flight is a great-circle leg with
taxi, climb, cruise and descent, one position every 10-60 s, sea/desert coverage gaps and dark
approaches (positions stop a few thousand feet above the field). This module plans the flights;
activity_positions.py gives each its profile and expands it to positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise

import airportsdata
import numpy as np

from basewatch.identify.rules import load_rules

START = datetime(2024, 11, 1, tzinfo=UTC)
YEAR_S = 365 * 86_400.0
DAY_S = 86_400.0
KM_PER_DEG = 111.195
KTS_KM_S = 1.852 / 3600  # km/s per knot
PAUSE = (datetime(2025, 3, 14, tzinfo=UTC), datetime(2025, 8, 22, tzinfo=UTC))  # Fri .. Fri
#: Real airline designators (ICAO Doc 8585) for civil callsigns; none is a state pattern.
AIRLINES = "DLH AFR BAW UAE QTR THY KLM SWR AAL DAL UAL SIA CPA JAL ANA RYR EZY SAS IBE ETD"
CIVIL_TYPES = ("A320", "B738", "A321", "A20N", "B38M", "E190", "A333", "B77W", "A359", "B789")
#: Russian airports of the state fleet's domestic flights (they keep Chkalovsky busy all year).
DOMESTIC = ("ULLI", "URSS", "UWKD", "UNNT", "USSS", "UHWW", "URWW")
#: Damascus: state arrivals there are distractors (not a watched base).
DISTRACTOR = "OSDI"
STATE_FLEET = (  # type, count, registration stem, cruise ft, cruise kt
    ("IL76", 8, "RF-78", 33_000, 430),
    ("A124", 3, "RF-82", 33_000, 440),
    ("IL62", 2, "RF-86", 37_000, 460),
    ("T154", 2, "RF-85", 37_000, 470),
    ("T204", 2, "RF-64", 37_000, 460),
    ("MI8", 3, "RF-91", 1_500, 120),
)


@dataclass
class Places:
    """Airports and base points: code, lat, lon, elevation (ft); the first ``n_large`` are the
    large airports civil aircraft fly between."""

    code: list[str]
    lat: np.ndarray
    lon: np.ndarray
    elev: np.ndarray
    n_large: int

    def index(self, code: str) -> int:
        return self.code.index(code)

    @classmethod
    def build(cls, bases: dict[str, tuple[str | None, float, float, float]]) -> Places:
        """Large airports (IATA code and "International"), the domestic/distractor fields and
        the bases (keyed by base name; point bases get their own place)."""
        db = airportsdata.load("ICAO")
        large = sorted(
            k for k, r in db.items() if k.isalnum() and r["iata"] and "International" in r["name"]
        )
        codes = large + [c for c in (*DOMESTIC, DISTRACTOR) if c in db]
        rows = [(c, db[c]["lat"], db[c]["lon"], db[c]["elevation"] or 0.0) for c in codes]
        for name, (icao, lat, lon, elev) in bases.items():
            rows.append((icao or name, lat, lon, elev))
        seen: dict[str, tuple[str, float, float, float]] = {}
        for row in rows:
            seen.setdefault(row[0], row)
        code, lats, lons, elevs = zip(*seen.values(), strict=True)
        return cls(list(code), np.array(lats), np.array(lons), np.array(elevs, float), len(large))


def unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Unit vectors (…, 3) of positions in degrees."""
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def gc_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(h, 1.0))))


@dataclass
class Legs:
    """Flights as columns: aircraft, origin/destination place, departure (s after START), and
    the flags that shape their positions (dark landing/takeoff, spacing)."""

    ac: list[np.ndarray] = field(default_factory=list)
    orig: list[np.ndarray] = field(default_factory=list)
    dest: list[np.ndarray] = field(default_factory=list)
    dep: list[np.ndarray] = field(default_factory=list)
    dark_land: list[np.ndarray] = field(default_factory=list)
    dark_takeoff: list[np.ndarray] = field(default_factory=list)

    def add(
        self, ac: object, orig: object, dest: object, dep: object, dl: object, dt: object
    ) -> None:
        for name, value in zip(
            ("ac", "orig", "dest", "dep", "dark_land", "dark_takeoff"),
            (ac, orig, dest, dep, dl, dt),
            strict=True,
        ):
            getattr(self, name).append(np.atleast_1d(np.asarray(value)))

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.__dict__.items()}


@dataclass
class Fleet:
    """Aircraft as columns: address, callsign prefix, cruise level/speed, climb/descent rates."""

    icao: list[str]
    prefix: list[str]
    type_code: list[str]
    registration: list[str]
    state: np.ndarray
    cruise_ft: np.ndarray
    cruise_kt: np.ndarray
    climb_fps: np.ndarray
    desc_fps: np.ndarray


def civil_fleet(rng: np.random.Generator, n: int) -> Fleet:
    """``n`` civil aircraft at random addresses outside the Russian block and outside the
    military address ranges of the packaged rules; airline callsigns."""
    ranges = load_rules().ranges
    lo, hi = np.array(ranges.column("lo")), np.array(ranges.column("hi"))
    order = np.argsort(lo)
    lo, hi = lo[order], hi[order]
    pool = rng.choice(1 << 24, size=n * 2, replace=False)
    at = np.maximum(np.searchsorted(lo, pool, side="right") - 1, 0)
    military = (pool >= lo[at]) & (pool <= hi[at])
    pool = pool[~military & ((pool < 0x100000) | (pool > 0x1FFFFF))][:n]
    wide = rng.random(n) < 0.2
    airlines = AIRLINES.split()
    return Fleet(
        icao=[f"{a:06x}" for a in pool],
        prefix=[airlines[i] for i in rng.integers(len(airlines), size=n)],
        type_code=[CIVIL_TYPES[i] for i in rng.integers(len(CIVIL_TYPES), size=n)],
        registration=[f"N{a % 99_999:05d}" for a in pool],
        state=np.zeros(n, bool),
        cruise_ft=np.where(wide, rng.uniform(35_000, 41_000, n), rng.uniform(31_000, 39_000, n)),
        cruise_kt=rng.uniform(430, 490, n),
        climb_fps=rng.uniform(30, 43, n),
        desc_fps=rng.uniform(20, 33, n),
    )


def state_fleet() -> Fleet:
    """The Russian state aircraft, addresses 0x150000 + i (the RU allocation block)."""
    rows = [(t, i, stem, ft, kt) for t, k, stem, ft, kt in STATE_FLEET for i in range(k)]
    heli = np.array([t == "MI8" for t, *_ in rows])
    return Fleet(
        icao=[f"{0x150000 + 0x123 * j:06x}" for j in range(len(rows))],
        prefix=["RFF"] * len(rows),
        type_code=[t for t, *_ in rows],
        registration=[
            f"{stem}{(401 + 37 * j) % 1000:03d}" for j, (_, _, stem, _, _) in enumerate(rows)
        ],
        state=np.ones(len(rows), bool),
        cruise_ft=np.array([ft for *_, ft, _ in rows], float),
        cruise_kt=np.array([kt for *_, kt in rows], float),
        climb_fps=np.where(heli, 12.0, 28.0),
        desc_fps=np.where(heli, 10.0, 22.0),
    )


def civil_network(
    rng: np.random.Generator, places: Places, n: int, k: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    """A hub per aircraft and ``k`` destinations from 250 km to its reach: 600-3,000 km, or
    9,000 km for a tenth (wide bodies); remote hubs fly to their nearest large airports."""
    big = np.arange(places.n_large)
    lat, lon = places.lat[big], places.lon[big]
    hub = rng.choice(big, n)
    reach = np.where(rng.random(n) < 0.1, 9_000.0, rng.uniform(600, 3_000, n))
    net = rng.choice(big, (n, k))
    for _ in range(30):
        d = gc_km(lat[hub, None], lon[hub, None], lat[net], lon[net])
        bad = (d < 250) | (d > reach[:, None])
        if not bad.any():
            break
        net[bad] = rng.choice(big, int(bad.sum()))
    for row in np.flatnonzero(bad.any(axis=1)):
        nearest = np.argsort(gc_km(lat[hub[row]], lon[hub[row]], lat, lon))[1 : k + 1]
        net[row] = np.where(bad[row], nearest, net[row])
    return hub, net


def civil_legs(
    rng: np.random.Generator, places: Places, fleet: Fleet, turn_days: float
) -> dict[str, np.ndarray]:
    """Hub-and-spoke legs over the year, one leg index at a time across all aircraft."""
    n = len(fleet.icao)
    hub, net = civil_network(rng, places, n)
    t = rng.uniform(0, turn_days * DAY_S, n)
    at = hub.copy()
    legs = Legs()
    active = np.arange(n)
    while len(active):
        here = at[active]
        home = here == hub[active]
        dest = np.where(
            home, net[active, rng.integers(net.shape[1], size=len(active))], hub[active]
        )
        d = gc_km(places.lat[here], places.lon[here], places.lat[dest], places.lon[dest])
        busy = d / (fleet.cruise_kt[active] * KTS_KM_S) + 3_600
        dark = rng.random(len(active)) < 0.03
        legs.add(active, here, dest, t[active], dark, np.zeros(len(active), bool))
        t[active] += busy + 2_400 + rng.exponential(turn_days * DAY_S, len(active))
        at[active] = dest
        active = active[t[active] < YEAR_S - DAY_S]
    return legs.arrays()


def _at(when: datetime) -> float:
    """Seconds after START."""
    return (when - START).total_seconds()


@dataclass
class StateSchedule:
    """Missions of the state fleet, each given to an aircraft free at that time (or delayed
    until one is): an aircraft is never in two places at once."""

    rng: np.random.Generator
    places: Places
    fleet: Fleet
    first: int
    legs: Legs = field(default_factory=Legs)
    free: dict[int, float] = field(default_factory=dict)

    def fly(
        self, route: list[str], dep: float, ac: int | None = None, pool: Sequence[int] = ()
    ) -> None:
        """Fly ``route`` leaving at ``dep`` (or once an aircraft is free), staying 4-30 h at
        each stop; dark approaches into Hmeimim (35 %) and dark climbs out of it (20 %)."""
        if ac is None:
            ac = min(pool, key=lambda j: (max(self.free.get(j, 0.0), dep), self.rng.random()))
        dep = max(dep, self.free.get(ac, 0.0))
        p = self.places.index
        for a, b in pairwise(route):
            lat, lon = self.places.lat, self.places.lon
            d = float(gc_km(lat[p(a)], lon[p(a)], lat[p(b)], lon[p(b)]))
            dark_in = b == "OSLK" and self.rng.random() < 0.35
            dark_out = a == "OSLK" and self.rng.random() < 0.2
            self.legs.add(self.first + ac, p(a), p(b), dep, dark_in, dark_out)
            dep += d / (self.fleet.cruise_kt[ac] * KTS_KM_S) + 3_600
            dep += self.rng.uniform(4, 30) * 3_600
        self.free[ac] = dep


def state_legs(
    rng: np.random.Generator, places: Places, fleet: Fleet, first: int
) -> dict[str, np.ndarray]:
    """Syria rotations from Chkalovsky (some via Benina or Al Jufra), weekly Mi-8 shuttles
    Hmeimim → Tartus, domestic flights and Damascus distractors all year; no arrival at the
    Syrian/Libyan bases during ``PAUSE``; then the resumption week from its last day: an
    An-124 three times (Fri, Sun, Wed), an Il-62M, an Il-76 Moscow → Benina → Latakia → Moscow."""
    jets = [i for i, t in enumerate(fleet.type_code) if t != "MI8"]
    helis = [i for i, t in enumerate(fleet.type_code) if t == "MI8"]
    pause0, pause1 = _at(PAUSE[0]), _at(PAUSE[1])
    missions: list[tuple[float, list[str], int | None]] = []
    t = rng.uniform(0, 2) * DAY_S
    while t < YEAR_S - 5 * DAY_S:
        if not pause0 - 3 * DAY_S < t < pause1 + 8 * DAY_S:
            via = rng.random()
            route = ["UUMU", "OSLK", "UUMU"]
            if via < 0.15:
                route = ["UUMU", "OSLK", "HLLB", "OSLK", "UUMU"]
            elif via < 0.25:
                route = ["UUMU", "OSLK", "al-jufra", "OSLK", "UUMU"]
            missions.append((t, route, None))
        t += rng.exponential(2.5 if t < pause0 else 4.0) * DAY_S
    for day in np.arange(1, 364, 3.5):  # domestic: Chkalovsky is busy all year
        missions.append((day * DAY_S, ["UUMU", DOMESTIC[int(day) % len(DOMESTIC)], "UUMU"], None))
    for day in np.arange(20, 360, 30.0):  # Damascus, in the pause too: not a watched base
        missions.append((day * DAY_S, ["UUMU", DISTRACTOR, "UUMU"], None))
    for week in np.arange(3, 365, 7.0):
        if not pause0 - DAY_S < week * DAY_S < pause1 + 8 * DAY_S:
            missions.append((week * DAY_S, ["OSLK", "tartus", "OSLK"], helis[int(week) % 3]))
    an124, il62, il76 = (fleet.type_code.index(t) for t in ("A124", "IL62", "IL76"))
    for day in (0, 2, 5):
        missions.append((pause1 + day * DAY_S, ["UUMU", "OSLK", "UUMU"], an124))
    missions.append((pause1 + DAY_S, ["UUMU", "OSLK", "UUMU"], il62))
    missions.append((pause1 + DAY_S, ["UUMU", "HLLB", "OSLK", "UUMU"], il76))
    plan = StateSchedule(rng, places, fleet, first)
    for when, route, ac in sorted(missions, key=lambda m: m[0]):
        week = pause1 - 8 * DAY_S < when < pause1 + 8 * DAY_S
        pool = [j for j in jets if not (week and j in (an124, il62, il76))]
        jitter = rng.uniform(2, 8) * 3_600 if ac is not None else rng.uniform(0, 12) * 3_600
        plan.fly(route, when + jitter, ac=ac, pool=pool)
    return plan.legs.arrays()
