"""Fly a flight plan: the whole movement from stand to stand as one trajectory (path + knots),
with the times the transponder is on (off on a dark approach, late on a dark departure)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from basewatch.simulate.fleet import Aircraft
from basewatch.simulate.geo import Floats, State, bearing_deg, distance_m
from basewatch.simulate.paths import Path, Waypoints, air_path, concat, runway_heading, taxi_path
from basewatch.simulate.places import Field
from basewatch.simulate.places import field as airport
from basewatch.simulate.profile import (
    PERFORMANCE,
    Knots,
    airborne,
    landing_roll,
    parked,
    takeoff_roll,
    taxi,
)

TOUCHDOWN_M = 300.0  # past the threshold, on a 3° glide crossing it at 50 ft
JOIN_S = 0.001  # knots of consecutive phases are this far apart in time
FINAL_M = (15_000.0, 16_500.0, 18_000.0, 19_500.0)  # final approach lengths flown


@dataclass(frozen=True)
class FlightPlan:
    """What the story asks of one flight (times are epoch seconds, UTC)."""

    aircraft: Aircraft
    callsign: str
    squawk: str
    origin: str
    destination: str
    off_block: float
    route: Waypoints
    kind: str
    level_ft: float
    note: str = ""
    dark_approach: bool = False
    dark_departure: bool = False
    #: a low approach and go-around on the way: (lat, lon, height above OSLK in ft); the
    #: point is one of the route's waypoints
    low_pass: tuple[float, float, float] | None = None
    on_before_s: float = 300.0
    on_after_s: float = 120.0
    #: the dark approach switches off below this height within this distance (ft, km)
    dark_ft: float = 6000.0
    dark_km: float = 40.0


@dataclass
class Trajectory:
    """A flown plan: the ground track, knots along it, events and the transponder window."""

    plan: FlightPlan
    path: Path
    knots: Knots
    liftoff: float
    touchdown: float
    on_block: float
    t_on: float
    t_off: float
    elevations: tuple[float, float]  # baro elevation of departure and arrival fields (ft)
    geom_offset: tuple[float, float]  # geometric minus baro altitude at each field (ft)
    wind_kt: float
    isa: float  # geometric altitude grows by this share of the baro altitude (a warm air mass)
    extra: dict[str, float] = field(default_factory=dict)

    def state(self, t: Floats) -> State:
        """Position, altitude, speeds and phase at times ``t`` (inside the trajectory)."""
        k = self.knots
        s = np.interp(t, k.t, k.s)
        lat, lon, track = self.path.at(s)
        i = np.clip(np.searchsorted(k.t, t, side="right") - 1, 0, len(k.t) - 1)
        return {
            "t": t,
            "s": s,
            "lat": lat,
            "lon": lon,
            "track": track,
            "alt": np.interp(t, k.t, k.alt),
            "gs": np.interp(t, k.t, k.gs),
            "vrate": np.interp(t, k.t, k.vrate),
            "ground": k.ground[i] > 0,
            "phase": k.phase[i],
        }

    def shifted(self, dt: float) -> Trajectory:
        """The same flight ``dt`` seconds later."""
        return Trajectory(
            replace(self.plan, off_block=self.plan.off_block + dt),
            self.path,
            self.knots.shifted(dt, 0.0),
            self.liftoff + dt,
            self.touchdown + dt,
            self.on_block + dt,
            self.t_on + dt,
            self.t_off + dt,
            self.elevations,
            self.geom_offset,
            self.wind_kt,
            self.isa,
            {k: v + dt for k, v in self.extra.items()},
        )

    def height_ft(self, st: State) -> Floats:
        """Height above the ground under the aircraft (the nearer field's elevation)."""
        plan = self.plan
        a, b = airport(plan.origin), airport(plan.destination)
        nearer_a = distance_m(st["lat"], st["lon"], a.lat, a.lon) < distance_m(
            st["lat"], st["lon"], b.lat, b.lon
        )
        elev = np.where(nearer_a, self.elevations[0], self.elevations[1])
        return np.where(st["ground"], 0.0, np.maximum(st["alt"] - elev, 0.0))

    def geom_ft(self, st: State) -> Floats:
        """Geometric (GNSS, above the ellipsoid) altitude of baro altitudes ``st["alt"]``."""
        offset = np.interp(st["s"] / max(self.path.length, 1.0), [0, 1], self.geom_offset)
        return np.asarray(st["alt"] * (1 + self.isa) + offset)


def _chain(parts: list[Knots], start: float) -> Knots:
    """Phases one after the other in time, starting at ``start``."""
    out, t = [], start
    for p in parts:
        out.append(p.shifted(t - p.t[0], 0.0))
        t = float(out[-1].t[-1]) + JOIN_S
    return Knots.join(out)


def fly(plan: FlightPlan, rng: np.random.Generator) -> Trajectory:
    """The trajectory of ``plan`` (all randomness from ``rng``)."""
    dep, arr = airport(plan.origin), airport(plan.destination)
    first = plan.route[0] if plan.route else (arr.lat, arr.lon)
    last = plan.route[-1] if plan.route else (dep.lat, dep.lon)
    dep_hdg = runway_heading(dep, float(bearing_deg(dep.lat, dep.lon, *first)), rng.random() < 0.75)
    arr_hdg = runway_heading(arr, float(bearing_deg(*last, arr.lat, arr.lon)), rng.random() < 0.7)
    air, marks = air_path(dep, dep_hdg, arr, arr_hdg, plan.route, float(rng.choice(FINAL_M)))
    qnh = np.clip(rng.normal(0.0, 120.0, 2), -300, 300)  # pressure altitude of the fields
    elev = (dep.elevation_ft - float(qnh[0]), arr.elevation_ft - float(qnh[1]))
    wind = float(np.clip(rng.normal(0.0, 12.0), -25, 25))
    perf = PERFORMANCE[plan.aircraft.type_code]
    roll = takeoff_roll(perf, elev[0])
    s_lift, s_td = float(roll.s[-1]), marks["threshold"] + TOUCHDOWN_M
    legs = _airborne(plan, marks, s_lift, s_td, elev, wind, float(rng.uniform(1.0, 1.15)))
    stop = landing_roll(perf, elev[1], float(rng.uniform(18, 25)))
    s_stop = s_td + float(stop.s[-1])
    taxi_out = taxi_path(dep, dep_hdg, -dep.runway_m / 2, float(rng.uniform(-600, 600)), True)
    along_stop = s_stop - marks["threshold"] - arr.runway_m / 2
    taxi_in = taxi_path(arr, arr_hdg, along_stop, float(rng.uniform(-600, 600)), False)
    flown = air.cut(s_stop)
    path = concat(taxi_out, flown, taxi_in)
    o1, o2 = taxi_out.length, taxi_out.length + flown.length
    v_taxi = rng.uniform(12, 20, 2)
    ground_out = [
        parked(plan.on_before_s, elev[0]),
        taxi(taxi_out.length, float(v_taxi[0]), elev[0]),
        parked(float(rng.uniform(10, 45)), elev[0]).shifted(0.0, o1),  # lined up, waiting
        roll.shifted(0.0, o1),
    ]
    ground_in = [
        stop.shifted(0.0, o1 + s_td),
        taxi(taxi_in.length, float(v_taxi[1]), elev[1]).shifted(0.0, o2),
        parked(plan.on_after_s, elev[1]).shifted(0.0, path.length),
    ]
    knots = _chain(
        [*ground_out, *(leg.shifted(0.0, o1 + s_lift) for leg in legs), *ground_in],
        plan.off_block - plan.on_before_s,
    )
    n_out, n_air = sum(len(p.t) for p in ground_out), sum(len(leg.t) for leg in legs)
    geoid = 80.0  # the ellipsoid lies ~25 m below the geoid around the eastern Mediterranean
    traj = Trajectory(
        plan=plan,
        path=path,
        knots=knots,
        liftoff=float(knots.t[n_out - 1]),
        touchdown=float(knots.t[n_out + n_air - 1]),
        on_block=float(knots.t[-1]) - plan.on_after_s,
        t_on=float(knots.t[0]),
        t_off=float(knots.t[-1]),
        elevations=elev,
        geom_offset=(float(qnh[0]) + geoid, float(qnh[1]) + geoid),
        wind_kt=wind,
        isa=float(rng.uniform(-0.02, 0.04)),
    )
    _transponder(traj, dep, arr, rng)
    return traj


def _airborne(
    plan: FlightPlan,
    marks: dict[str, float],
    s_lift: float,
    s_td: float,
    elev: tuple[float, float],
    wind: float,
    steep: float,
) -> list[Knots]:
    """Lift-off to touchdown; a low pass splits it at its waypoint: down to the pass height on
    the approach schedule, then up again as after a takeoff (the go-around)."""
    perf = PERFORMANCE[plan.aircraft.type_code]
    if plan.low_pass is None:
        return [airborne(s_td - s_lift, elev[0], elev[1], perf, plan.level_ft, wind, steep)]
    s_low = marks[f"wp{plan.route.index(plan.low_pass[:2])}"]
    h_low = airport("OSLK").elevation_ft + plan.low_pass[2]
    down = airborne(s_low - s_lift, elev[0], h_low, perf, plan.level_ft, wind, steep)
    up = airborne(s_td - s_low, h_low, elev[1], perf, plan.level_ft, wind, steep)
    return [down, up.shifted(0.0, s_low - s_lift)]


def _transponder(traj: Trajectory, dep: Field, arr: Field, rng: np.random.Generator) -> None:
    """Set the window when the transponder is on: late after a dark departure, early off on a
    dark approach (below ``dark_ft`` within ``dark_km`` of the field)."""
    plan, k = traj.plan, traj.knots
    air = (k.t > traj.liftoff) & (k.t < traj.touchdown)
    if plan.dark_departure:
        gone = distance_m(*traj.path.at(k.s)[:2], dep.lat, dep.lon) / 1000
        h = k.alt - traj.elevations[0]
        on_ft, on_km = rng.uniform(3000, 9000), rng.uniform(20, 50)
        ok = np.flatnonzero(air & (h >= on_ft) & (gone >= on_km))
        traj.t_on = float(k.t[ok[0]]) if len(ok) else traj.liftoff + 600.0
        traj.extra["dark_departure_on"] = traj.t_on
    if plan.dark_approach:
        near = distance_m(*traj.path.at(k.s)[:2], arr.lat, arr.lon) / 1000
        h = k.alt - traj.elevations[1]
        late = k.t > (traj.liftoff + traj.touchdown) / 2
        off = np.flatnonzero(air & late & (h <= plan.dark_ft) & (near <= plan.dark_km))
        traj.t_off = float(k.t[off[0]]) if len(off) else traj.touchdown - 300.0
        traj.extra["dark_approach_off"] = traj.t_off
