"""What a receiver network records of a trajectory: readsb-like point spacing (dense on the ground,
low down and in turns, sparse in cruise), only while the transponder is on and heard."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from basewatch.simulate.coverage import Coverage
from basewatch.simulate.fly import Trajectory
from basewatch.simulate.geo import Bools, Floats
from basewatch.simulate.noise import Noise, add_noise
from basewatch.simulate.profile import CLIMB, CRUISE, DESCENT, LOW, PARKED, ROLL, TAXI

#: Seconds between trace points by phase (readsb writes a point when something changed enough).
INTERVAL_S = {PARKED: 35.0, TAXI: 3.0, ROLL: 1.2, LOW: 2.5, CLIMB: 7.0, DESCENT: 7.0, CRUISE: 16.0}
TURNING_S = 4.5
TURN_DEG_S = 0.4
MLAT_SLOWER = 1.7


@dataclass
class Points:
    """Recorded points of one flight, one array per trace column (NaN = absent)."""

    icao24: str
    flight: str
    t: Floats
    lat: Floats
    lon: Floats
    alt: Floats
    ground: Bools
    gs: Floats
    track: Floats
    vrate: Floats
    alt_geom: Floats
    geom_rate: Floats
    ias: Floats
    roll: Floats
    stale: Bools
    new_leg: Bools
    geom_only: Bools  # flag 8: the altitude field is geometric (no baro)
    mlat: bool
    noise: list[Noise]

    def __len__(self) -> int:
        return len(self.t)


def _intervals(traj: Trajectory) -> tuple[Floats, Floats]:
    """Knot times and the reporting interval at each knot."""
    k = traj.knots
    base = np.vectorize(INTERVAL_S.__getitem__, otypes=[float])(k.phase.astype(int))
    high = (k.phase == LOW) & (k.alt - min(traj.elevations) > 10_000)
    base = np.where(high, INTERVAL_S[CLIMB], base)
    _, _, track = traj.path.at(k.s)
    turn = np.abs((np.diff(track) + 540.0) % 360.0 - 180.0) / np.maximum(np.diff(k.t), 1e-3)
    turning = np.concatenate((turn, [0.0])) > TURN_DEG_S
    airborne = k.ground == 0
    return k.t, np.where(turning & airborne, np.minimum(base, TURNING_S), base)


def emission_times(traj: Trajectory, rng: np.random.Generator) -> Floats:
    """Times of the points a receiver would keep, before coverage: a jittered process whose
    rate follows the phase (the rate integrated over time, inverted at jittered integers)."""
    t, interval = _intervals(traj)
    if not traj.plan.aircraft.adsb:
        interval = interval * MLAT_SLOWER
    rate = 1.0 / interval
    area = np.concatenate(([0.0], np.cumsum((rate[1:] + rate[:-1]) / 2 * np.diff(t))))
    n = int(area[-1])
    targets = np.arange(n) + 0.5 + rng.uniform(-0.35, 0.35, n)
    times = np.interp(targets, area, t)
    return times[(times >= traj.t_on) & (times <= traj.t_off)]


def record(traj: Trajectory, coverage: Coverage, rng: np.random.Generator, flight: str) -> Points:
    """The points of ``traj`` that the network records, with readsb-style noise."""
    times = emission_times(traj, rng)
    st = traj.state(times)
    adsb, mlat = coverage.heard(st["lat"], st["lon"], traj.height_ft(st), rng)
    keep: Bools = adsb
    if not traj.plan.aircraft.adsb:
        keep = mlat & ~st["ground"].astype(bool) & (rng.random(len(times)) > 0.2)
    st = {k: v[keep] for k, v in st.items()}
    return add_noise(traj, st, rng, flight)
