"""The scenario simulator: deterministic files that ingest cleanly, physically plausible
trajectories, and a truth that agrees with what the files hold."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from basewatch import Store, identify_aircraft
from basewatch.config import packaged_config
from basewatch.simulate import Scenario
from basewatch.simulate.geo import distance_m, in_polygon
from basewatch.simulate.paths import CLOSED_AIRSPACE
from basewatch.simulate.places import field

#: A short scenario: three regular weeks, a 45-day pause, a sixth of the civil schedule.
SMALL = Scenario(seed=11, regular_weeks=3, pause_days=45, civil_scale=0.15)
TRACE_PATH = re.compile(
    r"data/globe_history/(\d{4})/(\d{2})/(\d{2})/traces/([0-9a-f]{2})/trace_full_([0-9a-f]{6})\.json"
)
KT = 1852 / 3600


def epoch(iso: str) -> float:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


@dataclass
class Track:
    """All trace points of one aircraft, in time order, as arrays."""

    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    alt: np.ndarray  # NaN on the ground
    ground: np.ndarray
    gs: np.ndarray
    flags: np.ndarray
    mlat: np.ndarray


def read_trace(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    assert data[:2] == b"\x1f\x8b", f"{path} is not gzip content"
    doc: dict[str, Any] = json.loads(gzip.decompress(data))
    return doc


def tracks(out: Path) -> dict[str, Track]:
    """Every aircraft's points over all its day files."""
    rows: dict[str, list[list[Any]]] = {}
    for path in sorted((out / "data" / "globe_history").rglob("*.json")):
        doc = read_trace(path)
        rows.setdefault(doc["icao"], []).extend(
            [doc["timestamp"] + p[0], *p[1:]] for p in doc["trace"]
        )
    out_tracks = {}
    for icao, pts in rows.items():
        pts.sort(key=lambda p: p[0])

        def col(i: int, pts: list[list[Any]] = pts) -> np.ndarray:
            return np.array(
                [np.nan if p[i] is None or p[i] == "ground" else p[i] for p in pts], float
            )

        out_tracks[icao] = Track(
            t=col(0),
            lat=col(1),
            lon=col(2),
            alt=col(3),
            ground=np.array([p[3] == "ground" for p in pts]),
            gs=col(4),
            flags=np.array([p[6] for p in pts], int),
            mlat=np.array([p[9] == "mlat" for p in pts]),
        )
    return out_tracks


def hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("simulated")
    return out, SMALL.write(out)


@pytest.fixture(scope="module")
def by_icao(written: tuple[Path, dict[str, Any]]) -> dict[str, Track]:
    return tracks(written[0])


