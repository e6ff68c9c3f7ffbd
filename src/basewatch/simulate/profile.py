"""Vertical and speed profiles: takeoff roll, climb, cruise, descent on a ~3° path, final approach
on the 3° glide slope, landing roll — as time knots of distance along the path and altitude.

Climb and descent are integrated on an altitude grid (vectorised): indicated airspeed schedules
(250 kt below 10,000 ft), true airspeed from the ISA density ratio, ground speed with an
along-track wind growing with height; the cruise level is lowered for short legs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from basewatch.simulate.geo import KT_MS, Floats

GLIDE_FPM_PER_KT = 6076.12 / 60.0 * np.tan(np.radians(3.0))  # 3° path: fpm per kt of GS
STEP_FT = 50.0
MIN_CRUISE_M = 10_000.0


@dataclass(frozen=True)
class Performance:
    """Speeds (kt), rates (ft/min) and accelerations (m/s²) of a type, as flown."""

    v_rotate_kt: float
    v_approach_kt: float
    climb_fpm: float
    cruise_tas_kt: float
    ceiling_ft: float
    accel_ms2: float
    decel_ms2: float = 2.0
    climb_ias_kt: float = 290.0


PERFORMANCE = {
    "IL76": Performance(150, 140, 1800, 440, 36_000, 1.6),
    "A124": Performance(155, 145, 1500, 445, 36_000, 1.4),
    "IL62": Performance(160, 150, 2000, 460, 38_000, 1.6),
    "T154": Performance(155, 140, 2600, 470, 38_000, 2.0),
    "T204": Performance(150, 135, 2400, 450, 38_000, 2.0),
    "A320": Performance(145, 133, 2500, 450, 38_000, 2.1),
    "A321": Performance(150, 138, 2300, 450, 38_000, 2.0),
}


@dataclass
class Knots:
    """A trajectory sampled at knots: time (s), distance along the path (m), baro altitude (ft),
    ground speed (kt), vertical rate (ft/min), on the ground, and a phase code."""

    t: Floats
    s: Floats
    alt: Floats
    gs: Floats
    vrate: Floats
    ground: Floats
    phase: Floats

    @classmethod
    def join(cls, parts: list[Knots]) -> Knots:
        return cls(*(np.concatenate([getattr(p, k) for p in parts]) for k in _FIELDS))

    def shifted(self, dt: float, ds: float) -> Knots:
        return Knots(
            self.t + dt, self.s + ds, self.alt, self.gs, self.vrate, self.ground, self.phase
        )


_FIELDS = ("t", "s", "alt", "gs", "vrate", "ground", "phase")

# phase codes (also pick the reporting interval, see emit.py)
PARKED, TAXI, ROLL, LOW, CLIMB, CRUISE, DESCENT = range(7)


def _knots(
    t: Floats,
    s: Floats,
    alt: Floats | float,
    gs: Floats | float,
    vr: Floats | float,
    ground: bool,
    phase: int,
) -> Knots:
    n = len(t)
    return Knots(
        np.asarray(t, float),
        np.asarray(s, float),
        np.broadcast_to(np.asarray(alt, float), (n,)).copy(),
        np.broadcast_to(np.asarray(gs, float), (n,)).copy(),
        np.broadcast_to(np.asarray(vr, float), (n,)).copy(),
        np.full(n, float(ground)),
        np.full(n, float(phase)),
    )


def _tas(ias: Floats, h: Floats) -> Floats:
    sigma = (1 - 6.8756e-6 * np.minimum(h, 36_089.0)) ** 4.2559
    return np.asarray(ias / np.sqrt(sigma))


def _integrate(h: Floats, gs: Floats, rate: Floats) -> tuple[Floats, Floats]:
    """Time (s) and distance (m) from the grid's first altitude to each altitude."""
    dh = np.diff(h)
    r = (rate[1:] + rate[:-1]) / 2
    g = (gs[1:] + gs[:-1]) / 2
    dt = np.abs(dh) / r * 60.0
    t = np.concatenate(([0.0], np.cumsum(dt)))
    s = np.concatenate(([0.0], np.cumsum(g * KT_MS * dt)))
    return t, s


def _grid(bottom: float, top: float) -> Floats:
    n = max(2, int(np.ceil((top - bottom) / STEP_FT)) + 1)
    return np.linspace(bottom, top, n)


def climb_table(h0: float, top: float, p: Performance, wind: float) -> tuple[Floats, ...]:
    """Altitude grid from ``h0`` to ``top``: time, distance, ground speed, rate of climb."""
    h = _grid(h0, top)
    agl = h - h0
    low = np.interp(agl, [0, 1000, 3000], [p.v_rotate_kt + 10, p.v_rotate_kt + 35, 250])
    ias = np.where(h < 10_000, low, np.interp(h, [10_000, 12_000], [250, p.climb_ias_kt]))
    tas = np.minimum(_tas(ias, h), p.cruise_tas_kt)
    gs = tas + wind * np.clip(h / 25_000, 0, 1)
    rate = p.climb_fpm * np.interp(h, [0, 10_000, 25_000, 41_000], [1.0, 0.85, 0.55, 0.3])
    rate *= np.interp(top - h, [0, 1000], [0.4, 1.0])
    t, s = _integrate(h, gs, rate)
    return h, t, s, gs, rate


