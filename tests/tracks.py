"""Built tracks for flight tests: one aircraft taxiing, taking off, flying great circles, landing
(or going dark on the way down) at real airports, emitted readsb-like every 1-10 s.

    Track("15a3c2").at("UUMU").taxi(5).takeoff().climb(30_000).cruise(to="OSLK", stop_km=200)
        .descend(4_000, toward="OSLK").land("OSLK").taxi(3)

Rows are canonical positions (``basewatch.model.RAW_SCHEMA``); tests/track_store.py puts them
into a store and writes them the way a readsb trace holds them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pyarrow as pa

from basewatch.flights.airports import airport_table
from basewatch.model import RAW_SCHEMA

EARTH_KM = 6371.0088
KM_PER_NM = 1.852
T0 = datetime(2024, 3, 1, 6, 0, tzinfo=UTC).timestamp()
#: Height above the field on a 3° glide path, per nautical mile from the threshold.
GLIDE_FT_PER_NM = 318.0
TURN_DEG_S = 3.0
MAX_STEPS = 200_000

Place = str | tuple[float, float]
Row = dict[str, Any]


@dataclass(frozen=True)
class Field:
    icao: str
    lat: float
    lon: float
    elevation_ft: float


@cache
def _fields() -> dict[str, Field]:
    return {
        r["icao"]: Field(r["icao"], r["lat"], r["lon"], r["elevation_ft"])
        for r in airport_table().to_pylist()
    }


def field(icao: str) -> Field:
    """A real airport of airportsdata (position and elevation)."""
    return _fields()[icao]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(min(1.0, a)))


def bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial true bearing in degrees [0, 360) from point 1 to point 2."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0


def destination(lat: float, lon: float, course: float, km: float) -> tuple[float, float]:
    """The point ``km`` along the great circle leaving (lat, lon) on ``course``."""
    p1, l1, c, d = math.radians(lat), math.radians(lon), math.radians(course), km / EARTH_KM
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(c))
    l2 = l1 + math.atan2(
        math.sin(c) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


def _point(place: Place) -> tuple[float, float]:
    if isinstance(place, str):
        f = field(place)
        return f.lat, f.lon
    return place


def _approach(current: float, target: float, step: float) -> float:
    """``current`` moved towards ``target`` by at most ``step``."""
    if abs(target - current) <= step:
        return target
    return current + math.copysign(step, target - current)


class Track:
    """One aircraft's positions, built phase by phase; every method returns the track."""

    def __init__(
        self,
        icao24: str = "15a3c2",
        callsign: str | None = "RFF7001",
        start: float = T0,
        seed: int = 0,
        spacing: tuple[float, float] = (1.0, 10.0),
    ) -> None:
        self.icao24, self.callsign = icao24, callsign
        self.rng = random.Random(seed)
        self.spacing = spacing
        self.t = start
        self.lat, self.lon, self.alt, self.elev = 0.0, 0.0, 0.0, 0.0
        self.gs, self.track, self.vrate = 0.0, 0.0, 0.0
        self.on_ground = False
        self.dark = False
        self.rows: list[Row] = []
        self._new_leg = False
        self._spoof: list[tuple[float, float, tuple[float, float] | None]] = []

    # -- where and when ---------------------------------------------------------------------
    def at(self, place: Place, alt_ft: float | None = None, heading: float = 0.0) -> Track:
        """Put the aircraft at an airport (on the ground unless ``alt_ft``) or a point."""
        self.lat, self.lon = _point(place)
        self.elev = field(place).elevation_ft if isinstance(place, str) else 0.0
        self.on_ground = alt_ft is None
        self.alt = self.elev if alt_ft is None else alt_ft
        self.track, self.vrate = heading, 0.0
        self.gs = 0.0 if self.on_ground else 250.0
        return self

    def go_dark(self) -> Track:
        """Stop emitting (the aircraft keeps flying)."""
        self.dark = True
        return self

    def appear(self) -> Track:
        """Emit again."""
        self.dark = False
        return self

    def new_leg(self) -> Track:
        """The next emitted point carries readsb's new-leg flag."""
        self._new_leg = True
        return self

    def gap(self, minutes: float, move: bool = True) -> Track:
        """Time passes with nothing emitted; the aircraft flies on (``move``) or stays."""
        seconds = minutes * 60
        if move and not self.on_ground:
            km = self.gs * KM_PER_NM / 3600 * seconds
            self.lat, self.lon = destination(self.lat, self.lon, self.track, km)
        self.t += seconds
        return self

    def spoof(
        self,
        km: float = 600.0,
        course: float = 90.0,
        points: int = 2,
        to: tuple[float, float] | None = None,
    ) -> Track:
        """The next ``points`` emitted positions are wrong: ``km`` away on ``course`` from the
        true one, or all at the fixed point ``to`` (as GPS spoofing does)."""
        self._spoof = [(km, course, to)] * points
        return self

    # -- on the ground ----------------------------------------------------------------------
    def taxi(self, minutes: float = 5.0, gs: float = 15.0) -> Track:
        """Taxi round a small square (turning 90° every quarter), on the ground."""
        quarter = minutes * 60 / 4
        for _ in range(4):
            self._run(quarter, gs=gs, accel=5.0)
            self.track = (self.track + 90.0) % 360.0
        return self

    def park(self, minutes: float, every_s: float = 30.0) -> Track:
        """Stand still, on the ground, reported every ``every_s`` seconds or so."""
        saved = self.spacing
        self.spacing = (every_s * 0.5, every_s * 1.5)
        self.gs = 0.0
        self._run(minutes * 60, gs=0.0, accel=100.0)
        self.spacing = saved
        return self

    def takeoff(self, heading: float | None = None, toward: Place | None = None) -> Track:
        """Roll (0 → 150 kt), lift off and climb to 1,500 ft above the field."""
        if toward is not None:
            heading = bearing(self.lat, self.lon, *_point(toward))
        self.track = self.track if heading is None else heading
        self.on_ground = True
        self._run(1e9, gs=150.0, accel=4.0, until=lambda: self.gs >= 150.0)
        self.on_ground = False
        return self.climb(self.elev + 1_500, rate=2_000, gs=160.0)

    # -- in the air -------------------------------------------------------------------------
    def climb(
        self,
        to_ft: float,
        rate: float = 2_200.0,
        gs: float | None = None,
        toward: Place | None = None,
    ) -> Track:
        """Climb at ``rate`` ft/min to ``to_ft``, speeding up with height unless ``gs``."""
        speed = gs if gs is not None else (250.0 if to_ft <= 10_000 else 300.0 + to_ft / 200)
        self._run(
            1e9, gs=speed, accel=1.0, alt=to_ft, rate=rate, steer=self._steer(toward),
            until=lambda: self.alt >= to_ft,
        )  # fmt: skip
        return self

    def descend(
        self,
        to_ft: float,
        rate: float = 1_800.0,
        toward: Place | None = None,
        gs: float | None = None,
    ) -> Track:
        """Descend at ``rate`` ft/min to ``to_ft`` (slowing to 250 kt below 10,000 ft)."""
        speed = gs if gs is not None else (250.0 if to_ft <= 10_000 else 320.0)
        self._run(
            1e9, gs=speed, accel=1.0, alt=to_ft, rate=rate, steer=self._steer(toward),
            until=lambda: self.alt <= to_ft,
        )  # fmt: skip
        return self

    def cruise(
        self,
        to: Place | None = None,
        stop_km: float = 0.0,
        minutes: float | None = None,
        gs: float | None = None,
    ) -> Track:
        """Level flight along the great circle to ``to`` until ``stop_km`` from it, or for
        ``minutes`` on the present track."""
        speed = gs if gs is not None else (450.0 if self.alt > 20_000 else 280.0)
        if to is None:
            self._run((minutes or 10.0) * 60, gs=speed, accel=1.0)
            return self
        lat, lon = _point(to)
        self._run(
            (minutes or 1e6) * 60, gs=speed, accel=1.0, steer=self._steer(to),
            until=lambda: distance_km(self.lat, self.lon, lat, lon) <= max(stop_km, 1.0),
        )  # fmt: skip
        return self

    def hop(self, to: str, cruise_ft: float = 24_000.0, **landing: Any) -> Track:
        """Take off from where it stands, climb, cruise, descend and land at ``to``
        (``land``'s options, e.g. going dark, pass on)."""
        f = field(to)
        self.takeoff(toward=to).climb(cruise_ft, toward=to)
        top_of_descent_km = (cruise_ft - f.elevation_ft - 3_000) / 1_000 * 5.6 + 10
        self.cruise(to=to, stop_km=top_of_descent_km)
        self.descend(f.elevation_ft + 3_000, toward=to)
        return self.land(to, **landing)

    def land(
        self,
        at: str,
        dark_below_agl_ft: float | None = None,
        dark_within_km: float | None = None,
        rollout: bool = True,
    ) -> Track:
        """Fly direct to ``at`` on (or down to) a 3° glide path, touch down and roll out to
        taxi speed; optionally go dark below a height or within a distance of the field."""
        self._glide(at, 0.0, dark_below_agl_ft, dark_within_km)
        self.on_ground, self.alt, self.vrate = True, self.elev, 0.0
        if rollout:
            self._run(1e9, gs=15.0, accel=3.0, until=lambda: self.gs <= 15.0)
        return self

    def touch_and_go(self, at: str, ground_s: float = 15.0, slowest_kt: float = 110.0) -> Track:
        """Touch down at ``at``, brake towards ``slowest_kt`` for ``ground_s`` on the runway,
        and take off again."""
        self._glide(at, 0.0, None, None)
        self.on_ground, self.alt, self.vrate = True, self.elev, 0.0
        self._run(ground_s, gs=slowest_kt, accel=5.0)
        return self.takeoff()

    def go_around(self, at: str, min_agl_ft: float = 200.0, to_agl_ft: float = 3_000.0) -> Track:
        """Fly the approach to ``at`` down to ``min_agl_ft`` and climb away straight ahead."""
        self._glide(at, min_agl_ft, None, None)
        return self.climb(self.elev + to_agl_ft, rate=2_000, gs=170.0)

    # -- output -----------------------------------------------------------------------------
    def table(self) -> pa.Table:
        """The rows as a canonical position table (``RAW_SCHEMA``)."""
        return pa.Table.from_pylist(self.rows, schema=RAW_SCHEMA)

    # -- machinery --------------------------------------------------------------------------
    def _steer(self, toward: Place | None) -> Callable[[], float] | None:
        if toward is None:
            return None
        lat, lon = _point(toward)
        return lambda: bearing(self.lat, self.lon, lat, lon)

    def _glide(
        self, at: str, floor_agl: float, dark_agl: float | None, dark_km: float | None
    ) -> None:
        """Direct to the field, descending to the glide path (≤ 2,500 ft/min), down to
        ``floor_agl`` above it; 250 kt far out, 140 kt inside 15 km."""
        f = field(at)
        self.elev = f.elevation_ft

        def dist() -> float:
            return distance_km(self.lat, self.lon, f.lat, f.lon)

        def profile(dt: float) -> None:
            d = dist()
            path = f.elevation_ft + max(GLIDE_FT_PER_NM * d / KM_PER_NM, floor_agl)
            new = max(path, self.alt - 2_500 * dt / 60) if self.alt > path else self.alt
            self.vrate = (new - self.alt) / dt * 60
            self.alt = new
            agl = self.alt - f.elevation_ft
            if (dark_agl is not None and agl <= dark_agl) or (dark_km is not None and d <= dark_km):
                self.dark = True

        def slow() -> float:
            return 140.0 if dist() < 15 else 250.0

        done = (lambda: dist() <= 0.3) if floor_agl <= 0 else (lambda: dist() <= 1.0)
        self._run(1e9, gs=slow, accel=1.5, steer=self._steer(at), vertical=profile, until=done)

    def _run(
        self,
        seconds: float,
        gs: float | Callable[[], float],
        accel: float,
        alt: float | None = None,
        rate: float = 0.0,
        steer: Callable[[], float] | None = None,
        vertical: Callable[[float], None] | None = None,
        until: Callable[[], bool] | None = None,
    ) -> None:
        """Advance in readsb-like steps for ``seconds`` or until ``until()``, emitting."""
        end, steps = self.t + seconds, 0
        while self.t < end and not (until is not None and until()):
            steps += 1
            if steps > MAX_STEPS:
                raise RuntimeError("track builder: the phase never ends (unreachable target?)")
            dt = self.rng.uniform(*self.spacing)
            target = gs() if callable(gs) else gs
            self.gs = _approach(self.gs, target, accel * dt)
            if steer is not None:
                self.track = self._turn(steer(), dt)
            km = self.gs * KM_PER_NM / 3600 * dt
            self.lat, self.lon = destination(self.lat, self.lon, self.track, km)
            if vertical is not None:
                vertical(dt)
            elif alt is not None:
                new = _approach(self.alt, alt, rate * dt / 60)
                self.vrate = (new - self.alt) / dt * 60
                self.alt = new
            else:
                self.vrate = 0.0
            self.t += dt
            self._emit()

    def _turn(self, target: float, dt: float) -> float:
        """Towards ``target`` at the standard rate (3°/s) in the air, at once on the ground."""
        diff = (target - self.track + 540.0) % 360.0 - 180.0
        if not self.on_ground:
            diff = max(-TURN_DEG_S * dt, min(TURN_DEG_S * dt, diff))
        return (self.track + diff) % 360.0

    def _emit(self) -> None:
        if self.dark:
            return
        lat, lon = self.lat, self.lon
        if self._spoof:
            km, course, to = self._spoof.pop()
            lat, lon = to if to is not None else destination(lat, lon, course, km)
        alt = None if self.on_ground else int(round(self.alt / 25.0) * 25)
        self.rows.append(
            {
                "time": datetime.fromtimestamp(round(self.t, 3), UTC),
                "icao24": self.icao24,
                "callsign": self.callsign,
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "alt_baro_ft": alt,
                "alt_geom_ft": None if alt is None else alt + 150,
                "gs_kt": round(self.gs, 1),
                "track_deg": round(self.track, 1),
                "vrate_fpm": None if self.on_ground else float(round(self.vrate / 64) * 64),
                "on_ground": self.on_ground,
                "squawk": "7001",
                "pos_source": "adsb",
                "new_leg": self._new_leg,
                "stale": False,
            }
        )
        self._new_leg = False
