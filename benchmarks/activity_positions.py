"""Flight profiles and their positions for the activity benchmark: numpy over all flights.

``Plan.shape`` gives every planned leg (activity_world.py) its numbers: distance, cruise level,
climb and descent times, airborne time so the great circle is flown at the aircraft's speeds,
taxi times, spacing, the kept time window (dark landings end above the field, dark takeoffs
start above it) and a cruise coverage gap. ``Plan.chunks`` expands them, vectorised, to tables
of ``basewatch.POSITION_SCHEMA``, flights in order of departure.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from activity_world import KM_PER_DEG, KTS_KM_S, START, YEAR_S, Fleet, Places, gc_km, unit

from basewatch import POSITION_SCHEMA


def _u(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return rng.uniform(lo, hi, n)


@dataclass
class Plan:
    """Every flight of the year with the numbers its positions follow (one row per flight)."""

    fleet: Fleet
    places: Places
    f: dict[str, np.ndarray]

    @property
    def positions(self) -> int:
        return int(self.f["n"].sum())

    @classmethod
    def shape(
        cls, rng: np.random.Generator, places: Places, fleet: Fleet, legs: dict[str, np.ndarray]
    ) -> Plan:
        """Profile numbers of each leg: distance, cruise, climb/descent times, airborne time,
        taxi times, spacing, the kept time window (dark ends) and a cruise coverage gap."""
        f = dict(legs)
        n, ac, o, d = len(f["ac"]), f["ac"], f["orig"], f["dest"]
        state, heli = fleet.state[ac], fleet.cruise_ft[ac] < 5_000
        f["d_km"] = gc_km(places.lat[o], places.lon[o], places.lat[d], places.lon[d])
        eo, ed = places.elev[o], places.elev[d]
        top = np.maximum(eo, ed)
        cruise = np.minimum(fleet.cruise_ft[ac], top + 4_000 + 60 * f["d_km"])
        f["cruise"] = cruise = np.maximum(cruise, top + 1_000)
        f["cr"], f["dr"] = fleet.climb_fps[ac], fleet.desc_fps[ac]
        f["tc"], f["td"] = (cruise - eo) / f["cr"], (cruise - ed) / f["dr"]
        f["v0"] = np.where(heli, 60.0, 160.0) * KTS_KM_S
        f["vc"] = vc = fleet.cruise_kt[ac] * KTS_KM_S
        long = (f["d_km"] + (vc - f["v0"]) * (f["tc"] + f["td"]) / 2) / vc
        f["ta"] = ta = np.maximum(long, f["tc"] + f["td"])
        f["dtot"] = _distance(f, ta)
        f["tx_o"] = np.where(heli, _u(rng, 60, 120, n), _u(rng, 300, 900, n))
        dark_agl = np.where(state, _u(rng, 1_500, 6_000, n), _u(rng, 1_500, 5_000, n))
        dl = f["dark_land"] = f["dark_land"] & ~heli  # helicopters fly below any dark level
        f["tx_i"] = np.where(dl, 0.0, np.where(heli, _u(rng, 60, 120, n), _u(rng, 180, 600, n)))
        f["w1"] = np.where(dl, f["tx_o"] + ta - dark_agl / f["dr"], f["tx_o"] + ta + f["tx_i"])
        f["w0"] = np.where(f["dark_takeoff"], f["tx_o"] + _u(rng, 2_000, 6_000, n) / f["cr"], 0.0)
        f["dt"] = np.where(state, _u(rng, 8, 40, n), _u(rng, 10, 60, n))
        cruise_s = ta - f["tc"] - f["td"]
        glen = np.minimum(_u(rng, 600, 3_600, n), cruise_s / 2)
        gap = (rng.random(n) < 0.15) & (cruise_s > 3_600)
        g0 = f["tx_o"] + f["tc"] + rng.random(n) * (cruise_s - glen)
        f["g0"], f["g1"] = np.where(gap, g0, 0.0), np.where(gap, g0 + glen, 0.0)
        span = np.floor((f["w1"] - f["w0"]) / f["dt"]).astype(np.int64) + 1
        lo = np.ceil((f["g0"] - f["w0"]) / f["dt"]).astype(np.int64)
        hi = np.ceil((f["g1"] - f["w0"]) / f["dt"]).astype(np.int64)
        f["span"] = span
        f["n"] = span - np.maximum(0, np.minimum(hi, span) - np.maximum(lo, 0))
        for end in ("o", "d"):
            r, a = _u(rng, 0.5, 2.5, n), _u(rng, 0, 2 * np.pi, n)
            f[f"gx_{end}"], f[f"gy_{end}"] = r * np.sin(a), r * np.cos(a)
        number = rng.integers(10, 9_999, n)
        f["callsign"] = np.array([f"{fleet.prefix[a]}{k}" for a, k in zip(ac, number, strict=True)])
        f["squawk"] = np.array([f"{s:04o}" for s in rng.integers(0, 0o7777, n)])
        f["mlat"] = rng.random(n) < np.where(state, 0.5, 0.03)
        f["geoid"] = _u(rng, -150, 250, n)
        f["month"] = (f["dep"] // (YEAR_S / 12)).astype(np.int64)
        order = np.argsort(f["dep"], kind="stable")
        return cls(fleet, places, {k: v[order] for k, v in f.items()})

    def arrival_s(self) -> np.ndarray:
        """Seconds after START each flight reached its destination (seen or not)."""
        return np.asarray(self.f["dep"] + self.f["tx_o"] + self.f["ta"])

    def chunks(self, rng: np.random.Generator, rows: int) -> Iterator[pa.Table]:
        """Positions, about ``rows`` at a time, flights in order of departure."""
        cum = np.cumsum(self.f["n"])
        bounds = np.searchsorted(cum, np.arange(rows, cum[-1] + rows, rows), side="left") + 1
        first = 0
        for last in np.unique(np.minimum(bounds, len(cum))):
            if last > first:
                yield self.expand(rng, slice(first, int(last)))
                first = int(last)

    def expand(self, rng: np.random.Generator, flights: slice) -> pa.Table:
        """The positions of ``flights``: taxi out from a gate, the great-circle leg, taxi in
        (or nothing below the dark altitude), every ``dt`` s with jitter, minus coverage gaps."""
        f = {k: v[flights] for k, v in self.f.items()}
        span = f["span"]
        fi = np.repeat(np.arange(len(span)), span)
        step = np.arange(len(fi)) - np.repeat(np.cumsum(span) - span, span)
        dt = f["dt"][fi]
        tt = f["w0"][fi] + step * dt
        keep = ~((tt >= f["g0"][fi]) & (tt < f["g1"][fi]))
        fi, tt, dt = fi[keep], tt[keep], dt[keep]
        tt += rng.random(len(tt)) * 0.3 * dt
        txo, ta = f["tx_o"][fi], f["ta"][fi]
        s = np.clip(tt - txo, 0.0, ta)
        lat, lon, track = self._airborne(f, fi, s)
        ground = (tt < txo) | (tt > txo + ta)
        self._taxi(f, fi, tt, ground, lat, lon, track)
        eo, ed = self.places.elev[f["orig"]][fi], self.places.elev[f["dest"]][fi]
        climb, descent = eo + f["cr"][fi] * s, ed + f["dr"][fi] * (ta - s)
        h = np.minimum(np.minimum(climb, f["cruise"][fi]), descent)
        vrate = np.where(h == climb, f["cr"][fi] * 60, np.where(h == descent, -f["dr"][fi] * 60, 0))
        vrate = np.where(ground, 0.0, np.round(vrate / 64 + rng.normal(0, 0.5, len(h))) * 64)
        ramp = np.minimum(1.0, np.minimum(s / f["tc"][fi], (ta - s) / f["td"][fi]))
        v0, vc = f["v0"][fi], f["vc"][fi]
        gs = (v0 + (vc - v0) * ramp) * (f["d_km"] / f["dtot"])[fi] / KTS_KM_S
        gs = np.where(ground, rng.uniform(0, 18, len(h)), gs)
        icao = pa.array(self.fleet.icao).take(pa.array(f["ac"][fi]))
        take = pa.array(fi)
        source = np.where(f["mlat"], "mlat", "adsb")
        start = START.timestamp() + f["dep"][fi] + tt
        arrays = [
            pa.array((start * 1e6).astype(np.int64), pa.timestamp("us", tz="UTC")),
            icao,
            pa.array(f["callsign"]).take(take),
            pa.array(lat),
            pa.array(lon),
            pa.array((np.round(h / 25) * 25).astype(np.int32), mask=ground),
            pa.array((h + f["geoid"][fi]).astype(np.int32), mask=ground),
            pa.array(gs.astype(np.float32)),
            pa.array(track.astype(np.float32)),
            pa.array(vrate.astype(np.float32)),
            pa.array(ground),
            pa.array(f["squawk"]).take(take),
            pa.array(source).take(take),
            pa.nulls(len(fi), pa.bool_()),
            pa.nulls(len(fi), pa.bool_()),
            pa.array(f["month"][fi] + 1),
        ]
        return pa.Table.from_arrays(arrays, schema=POSITION_SCHEMA)

    def _airborne(
        self, f: dict[str, np.ndarray], fi: np.ndarray, s: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Latitude, longitude and track along the great circle, ``s`` s after takeoff."""
        pl = self.places
        o, d = f["orig"], f["dest"]
        a, b = unit(pl.lat[o], pl.lon[o]), unit(pl.lat[d], pl.lon[d])
        omega = np.arccos(np.clip((a * b).sum(axis=1), -1.0, 1.0))
        frac = _distance(f, s, fi) / f["dtot"][fi]
        om = omega[fi]
        wa, wb = np.sin((1 - frac) * om) / np.sin(om), np.sin(frac * om) / np.sin(om)
        x = wa * a[fi, 0] + wb * b[fi, 0]
        y = wa * a[fi, 1] + wb * b[fi, 1]
        z = wa * a[fi, 2] + wb * b[fi, 2]
        horiz = np.hypot(x, y)
        lam = np.arctan2(y, x)
        phi2, lam2 = np.radians(pl.lat[d])[fi], np.radians(pl.lon[d])[fi]
        norm = np.sqrt(horiz**2 + z**2)
        sin_phi, cos_phi = z / norm, horiz / norm
        dl = lam2 - lam
        track = (
            np.degrees(
                np.arctan2(
                    np.sin(dl) * np.cos(phi2),
                    cos_phi * np.sin(phi2) - sin_phi * np.cos(phi2) * np.cos(dl),
                )
            )
            % 360
        )
        return np.degrees(np.arctan2(z, horiz)), np.degrees(lam), track

    def _taxi(
        self,
        f: dict[str, np.ndarray],
        fi: np.ndarray,
        tt: np.ndarray,
        ground: np.ndarray,
        lat: np.ndarray,
        lon: np.ndarray,
        track: np.ndarray,
    ) -> None:
        """Overwrite ground rows in place: gate → field reference point before takeoff, field →
        gate after landing."""
        g = np.flatnonzero(ground)
        gf = fi[g]
        out = tt[g] < f["tx_o"][gf]
        into = np.maximum(f["tx_i"][gf], 1.0)
        u = np.where(out, 1 - tt[g] / f["tx_o"][gf], (tt[g] - f["tx_o"][gf] - f["ta"][gf]) / into)
        place = np.where(out, f["orig"][gf], f["dest"][gf])
        gx = np.where(out, f["gx_o"][gf], f["gx_d"][gf])
        gy = np.where(out, f["gy_o"][gf], f["gy_d"][gf])
        plat = self.places.lat[place]
        lat[g] = plat + u * gy / KM_PER_DEG
        lon[g] = self.places.lon[place] + u * gx / (KM_PER_DEG * np.cos(np.radians(plat)))
        track[g] = np.degrees(np.arctan2(np.where(out, -gx, gx), np.where(out, -gy, gy))) % 360


def _ramp_integral(
    f: dict[str, np.ndarray], s: np.ndarray, idx: np.ndarray | slice = slice(None)
) -> np.ndarray:
    """∫₀ˢ min(1, u/tc, (ta-u)/td) du: the speed ramp of climb, cruise and descent."""
    tc, td, ta = f["tc"][idx], f["td"][idx], f["ta"][idx]
    peak_at = ta * tc / (tc + td)
    a = np.minimum(tc, peak_at)
    b = np.maximum(ta - td, peak_at)
    p = np.minimum(1.0, peak_at / tc)
    rise = np.minimum(s, a) ** 2 / (2 * tc)
    flat = p * np.clip(s - a, 0, np.maximum(b - a, 0))
    fall = ((ta - b) ** 2 - (ta - np.clip(s, b, ta)) ** 2) / (2 * td)
    return np.asarray(rise + flat + fall)


def _distance(
    f: dict[str, np.ndarray], s: np.ndarray, idx: np.ndarray | slice = slice(None)
) -> np.ndarray:
    """Unscaled km flown ``s`` seconds after takeoff."""
    return np.asarray(f["v0"][idx] * s + (f["vc"][idx] - f["v0"][idx]) * _ramp_integral(f, s, idx))
