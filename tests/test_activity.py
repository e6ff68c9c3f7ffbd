"""Visits, pauses, resumptions and surges at watched bases, on built tracks."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from basewatch import Store, load_config
from basewatch.activity import ActivityAnalyzer, VisitDetector, resolve_base
from basewatch.activity.events import poisson_tail
from basewatch.errors import UsageError
from tests.track_store import insert
from tests.tracks import T0, Track

DAY_S = 86_400


def _to_oslk(icao: str, callsign: str, day: float, origin: str = "OSDI") -> Track:
    return Track(icao, callsign, start=T0 + day * DAY_S).at(origin).taxi(3).hop("OSLK").taxi(3)


def _visits(store: Store, base: str = "hmeimim", **kw: object) -> list[dict[str, object]]:
    config = load_config(None)
    detector = VisitDetector(resolve_base(base, config), config, **kw)  # type: ignore[arg-type]
    return list(detector.detect(store).to_pylist())


def test_state_arrivals_are_visits_and_civil_ones_are_not(store: Store) -> None:
    russian = [_to_oslk("15a3c2", "RFF7001", d) for d in (0, 2, 5)]
    civil = _to_oslk("4ca2d6", "RYR123", 1)
    insert(store, *russian, civil)
    visits = _visits(store)
    assert [v["icao24"] for v in visits] == ["15a3c2"] * 3
    assert all(v["state"] and v["origin"] == "OSDI" for v in visits)
    assert all(v["how"] == "landing at the field" and v["inferred"] is False for v in visits)
    arrivals = [v["arrival_time"] for v in visits]
    assert arrivals == sorted(arrivals)
    # an ICAO code as base watches state aircraft by default; watching "all" adds the civil one
    assert len(_visits(store, "OSLK")) == 3
    config = load_config(None)
    everyone = replace(resolve_base("hmeimim", config), name="everyone", watch=("all",))
    assert len(VisitDetector(everyone, config).detect(store)) == 4
    stored = store.con.execute("SELECT base, count(*) FROM visits GROUP BY 1 ORDER BY 1").fetchall()
    assert stored == [("OSLK", 3), ("everyone", 4), ("hmeimim", 3)]


def test_departure_and_next_destination(store: Store) -> None:
    t = Track("15a3c2", "RFF7001").at("OSDI").taxi(3).hop("OSLK").taxi(3).park(90)
    t.taxi(3).hop("HLLB").taxi(2)
    insert(store, t)
    [visit] = _visits(store)
    assert (visit["origin"], visit["destination"]) == ("OSDI", "HLLB")
    dwell = visit["departure_time"] - visit["arrival_time"]  # type: ignore[operator]
    assert timedelta(minutes=90) < dwell < timedelta(minutes=110)


def test_dark_arrival_is_an_inferred_visit(store: Store) -> None:
    t = Track("15a3c2", "RFF7001").at("OSDI").taxi(3).hop("OSLK", dark_below_agl_ft=2_500)
    insert(store, t)
    [visit] = _visits(store)
    assert visit["inferred"] is True
    assert 0 < visit["confidence"] < 0.95  # type: ignore[operator]


def test_point_base_without_an_airport(store: Store) -> None:
    """Tartus naval base is a point with a 5 km radius: a flight ending low there arrived."""
    config = load_config(None)
    tartus = resolve_base("tartus", config)
    t = Track("15a3c2", "RFF7001").at("OSLK").taxi(3).takeoff(toward=(tartus.lat, tartus.lon))
    t.climb(1_500, toward=(tartus.lat, tartus.lon)).cruise(to=(tartus.lat, tartus.lon), stop_km=1)
    insert(store, t)
    [visit] = _visits(store, "tartus")
    assert visit["how"] == "flight ended low within the radius"
    assert visit["origin"] == "OSLK"


def test_point_base_counts_landings_at_a_field_inside_it(store: Store) -> None:
    """Al Jufra is configured as a point; airportsdata lists its strip as HL69, where the flights
    stage puts the landing: that is an arrival at the base, and the takeoff from it a departure."""
    t = Track("15a3c2", "RFF7001").at("HLLB").taxi(3).hop("HL69").taxi(3).park(60)
    t.taxi(3).hop("OSLK").taxi(2)
    insert(store, t)
    [visit] = _visits(store, "al-jufra")
    assert visit["how"] == "landing at a field within the radius"
    assert (visit["origin"], visit["destination"]) == ("HLLB", "OSLK")
    assert visit["inferred"] is False
    assert visit["departure_time"] is not None
    assert _visits(store, "tartus") == []  # a field elsewhere is not inside another point base


def test_unknown_base_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="nowhere"):
        resolve_base("nowhere", load_config(None))


def _at(days: float) -> datetime:
    return datetime.fromtimestamp(T0 + days * DAY_S, UTC)


def test_pause_and_resumption() -> None:
    arrivals = [(_at(d), "15a3c2") for d in (0, 10, 20)] + [(_at(203), "154076")]
    result = ActivityAnalyzer().analyze(arrivals)
    [pause] = result["pauses"]
    assert pause["days"] == pytest.approx(183, abs=0.1)
    [resumption] = result["resumptions"]
    assert resumption == {
        "time": _at(203).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "icao24": "154076",
        "after_days": pytest.approx(183, abs=0.1),
    }
    assert ActivityAnalyzer(pause_days=200).analyze(arrivals)["pauses"] == []


def test_surge_against_a_weekly_baseline() -> None:
    weekly = [(_at(7 * w + 0.5), "15a3c2") for w in range(20)]  # one a week
    burst = [(_at(140 + 0.1 * i), f"15a3c{i}") for i in range(6)]  # six in a day
    surges = ActivityAnalyzer().analyze(weekly + burst)["surges"]
    assert len(surges) == 1
    # the surge is the burst's day, and its count every arrival of that span
    start, end = (datetime.fromisoformat(surges[0][k]) for k in ("start", "end"))
    assert start == _at(140).replace(hour=0) and end - start == timedelta(days=1)
    assert surges[0]["count"] == len([t for t, _ in weekly + burst if start <= t < end]) == 6
    # expected: one day at the rate of the 90 days before (one arrival a week)
    before = [t for t, _ in weekly if start - timedelta(days=90) <= t < start]
    assert surges[0]["baseline"] == pytest.approx(len(before) / 90, abs=0.01)
    assert surges[0]["p_value"] < 0.01
    assert ActivityAnalyzer().analyze(weekly)["surges"] == []


def test_poisson_tail() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(3, 1.0) == pytest.approx(1 - math.exp(-1) * 2.5)
    assert poisson_tail(1, 0.0) == 0.0


def test_cli_visits_and_activity(tmp_path: Path) -> None:
    from tests.test_cli import run

    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        insert(store, *[_to_oslk("15a3c2", "RFF7001", d) for d in (0, 40)])
    out = run("visits", "--base", "hmeimim", "--json", db=db)
    assert out.returncode == 0, out.stderr
    visits = json.loads(out.stdout)
    keys = [
        "base",
        "icao24",
        "registration",
        "type",
        "arrival_time",
        "departure_time",
        "inferred",
        "confidence",
        "origin",
        "destination",
        "state",
        "reasons",
    ]
    assert all(k in visits[0] for k in keys)
    assert [v["base"] for v in visits] == ["hmeimim", "hmeimim"]
    act = json.loads(run("activity", "--base", "hmeimim", "--json", db=db).stdout)
    assert set(act) == {"pauses", "resumptions", "surges"}
    assert act["resumptions"][0]["after_days"] == pytest.approx(40, abs=0.1)
    assert run("visits", "--base", "nowhere", db=db).returncode == 2