def descent_table(
    h1: float, top: float, p: Performance, wind: float, steep: float
) -> tuple[Floats, ...]:
    """Altitude grid from ``h1`` (touchdown) up to ``top``: time and distance *before*
    touchdown, ground speed, rate of descent (3° glide below 3,000 ft, ``steep``× above)."""
    h = _grid(h1, top)
    agl = h - h1
    low = np.interp(agl, [0, 1500, 3000, 7000], [p.v_approach_kt] * 2 + [p.v_approach_kt + 30, 250])
    ias = np.where(h < 10_000, low, np.interp(h, [10_000, 11_000], [250, p.climb_ias_kt]))
    tas = np.minimum(_tas(ias, h), p.cruise_tas_kt)
    gs = tas + wind * np.clip(h / 25_000, 0, 1)
    angle = np.interp(agl, [2500, 4000], [1.0, steep])
    rate = np.minimum(gs * GLIDE_FPM_PER_KT * angle, 3200.0)
    rate *= np.interp(top - h, [0, 800], [0.35, 1.0])
    t, s = _integrate(h, gs, rate)
    return h, t, s, gs, rate


def cruise_level(distance_m: float, h0: float, h1: float, p: Performance, wanted: float) -> float:
    """The highest level up to ``wanted`` that leaves ``MIN_CRUISE_M`` of level flight."""
    top = min(wanted, p.ceiling_ft)
    for _ in range(40):
        c = climb_table(h0, top, p, 0.0)[2][-1]
        d = descent_table(h1, top, p, 0.0, 1.0)[2][-1]
        if c + d <= distance_m - MIN_CRUISE_M or top <= max(h0, h1) + 2000:
            return float(top)
        top = max(max(h0, h1) + 2000, top - 1000)
    return float(top)


def airborne(
    distance_m: float, h0: float, h1: float, p: Performance, level: float, wind: float, steep: float
) -> Knots:
    """Knots from lift-off (``h0``, s = 0) to touchdown (``h1``, s = ``distance_m``)."""
    top = cruise_level(distance_m, h0, h1, p, level)
    ch, ct, cs, cg, cr = climb_table(h0, top, p, wind)
    dh, dt, ds, dg, dr = descent_table(h1, top, p, wind, steep)
    climb = _knots(ct, cs, ch, cg, cr, False, CLIMB)
    climb.phase[ch - h0 < 3000] = LOW
    cruise_m = max(distance_m - cs[-1] - ds[-1], 0.0)
    gs_c = float(cg[-1])
    s_c = np.linspace(0.0, cruise_m, max(2, int(cruise_m / (gs_c * KT_MS * 20.0)) + 1))[1:-1]
    cruise = _knots(ct[-1] + s_c / (gs_c * KT_MS), cs[-1] + s_c, top, gs_c, 0.0, False, CRUISE)
    t_desc = float(ct[-1]) + cruise_m / (gs_c * KT_MS)  # top of descent
    s_desc = float(cs[-1]) + cruise_m
    # the descent table runs up from touchdown: reverse it into time order
    down = slice(None, None, -1)
    desc = _knots(
        t_desc + dt[-1] - dt[down], s_desc + ds[-1] - ds[down], dh[down], dg[down], -dr[down],
        False, DESCENT,
    )  # fmt: skip
    desc.phase[dh[down] - h1 < 3000] = LOW
    knots = Knots.join([climb, cruise, desc])
    # the legs' ends meet exactly: stretch the distance so touchdown lands at distance_m
    knots.s *= distance_m / max(float(knots.s[-1]), 1.0)
    return knots


def takeoff_roll(p: Performance, elev: float) -> Knots:
    """From standing on the runway start to rotation (1 s knots)."""
    v_end = p.v_rotate_kt * KT_MS
    t = np.arange(0.0, v_end / p.accel_ms2, 1.0)
    t = np.append(t, v_end / p.accel_ms2)
    v = p.accel_ms2 * t
    return _knots(t, p.accel_ms2 * t**2 / 2, elev, v / KT_MS, 0.0, True, ROLL)


def landing_roll(p: Performance, elev: float, exit_kt: float) -> Knots:
    """From touchdown (s = 0) to ``exit_kt`` on the runway (1 s knots)."""
    v0 = (p.v_approach_kt - 5) * KT_MS
    v1 = exit_kt * KT_MS
    span = (v0 - v1) / p.decel_ms2
    t = np.append(np.arange(0.0, span, 1.0), span)
    v = v0 - p.decel_ms2 * t
    return _knots(t, v0 * t - p.decel_ms2 * t**2 / 2, elev, v / KT_MS, 0.0, True, ROLL)


def taxi(length_m: float, speed_kt: float, elev: float) -> Knots:
    """Constant-speed taxi over ``length_m`` (knots every ~4 s)."""
    v = speed_kt * KT_MS
    span = length_m / v
    t = np.linspace(0.0, span, max(2, int(span / 4.0) + 1))
    return _knots(t, t * v, elev, speed_kt, 0.0, True, TAXI)


def parked(seconds: float, elev: float) -> Knots:
    """Standing still (two knots)."""
    return _knots(np.array([0.0, seconds]), np.zeros(2), elev, 0.0, 0.0, True, PARKED)
