"""readsb-style imperfections: position jitter (metres for ADS-B, ~100 m for MLAT), quantised
altitudes and rates, geometric altitude offset, stale points, the new-leg flag, a few bad CPR
decodes (position jumps of degrees) and altitude glitches — the last two listed in the truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from basewatch.simulate.geo import EARTH_M, KT_MS, Bools, Floats, State

if TYPE_CHECKING:
    from basewatch.simulate.emit import Points
    from basewatch.simulate.fly import Trajectory

STALE_SHARE = 0.025
GEOM_ONLY_SHARE = 0.003
BAD_DECODE_P = 0.15
ALT_GLITCH_P = 0.1


@dataclass(frozen=True)
class Noise:
    """One deliberately wrong point: its aircraft, time (epoch s) and what is wrong."""

    icao24: str
    time: float
    kind: str  # "bad-decode" (position) or "altitude-glitch"


def _quantise(x: Floats, step: float) -> Floats:
    return np.asarray(np.round(x / step) * step, dtype=np.float64)


def _ias(gs: Floats, alt: Floats, wind: float) -> Floats:
    sigma = (1 - 6.8756e-6 * np.minimum(alt, 36_089.0)) ** 4.2559
    tas = gs - wind * np.clip(alt / 25_000, 0, 1)
    return np.asarray(np.round(tas * np.sqrt(sigma)))


def _roll(t: Floats, track: Floats, gs: Floats) -> Floats:
    """Bank angle (degrees) of a coordinated turn at the track rate between neighbours."""
    if len(t) < 3:
        return np.zeros(len(t))
    dtrack = np.gradient(np.unwrap(np.radians(track)), t)
    bank = np.degrees(np.arctan(gs * KT_MS * dtrack / 9.81))
    return np.asarray(np.clip(np.round(bank, 1), -35, 35))


def add_noise(traj: Trajectory, st: State, rng: np.random.Generator, flight: str) -> Points:
    """Recorded columns of ``st`` (a trajectory's true states at the kept times)."""
    from basewatch.simulate.emit import Points

    n = len(st["t"])
    mlat = not traj.plan.aircraft.adsb
    ground = st["ground"].astype(bool)
    air = ~ground
    sigma = 120.0 if mlat else 3.0
    north, east = rng.normal(0.0, sigma, (2, n))
    if mlat:
        wild = rng.random(n) < 0.03
        north[wild] *= 4
        east[wild] *= 4
    lat = st["lat"] + np.degrees(north / EARTH_M)
    lon = st["lon"] + np.degrees(east / (EARTH_M * np.cos(np.radians(st["lat"]))))
    alt = np.where(ground, np.nan, _quantise(st["alt"], traj.plan.aircraft.alt_step_ft))
    geom = _quantise(traj.geom_ft(st), 25.0)
    adsb_air = air & (not mlat)

    def airborne_adsb(values: Floats, keep: Bools | None = None) -> Floats:
        mask = adsb_air if keep is None else adsb_air & keep
        return np.where(mask, values, np.nan)

    cols: dict[str, Floats] = {
        "gs": _quantise(np.maximum(st["gs"] + rng.normal(0, 0.4, n), 0.0), 0.1),
        "track": _quantise((st["track"] + rng.normal(0, 0.3, n)) % 360.0, 0.1),
        "vrate": airborne_adsb(_quantise(st["vrate"] + rng.normal(0, 80, n), 64.0)),
        "alt_geom": airborne_adsb(geom),
        "geom_rate": airborne_adsb(_quantise(st["vrate"] + rng.normal(0, 60, n), 32.0)),
        "ias": airborne_adsb(_ias(st["gs"], st["alt"], traj.wind_kt)),
        "roll": airborne_adsb(_roll(st["t"], st["track"], st["gs"]), rng.random(n) < 0.6),
    }
    stale = rng.random(n) < STALE_SHARE
    for key in ("gs", "track", "vrate", "geom_rate", "ias", "roll", "alt_geom"):
        cols[key] = np.where(stale, np.nan, cols[key])
    geom_only = adsb_air & ~stale & (rng.random(n) < GEOM_ONLY_SHARE)
    alt = np.where(geom_only, cols["alt_geom"], alt)
    cols["alt_geom"] = np.where(geom_only, np.nan, cols["alt_geom"])
    new_leg = np.zeros(n, bool)
    new_leg[:1] = True
    noise = _glitches(traj, st["t"], lat, lon, alt, air, rng)
    return Points(
        icao24=traj.plan.aircraft.icao24,
        flight=flight,
        t=st["t"],
        lat=lat,
        lon=lon,
        alt=alt,
        ground=ground,
        gs=cols["gs"],
        track=cols["track"],
        vrate=cols["vrate"],
        alt_geom=cols["alt_geom"],
        geom_rate=cols["geom_rate"],
        ias=cols["ias"],
        roll=cols["roll"],
        stale=stale,
        new_leg=new_leg,
        geom_only=geom_only,
        mlat=mlat,
        noise=noise,
    )


def _glitches(
    traj: Trajectory,
    t: Floats,
    lat: Floats,
    lon: Floats,
    alt: Floats,
    air: Bools,
    rng: np.random.Generator,
) -> list[Noise]:
    """Bad CPR decodes and altitude glitches, in place, on high points well inside the flight
    whose neighbours are close in time (so the excursion is out and back)."""
    n = len(t)
    out: list[Noise] = []
    if n < 30:
        return out
    close = np.zeros(n, bool)
    close[1:-1] = (np.diff(t)[1:] < 60) & (np.diff(t)[:-1] < 60)
    inside = (np.arange(n) > 10) & (np.arange(n) < n - 10)
    ok = np.flatnonzero(close & air & (alt > 15_000) & inside)
    if not len(ok):
        return out
    icao = traj.plan.aircraft.icao24
    if traj.plan.aircraft.adsb and rng.random() < BAD_DECODE_P:
        i = int(rng.choice(ok))
        jump = rng.uniform(0.3, 3.0) * rng.choice([-1.0, 1.0])
        if rng.random() < 0.5:
            lat[i] += jump
        else:
            lon[i] += jump
        out.append(Noise(icao, float(t[i]), "bad-decode"))
    if rng.random() < ALT_GLITCH_P:
        i = int(rng.choice(ok))
        if not out or out[0].time != float(t[i]):
            alt[i] += float(rng.choice([-1.0, 1.0]) * rng.choice([1000.0, 2000.0, 4000.0]))
            out.append(Noise(icao, float(t[i]), "altitude-glitch"))
    return sorted(out, key=lambda x: x.time)
