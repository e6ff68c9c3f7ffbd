"""Files as the tools write them: a readsb ``globe_history`` trace tree (one file per aircraft and
UTC day, gzip content under a ``.json`` name, as readsb does) and an ADS-B Exchange v2 point
query recorded as JSON lines, polled every 30–60 s."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson

from basewatch.simulate.coverage import Coverage
from basewatch.simulate.emit import Points
from basewatch.simulate.fleet import Aircraft
from basewatch.simulate.geo import EARTH_M, Floats, distance_m
from basewatch.simulate.planner import DAY, Flown

TRACE_DIR = "data/globe_history"
ADSBX_FILE = "data/adsbx/point_oslk.jsonl"
POINT = (35.40, 35.95)  # /v2/point/35.40/35.95/250
RADIUS_M = 250 * 1852.0
EMPTY_POLL = b'{"ac":[],"msg":"No error","now":%d,"total":0,"ctime":%d,"ptime":%d}'
OBJECT_EVERY = 15  # an aircraft object every so many trace points (readsb writes them sparsely)


def _nullable(values: Floats, decimals: int | None) -> list[Any]:
    """Rounded values (ints when ``decimals`` is None), NaN as None."""
    missing = np.isnan(values)
    clean = np.where(missing, 0.0, values)
    out = (
        np.round(clean).astype(np.int64).astype(object)
        if decimals is None
        else (np.round(clean, decimals).astype(object))
    )
    out[missing] = None
    return list(out.tolist())


def aircraft_object(ac: Aircraft, plan_callsign: str, squawk: str, mlat: bool) -> dict[str, Any]:
    """The sparse aircraft object readsb stores with some trace points."""
    if mlat:
        return {
            "type": "mlat",
            "flight": f"{plan_callsign:<8}",
            "squawk": squawk,
            "alert": 0,
            "spi": 0,
        }
    return {
        "type": "adsb_icao",
        "flight": f"{plan_callsign:<8}",
        "squawk": squawk,
        "category": ac.emitter,
        "nic": 8,
        "rc": 186,
        "version": 2,
        "nac_p": 9,
        "sil": 3,
        "sil_type": "perhour",
        "alert": 0,
        "spi": 0,
    }


#: Columns of ``Points`` a trace file is built from.
COLUMNS = "t lat lon alt ground gs track vrate alt_geom geom_rate ias roll stale new_leg geom_only"


def _concat(legs: list[tuple[Flown, Points]]) -> dict[str, Floats]:
    """One aircraft's legs as float columns, with the index of each point's leg."""
    cols = {
        k: np.concatenate([getattr(p, k) for _, p in legs]).astype(float) for k in COLUMNS.split()
    }
    cols["leg"] = np.concatenate([np.full(len(p), i) for i, (_, p) in enumerate(legs)])
    return cols


def trace_files(ac: Aircraft, legs: list[tuple[Flown, Points]]) -> dict[str, bytes]:
    """One gzip-compressed ``trace_full_HEX.json`` per UTC day the aircraft was recorded."""
    legs = [(f, p) for f, p in legs if len(p)]
    if not legs:
        return {}
    c = _concat(legs)
    day = np.floor(c["t"] / DAY)
    cuts = np.flatnonzero(np.diff(day)) + 1
    files: dict[str, bytes] = {}
    for lo, hi in zip(np.concatenate(([0], cuts)), np.append(cuts, len(day)), strict=True):
        d = datetime.fromtimestamp(float(day[lo]) * DAY, UTC)
        rel = f"{TRACE_DIR}/{d:%Y/%m/%d}/traces/{ac.icao24[-2:]}/trace_full_{ac.icao24}.json"
        doc = _trace_doc(ac, legs, {k: v[lo:hi] for k, v in c.items()})
        files[rel] = gzip.compress(orjson.dumps(doc), compresslevel=1, mtime=0)
    return files


def _trace_doc(
    ac: Aircraft, legs: list[tuple[Flown, Points]], c: dict[str, Floats]
) -> dict[str, Any]:
    n = len(c["t"])
    t0 = round(float(c["t"][0]), 3)
    ground = c["ground"] > 0
    alt = np.array(_nullable(c["alt"], None), dtype=object)
    alt[ground] = "ground"
    flags = (c["stale"] > 0) * 1 + (c["new_leg"] > 0) * 2 + (c["geom_only"] > 0) * 8
    leg = c["leg"].astype(int)
    objs: list[Any] = [None] * n
    with_obj = np.flatnonzero((np.arange(n) % OBJECT_EVERY == 0) | (c["new_leg"] > 0))
    for i in with_obj.tolist():
        plan = legs[leg[i]][0].plan
        objs[i] = aircraft_object(ac, plan.callsign, plan.squawk, legs[leg[i]][1].mlat)
    types = ["mlat" if legs[i][1].mlat else "adsb_icao" for i in range(len(legs))]
    rows = list(
        map(
            list,
            zip(
                np.round(c["t"] - t0, 2).tolist(),
                np.round(c["lat"], 6).tolist(),
                np.round(c["lon"], 6).tolist(),
                alt.tolist(),
                _nullable(c["gs"], 1),
                _nullable(c["track"], 1),
                flags.astype(int).tolist(),
                _nullable(c["vrate"], None),
                objs,
                [types[i] for i in leg.tolist()],
                _nullable(c["alt_geom"], None),
                _nullable(c["geom_rate"], None),
                _nullable(c["ias"], None),
                _nullable(c["roll"], 1),
                strict=True,
            ),
        )
    )
    doc: dict[str, Any] = {
        "icao": ac.icao24,
        "r": ac.registration,
        "t": ac.type_code,
        "dbFlags": ac.db_flags,
        "desc": ac.desc,
        "ownOp": ac.operator,
    }
    if ac.year:
        doc["year"] = ac.year
    doc.update(timestamp=t0, trace=rows)
    return doc


def adsbx_recording(
    legs: list[tuple[Flown, Points]],
    windows: list[tuple[float, float]],
    coverage: Coverage,
    rng: np.random.Generator,
) -> bytes:
    """Polls of ``/v2/point/35.40/35.95/250`` every 30–60 s in ``windows``: aircraft within
    250 NM with a recent position — half the time the latest trace point (stored once by the
    ingest), else a position of its own at ``now - seen_pos`` on the same trajectory."""
    polls = _poll_times(windows, rng)
    entries: list[list[dict[str, Any]]] = [[] for _ in polls]
    for flown, points in legs:
        for i, entry in _leg_entries(flown, points, polls, coverage, rng):
            entries[i].append(entry)
    lines = []
    ptimes = rng.integers(0, 6, len(polls)).tolist()
    for t, found, ptime in zip(polls.tolist(), entries, ptimes, strict=True):
        now = round(t * 1000)
        if not found:  # the common case, written without a serialiser
            lines.append(EMPTY_POLL % (now, now, ptime))
            continue
        found.sort(key=lambda e: str(e["hex"]))
        lines.append(
            orjson.dumps(
                {
                    "ac": found,
                    "msg": "No error",
                    "now": now,
                    "total": len(found),
                    "ctime": now,
                    "ptime": ptime,
                }
            )
        )
    return b"\n".join(lines) + b"\n"


def _poll_times(windows: list[tuple[float, float]], rng: np.random.Generator) -> Floats:
    out = []
    for start, end in windows:
        steps = rng.uniform(30, 60, int((end - start) / 30) + 2)
        times = start + np.cumsum(steps)
        out.append(times[times < end])
    return np.asarray(np.round(np.concatenate(out), 3), dtype=np.float64)


def _leg_entries(
    flown: Flown, pts: Points, polls: Floats, coverage: Coverage, rng: np.random.Generator
) -> list[tuple[int, dict[str, Any]]]:
    """(poll index, aircraft entry) of one leg."""
    traj = flown.traj
    lo, hi = np.searchsorted(polls, [traj.t_on, traj.t_off])
    if hi <= lo:
        return []
    idx = np.arange(lo, hi)
    now = polls[idx]
    noisy = {round(x.time, 6) for x in pts.noise}
    j = np.searchsorted(pts.t, now, side="right") - 1
    fresh_age = rng.uniform(0.2, 3.0, len(now))
    st = traj.state(now - fresh_age)
    heard, mlat = coverage.heard(st["lat"], st["lon"], traj.height_ft(st), rng)
    heard = heard if traj.plan.aircraft.adsb else (mlat & ~st["ground"])
    copy = rng.random(len(now)) < 0.5
    sigma = 3.0 if traj.plan.aircraft.adsb else 120.0
    north, east = rng.normal(0.0, sigma, (2, len(now)))
    lat = st["lat"] + np.degrees(north / EARTH_M)
    lon = st["lon"] + np.degrees(east / (EARTH_M * np.cos(np.radians(st["lat"]))))
    jj = np.maximum(j, 0)
    recent = (j >= 0) & (now - pts.t[jj] <= 12.0)
    recent &= np.array([round(float(x), 6) not in noisy for x in pts.t[jj]], bool)
    use_copy = copy & recent
    use_fresh = ~copy & heard
    where_lat = np.where(use_copy, np.round(pts.lat[jj], 6), lat)
    where_lon = np.where(use_copy, np.round(pts.lon[jj], 6), lon)
    inside = distance_m(where_lat, where_lon, *POINT) <= RADIUS_M
    out: list[tuple[int, dict[str, Any]]] = []
    for k in np.flatnonzero((use_copy | use_fresh) & inside).tolist():
        if use_copy[k]:
            entry = _copied(flown, pts, int(j[k]), float(now[k]))
        else:
            entry = _fresh(
                flown,
                {key: float(v[k]) for key, v in st.items()},
                float(lat[k]),
                float(lon[k]),
                float(fresh_age[k]),
            )
        entry.update(
            messages=int((now[k] - traj.t_on) * 4) + 100,
            seen=round(min(entry["seen_pos"], float(rng.uniform(0.0, 1.0))), 1),
            rssi=round(float(rng.uniform(-30.0, -5.0)), 1),
        )
        out.append((int(idx[k]), entry))
    return out


def _base(flown: Flown) -> dict[str, Any]:
    ac, plan = flown.plan.aircraft, flown.plan
    entry: dict[str, Any] = {
        "hex": ac.icao24,
        "type": "adsb_icao" if ac.adsb else "mlat",
        "flight": f"{plan.callsign:<8}",
        "r": ac.registration,
        "t": ac.type_code,
    }
    if ac.db_flags:
        entry["dbFlags"] = ac.db_flags
    return entry


def _copied(flown: Flown, pts: Points, j: int, now: float) -> dict[str, Any]:
    """The trace point ``j`` as the API would show it ``now``."""
    e = _base(flown)
    ground = bool(pts.ground[j])
    e["alt_baro"] = "ground" if ground else round(float(pts.alt[j]))
    for key, src, digits in (
        ("alt_geom", pts.alt_geom, None),
        ("gs", pts.gs, 1),
        ("track", pts.track, 1),
        ("baro_rate", pts.vrate, None),
    ):
        value = _nullable(src[j : j + 1], digits)[0]
        if value is not None:
            e[key] = value
    return _finish(
        flown,
        e,
        round(float(pts.lat[j]), 6),
        round(float(pts.lon[j]), 6),
        round(now - float(pts.t[j]), 3),
    )


def _fresh(
    flown: Flown, st: dict[str, float], lat: float, lon: float, age: float
) -> dict[str, Any]:
    """A position of the API's own, ``age`` seconds before the poll."""
    e = _base(flown)
    ground = st["ground"] > 0
    step = flown.plan.aircraft.alt_step_ft
    e["alt_baro"] = "ground" if ground else int(round(st["alt"] / step) * step)
    if not ground and flown.plan.aircraft.adsb:
        geom = flown.traj.geom_ft({k: np.array([v]) for k, v in st.items()})[0]
        e["alt_geom"] = int(round(geom / 25) * 25)
        e["baro_rate"] = int(round(st["vrate"] / 64) * 64)
    e["gs"] = round(st["gs"], 1)
    e["track"] = round(st["track"], 1)
    return _finish(flown, e, round(lat, 6), round(lon, 6), round(age, 3))


def _finish(flown: Flown, e: dict[str, Any], lat: float, lon: float, age: float) -> dict[str, Any]:
    ac, plan = flown.plan.aircraft, flown.plan
    e["squawk"] = plan.squawk
    if ac.adsb:
        e["category"] = ac.emitter
    e.update(lat=lat, lon=lon)
    if ac.adsb:
        e.update(nic=8, rc=186)
    e["seen_pos"] = age
    if ac.adsb:
        e["version"] = 2
    e["mlat"] = [] if ac.adsb else ["lat", "lon", "track", "gs"]
    e["tisb"] = []
    return e