def test_same_seed_same_bytes_other_seed_other_data(
    written: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out, truth = written
    other = Scenario(seed=12, regular_weeks=1, pause_days=35, civil_scale=0.0, adsbx=False)
    other_truth = other.write(tmp_path)
    first = hashes(tmp_path)
    assert [f["takeoff_time"] for f in other_truth["flights"]] != [
        f["takeoff_time"] for f in truth["flights"]
    ]
    assert set(first) - set(hashes(out))  # files only the other seed writes
    (tmp_path / "notes.txt").write_text("not the simulator's")
    again = SMALL.write(tmp_path)
    # the same seed gives the same bytes; the other run's own files are gone, others' stay
    assert again == truth
    assert hashes(tmp_path) == {**hashes(out), "notes.txt": hashes(tmp_path)["notes.txt"]}
    assert truth["files"] == {k: v for k, v in hashes(out).items() if k != "truth.json"}


def test_every_file_ingests_without_rejects(
    written: tuple[Path, dict[str, Any]], by_icao: dict[str, Track], store: Store
) -> None:
    out, truth = written
    results = store.ingest([str(out / "data")])
    assert {r.format for r in results} == {"readsb_trace", "adsbx_v2"}
    assert all(r.rejected == 0 for r in results)
    lines = (out / "data" / "adsbx" / "point_oslk.jsonl").read_text().splitlines()
    polled = sum(len(json.loads(line)["ac"]) for line in lines)
    traced = sum(len(t.t) for t in by_icao.values())
    assert sum(r.accepted + r.duplicates for r in results) == traced + polled
    adsbx = next(r for r in results if r.format == "adsbx_v2")
    assert 0 < adsbx.duplicates < polled  # some polls repeat a trace point, others interleave
    config = packaged_config()
    for ac in truth["aircraft"]:
        who = identify_aircraft(store, ac["icao24"], config)
        assert who.registration == ac["registration"] and who.type == ac["type"]
        assert who.state is (ac["category"] == "state"), (ac, who.verdict, who.reasons)


def test_trace_tree_is_laid_out_as_readsb_writes_it(written: tuple[Path, dict[str, Any]]) -> None:
    out, truth = written
    kinds = {a["icao24"]: a for a in truth["aircraft"]}
    paths = sorted((out / "data" / "globe_history").rglob("*"))
    files = [p for p in paths if p.is_file()]
    assert files
    for path in files:
        m = TRACE_PATH.fullmatch(str(path.relative_to(out)))
        assert m, path
        year, month, day, xx, icao = m.groups()
        assert xx == icao[-2:]
        doc = read_trace(path)
        ac = kinds[icao]
        assert (doc["icao"], doc["r"], doc["t"]) == (icao, ac["registration"], ac["type"])
        assert doc["dbFlags"] & 1 == (1 if ac["category"] == "state" else 0)
        points = doc["trace"]
        assert points[0][0] == 0 and all(len(p) == 14 for p in points)
        times = doc["timestamp"] + np.array([p[0] for p in points])
        assert np.all(np.diff(times) > 0)
        days = {datetime.fromtimestamp(t, UTC).strftime("%Y%m%d") for t in times[[0, -1]]}
        assert days == {year + month + day}  # one UTC day per file
        assert {p[9] for p in points} == {"mlat" if ac["mlat_only"] else "adsb_icao"}
        assert points[0][8] is not None and len(points[0][8]["flight"]) == 8
        assert {p[6] for p in points} <= {0, 1, 2, 3, 8}
        if ac["mlat_only"]:  # MLAT: no geometric altitude, no ground positions
            assert all(p[10] is None and p[3] != "ground" for p in points)


def _not_noise(truth: dict[str, Any], icao: str, t: np.ndarray) -> np.ndarray:
    """Mask of the points of ``icao`` at times ``t`` that the truth does not list as noise."""
    noise = np.array([n["time"] for n in truth["expected"]["noise"] if n["icao24"] == icao])
    if not len(noise):
        return np.ones(len(t), bool)
    return np.asarray(np.min(np.abs(t[:, None] - noise[None, :]), axis=1) > 0.02)


def test_trajectories_are_physically_plausible(
    written: tuple[Path, dict[str, Any]], by_icao: dict[str, Track]
) -> None:
    _, truth = written
    airports = {f[k] for f in truth["flights"] for k in ("from", "to")}
    fields = [field(a) for a in sorted(airports)]
    for icao, tr in by_icao.items():
        clean = _not_noise(truth, icao, tr.t)
        t, lat, lon = tr.t[clean], tr.lat[clean], tr.lon[clean]
        alt, gs, flags, ground = tr.alt[clean], tr.gs[clean], tr.flags[clean], tr.ground[clean]
        dt = np.diff(t)
        close = (dt >= 1.0) & (dt <= 60.0)
        speed = distance_m(lat[:-1], lon[:-1], lat[1:], lon[1:]) / np.maximum(dt, 1e-3) / KT
        known = ~np.isnan(gs)  # stale points carry no speed: take their neighbours'
        gs = np.interp(t, t[known], gs[known])
        fastest = np.maximum(gs[:-1], gs[1:])
        mlat = tr.mlat[clean][1:]
        slack = np.where(mlat, 400.0, 30.0)  # MLAT positions scatter by ~100 m
        bad = close & (speed > 1.15 * np.maximum(fastest, 30) + slack)
        assert not bad.any(), (icao, t[:-1][bad][:3], speed[bad][:3], fastest[bad][:3])
        baro = flags & 8 == 0  # flag 8: the altitude is geometric
        pair = close & baro[:-1] & baro[1:] & ~np.isnan(alt[:-1]) & ~np.isnan(alt[1:]) & (dt >= 4)
        rate = np.abs(np.diff(alt)) / np.maximum(dt, 1e-3) * 60
        assert not (pair & (rate > 6000)).any(), (icao, t[:-1][pair & (rate > 6000)][:3])
        assert np.nanmax(alt[baro]) <= 36_000 and np.nanmax(gs) <= 520  # FL360 at most
        if ground.any():
            near = np.min(
                [distance_m(lat[ground], lon[ground], f.lat, f.lon) for f in fields], axis=0
            )
            assert near.max() < 5000, (icao, near.max())


def test_truth_agrees_with_the_files(
    written: tuple[Path, dict[str, Any]], by_icao: dict[str, Track]
) -> None:
    _, truth = written
    flights = truth["flights"]
    for icao in {f["icao24"] for f in flights}:
        own = [f for f in flights if f["icao24"] == icao]
        for a, b in pairwise(own):  # one aircraft: one place at a time
            assert a["to"] == b["from"] and epoch(a["landing_time"]) < epoch(b["takeoff_time"])
    for f in flights:
        tr = by_icao[f["icao24"]]
        sel = (tr.t >= epoch(f["first_seen"]) - 1) & (tr.t <= epoch(f["last_seen"]) + 1)
        assert sel.sum() >= f["positions"] > 0
        first, last = np.flatnonzero(sel)[[0, -1]]
        if not f["mlat_only"] and not f["dark_departure"]:
            _assert_near(tr, first, f["from"], f["id"])
        if not f["mlat_only"] and not f["dark_approach"]:
            _assert_near(tr, last, f["to"], f["id"])
        if f["dark_approach"] and f["to"] == "OSLK":  # off within 60 km, below 10,000 ft
            oslk = field("OSLK")
            assert tr.t[last] < epoch(f["landing_time"]) - 60
            assert distance_m(tr.lat[last], tr.lon[last], oslk.lat, oslk.lon) < 65_000
            assert tr.alt[last] - oslk.elevation_ft < 10_500
    assert any(f["crosses_midnight"] for f in flights)


def _assert_near(tr: Track, i: int, icao: str, fid: str) -> None:
    """A flight's first (last) point lies near its departure (arrival) field, low."""
    f = field(icao)
    km = distance_m(tr.lat[i], tr.lon[i], f.lat, f.lon) / 1000
    height = 0.0 if tr.ground[i] else tr.alt[i] - f.elevation_ft
    assert km < 40 and height < 6000, (fid, icao, km, height)


def test_expectations_follow_from_the_flights(written: tuple[Path, dict[str, Any]]) -> None:
    _, truth = written
    exp = truth["expected"]
    flights = {f["id"]: f for f in truth["flights"]}
    arrivals = exp["hmeimim_state_arrivals"]
    state = {a["icao24"] for a in truth["aircraft"] if a["category"] == "state"}
    assert [a["flight"] for a in arrivals] == [
        f["id"]
        for f in sorted(flights.values(), key=lambda f: (f["landing_time"], f["icao24"]))
        if f["to"] == "OSLK" and f["icao24"] in state and f["kind"] == "state-hmeimim"
    ]
    times = np.array([epoch(a["time"]) for a in arrivals])
    gaps = np.diff(times) / 86400
    assert exp["pause"]["days"] == pytest.approx(gaps.max(), abs=0.01) and gaps.max() > 30
    assert exp["pause"]["days"] == pytest.approx(SMALL.pause_days, abs=1.5)
    assert exp["resumption"]["time"] == exp["pause"]["end"]
    window = exp["an124"]["window"]
    friday = datetime.fromtimestamp(epoch(window["start"]), UTC)
    assert friday.weekday() == 4 and epoch(window["end"]) - epoch(window["start"]) == 6 * 86400
    assert exp["resumption"]["time"].startswith(window["start"][:10])
    assert len(exp["an124"]["arrivals"]) == 3
    assert exp["an124"]["arrivals"][0] == exp["resumption"]["time"]
    legs = [flights[i] for i in exp["il76_route"]["flights"]]
    assert [(f["from"], f["to"]) for f in legs] == [("HLLB", "OSLK"), ("OSLK", "UUMU")]
    assert {f["icao24"] for f in legs} == {exp["il76_route"]["icao24"]}
    assert any(a["dark"] for a in arrivals) or any(f["mlat_only"] for f in flights.values())
    counted = {a["flight"] for a in arrivals}
    assert not counted & {d["flight"] for d in exp["distractors"]}
    assert {d["kind"] for d in exp["distractors"]} >= {"overflight", "state-elsewhere", "civil"}


def test_noise_is_listed_and_is_noise(
    written: tuple[Path, dict[str, Any]], by_icao: dict[str, Track]
) -> None:
    _, truth = written
    noise = truth["expected"]["noise"]
    assert {n["kind"] for n in noise} <= {"bad-decode", "altitude-glitch"}
    for n in noise:
        tr = by_icao[n["icao24"]]
        i = int(np.argmin(np.abs(tr.t - n["time"])))
        assert abs(tr.t[i] - n["time"]) < 0.01
        if n["kind"] == "bad-decode":  # out and back: far from both neighbours
            away = distance_m(tr.lat[i], tr.lon[i], tr.lat[[i - 1, i + 1]], tr.lon[[i - 1, i + 1]])
            assert away.min() > 25_000
        else:  # a step off the line through its neighbours
            w = (tr.t[i] - tr.t[i - 1]) / (tr.t[i + 1] - tr.t[i - 1])
            expected = tr.alt[i - 1] + w * (tr.alt[i + 1] - tr.alt[i - 1])
            assert abs(tr.alt[i] - expected) >= 900


def test_closed_airspace_is_avoided(
    written: tuple[Path, dict[str, Any]], by_icao: dict[str, Track]
) -> None:
    _, truth = written
    state = {a["icao24"] for a in truth["aircraft"] if a["category"] == "state"}
    for icao, tr in by_icao.items():
        keep = _not_noise(truth, icao, tr.t)
        for name, polygon in CLOSED_AIRSPACE.items():
            if name == "Ukraine" or icao in state:
                inside = in_polygon(tr.lat[keep], tr.lon[keep], polygon)
                assert not inside.any(), (icao, name)


def test_adsbx_recording_polls_the_same_trajectories(
    written: tuple[Path, dict[str, Any]], by_icao: dict[str, Track]
) -> None:
    out, _ = written
    lines = (out / "data" / "adsbx" / "point_oslk.jsonl").read_text().splitlines()
    polls = [json.loads(line) for line in lines]
    now = np.array([p["now"] for p in polls]) / 1000
    steps = np.diff(now)
    assert np.all(steps > 0)
    assert np.mean((steps >= 30) & (steps <= 60)) > 0.99  # windows join with one long step
    entries = [(p["now"] / 1000, e) for p in polls for e in p["ac"]]
    assert entries
    oslk = (35.40, 35.95)
    for t, e in entries:
        assert p_ok(e) and distance_m(e["lat"], e["lon"], *oslk) <= 250 * 1852
        tr = by_icao[e["hex"]]
        at = t - e["seen_pos"]
        i = int(np.argmin(np.abs(tr.t - at)))
        gap = abs(tr.t[i] - at)
        assert gap < 120
        km = distance_m(tr.lat[i], tr.lon[i], e["lat"], e["lon"]) / 1000
        reach = max(e.get("gs", 0.0), np.nan_to_num(tr.gs[i]), 30.0) * KT * gap / 1000
        assert km <= 1.2 * reach + 1.5, (e, km, gap)
        if (e["alt_baro"] == "ground") != bool(tr.ground[i]):  # only at lift-off or touchdown
            around = np.abs(tr.t - at) < 15
            assert tr.ground[around].any() and not tr.ground[around].all(), e


def p_ok(entry: dict[str, Any]) -> bool:
    """An aircraft entry carries the fields an ADSBx v2 point query returns."""
    keys = {"hex", "type", "flight", "r", "t", "alt_baro", "lat", "lon", "seen_pos", "mlat"}
    return keys <= set(entry) and entry["type"] in ("adsb_icao", "mlat")


def test_scenario_settings_scale_the_traffic() -> None:
    quiet = replace(SMALL, civil_scale=0.0)
    _, flights, roles = quiet.fly()
    assert {f.plan.kind for _, f, _ in flights} >= {"state-hmeimim", "overflight"}
    assert all(f.plan.aircraft.category == "state" for _, f, _ in flights)
    assert set(roles) == {"an124", "il62", "il76"}
