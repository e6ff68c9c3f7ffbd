"""The ground truth of a simulated scenario: aircraft, every flight as flown, and what an analysis
of the files should find (each state arrival at Hmeimim, the pause, the resumption, the An-124's
three arrivals, the Il-76's route, the distractors it must not count, the noise it must drop)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from basewatch.simulate.emit import Points
from basewatch.simulate.fleet import FLEET, Aircraft
from basewatch.simulate.geo import distance_m
from basewatch.simulate.places import field as airport
from basewatch.simulate.planner import DAY, Calendar, Flown

#: Tolerances the truth states for recovered arrival times (s) and the pause (days).
TOLERANCE = {"arrival_observed_s": 300, "arrival_dark_s": 2700, "pause_days": 1}
OBSERVED_KM = 8.0
OBSERVED_AGL_FT = 1000.0


def iso(t: float | None) -> str | None:
    """ISO 8601 UTC with Z, whole seconds."""
    if t is None:
        return None
    return datetime.fromtimestamp(round(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seen_at(points: Points, icao: str, after: float | None, before: float | None) -> bool:
    """Whether the recorded points show the aircraft on (or just above) the field ``icao``."""
    f = airport(icao)
    sel = np.ones(len(points), bool)
    if after is not None:
        sel &= points.t >= after
    if before is not None:
        sel &= points.t <= before
    near = distance_m(points.lat, points.lon, f.lat, f.lon) <= OBSERVED_KM * 1000
    low = points.ground.astype(bool) | (points.alt - f.elevation_ft <= OBSERVED_AGL_FT)
    return bool(np.any(sel & near & low))


def flight_row(fid: str, flown: Flown, points: Points) -> dict[str, Any]:
    """One flight of the truth: plan, actual times and what the files show of it."""
    plan, traj = flown.plan, flown.traj
    row: dict[str, Any] = {
        "id": fid,
        "icao24": plan.aircraft.icao24,
        "callsign": plan.callsign,
        "from": plan.origin,
        "to": plan.destination,
        "takeoff_time": iso(traj.liftoff),
        "landing_time": iso(traj.touchdown),
        "kind": plan.kind,
        "dark_approach": plan.dark_approach,
        "dark_departure": plan.dark_departure,
        "mlat_only": not plan.aircraft.adsb,
        "note": plan.note,
        "positions": len(points),
        "first_seen": iso(float(points.t[0])) if len(points) else None,
        "last_seen": iso(float(points.t[-1])) if len(points) else None,
        "takeoff_observed": _seen_at(points, plan.origin, None, traj.liftoff + 120),
        "landing_observed": _seen_at(points, plan.destination, traj.touchdown - 120, None),
        "crosses_midnight": bool(len(points) and points.t[0] // DAY != points.t[-1] // DAY),
    }
    if plan.low_pass is not None:
        lat, lon, height = plan.low_pass
        row["low_pass"] = {"lat": lat, "lon": lon, "height_ft": round(height)}
    return row


def _aircraft_row(ac: Aircraft) -> dict[str, Any]:
    return {
        "icao24": ac.icao24,
        "registration": ac.registration,
        "type": ac.type_code,
        "desc": ac.desc,
        "operator": ac.operator,
        "category": ac.category,
        "db_flags": ac.db_flags,
        "mlat_only": not ac.adsb,
    }


def build_truth(
    seed: int,
    calendar: Calendar,
    flights: list[tuple[str, Flown, Points]],
    roles: dict[str, Aircraft],
    files: dict[str, str],
) -> dict[str, Any]:
    """The truth document (JSON-ready, deterministic)."""
    rows = [flight_row(fid, f, p) for fid, f, p in flights]
    flown_icao = {r["icao24"] for r in rows}
    arrivals = [
        {
            "icao24": r["icao24"],
            "time": r["landing_time"],
            "dark": r["dark_approach"],
            "observed": r["landing_observed"],
            "flight": r["id"],
        }
        for r in rows
        if r["to"] == "OSLK" and r["kind"] == "state-hmeimim"
    ]
    arrivals.sort(key=lambda a: (a["time"], a["icao24"]))
    return {
        "seed": seed,
        "period": {"start": iso(calendar.start), "end": iso(calendar.end)},
        "base": "hmeimim",
        "base_icao": "OSLK",
        "aircraft": [_aircraft_row(a) for a in FLEET if a.icao24 in flown_icao],
        "flights": rows,
        "expected": _expected(calendar, rows, arrivals, roles, flights),
        "tolerance": TOLERANCE,
        "files": files,
    }


def _t(s: str) -> float:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _expected(
    cal: Calendar,
    rows: list[dict[str, Any]],
    arrivals: list[dict[str, Any]],
    roles: dict[str, Aircraft],
    flights: list[tuple[str, Flown, Points]],
) -> dict[str, Any]:
    times = [_t(a["time"]) for a in arrivals]
    gaps = np.diff(times)
    i = int(np.argmax(gaps)) + 1
    pause_days = round(float(gaps[i - 1]) / DAY, 2)
    an124, il76 = roles["an124"], roles["il76"]
    window = (cal.resumption, cal.resumption + 6 * DAY)  # Friday 00:00 to Thursday 00:00
    an_times = [
        a["time"]
        for a, t in zip(arrivals, times, strict=True)
        if a["icao24"] == an124.icao24 and window[0] <= t < window[1]
    ]
    own = [r for r in rows if r["icao24"] == il76.icao24]
    at = next(
        i
        for i, r in enumerate(own)
        if r["from"] == "HLLB" and r["to"] == "OSLK" and _t(r["takeoff_time"]) >= window[0]
    )
    legs = own[at : at + 2]
    distractors = [
        {
            "flight": r["id"],
            "icao24": r["icao24"],
            "kind": r["kind"],
            "to": r["to"],
            "why": r["note"] or "civil arrival at Latakia",
        }
        for r in rows
        if r["kind"] in ("overflight", "state-elsewhere")
        or (r["kind"] == "civil" and r["to"] == "OSLK")
    ]
    noise = sorted(
        (
            {"icao24": n.icao24, "time": round(n.time, 3), "kind": n.kind}
            for _, _, p in flights
            for n in p.noise
        ),
        key=lambda n: (n["time"], n["icao24"]),
    )
    return {
        "hmeimim_state_arrivals": arrivals,
        "pause": {"start": arrivals[i - 1]["time"], "end": arrivals[i]["time"], "days": pause_days},
        "resumption": {
            "time": arrivals[i]["time"],
            "icao24": arrivals[i]["icao24"],
            "after_days": pause_days,
        },
        "an124": {
            "icao24": an124.icao24,
            "registration": an124.registration,
            "arrivals": an_times,
            "window": {"start": iso(window[0]), "end": iso(window[1])},
        },
        "il76_route": {
            "icao24": il76.icao24,
            "registration": il76.registration,
            "airports": ["HLLB", "OSLK", "UUMU"],
            "flights": [r["id"] for r in legs],
        },
        "distractors": distractors,
        "noise": noise,
    }
