"""``basewatch flights`` and ``basewatch routes``: the JSON shapes of DESIGN.md, the filters,
and rebuilding when the positions change; on readsb traces written from built tracks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.builders import write_trace
from tests.test_cli import run
from tests.track_store import trace_points
from tests.tracks import T0, Track

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
FLIGHT_KEYS = {"flight_id", "icao24", "callsign", "n_positions", "takeoff", "landing"}
END_KEYS = {"airport", "time", "inferred", "confidence"}
ROUTE_KEYS = {"icao24", "registration", "type", "legs"}
LEG_KEYS = {"flight_id", "from", "to", "takeoff_time", "landing_time"}


def _write(folder: Path, track: Track) -> Path:
    return write_trace(
        folder / f"trace_full_{track.icao24}.json",
        trace_points(track, T0),
        icao=track.icao24,
        timestamp=T0,
    )


def _shuttle() -> Track:
    """Hmeimim → Damascus, 20 min on the ground, Damascus → Akrotiri."""
    t = Track("15a3c2", "RFF7001").at("OSLK").taxi(3).hop("OSDI").taxi(3).park(20).taxi(3)
    return t.hop("LCRA").taxi(2)


def _dark() -> Track:
    """Akrotiri → Hmeimim, dark on the approach, never seen again."""
    t = Track("15a3c3", "RFF7002", seed=1).at("LCRA").taxi(3)
    return t.hop("OSLK", dark_below_agl_ft=2_000)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    _write(tmp_path / "in", _shuttle())
    _write(tmp_path / "in", _dark())
    out = run("ingest", str(tmp_path / "in"), "--json", db=db)
    assert out.returncode == 0, out.stderr
    return db


def _json(*args: str, db: Path) -> Any:
    out = run(*args, "--json", db=db)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _check_end(end: dict[str, Any] | None) -> None:
    if end is None:
        return
    assert end.keys() >= END_KEYS
    assert isinstance(end["airport"], str) and len(end["airport"]) == 4
    assert ISO_Z.match(end["time"])
    assert isinstance(end["inferred"], bool)
    assert 0 < end["confidence"] <= 1


def test_flights_json_shape_and_content(db: Path) -> None:
    docs = _json("flights", db=db)
    assert isinstance(docs, list) and len(docs) == 3
    for d in docs:
        assert d.keys() >= FLIGHT_KEYS
        assert isinstance(d["n_positions"], int) and d["n_positions"] > 0
        assert d["flight_id"].startswith(d["icao24"] + "-")
        _check_end(d["takeoff"])
        _check_end(d["landing"])
    ends = [(d["callsign"], d["takeoff"]["airport"], d["landing"]["airport"]) for d in docs]
    assert ends == [
        ("RFF7001", "OSLK", "OSDI"),
        ("RFF7001", "OSDI", "LCRA"),
        ("RFF7002", "LCRA", "OSLK"),
    ]
    dark = docs[2]["landing"]
    assert dark["inferred"] is True and dark["confidence"] < docs[0]["landing"]["confidence"]
    assert dark["evidence"]["next_seen"] == "never"


def test_flights_filters(db: Path) -> None:
    assert {d["icao24"] for d in _json("flights", "--icao24", "15A3C3", db=db)} == {"15a3c3"}
    at_damascus = _json("flights", "--airport", "osdi", db=db)
    assert [d["callsign"] for d in at_damascus] == ["RFF7001", "RFF7001"]
    every = _json("flights", db=db)
    second = every[1]
    late = _json("flights", "--since", second["takeoff"]["time"], "--icao24", "15a3c2", db=db)
    assert [d["flight_id"] for d in late] == [second["flight_id"]]
    early = _json("flights", "--until", every[0]["landing"]["time"], "--icao24", "15a3c2", db=db)
    assert [d["flight_id"] for d in early] == [every[0]["flight_id"]]


def test_routes_json_shape_and_chain(db: Path) -> None:
    docs = _json("routes", db=db)
    assert [d["icao24"] for d in docs] == ["15a3c2", "15a3c3"]
    for d in docs:
        assert d.keys() >= ROUTE_KEYS
        for leg in d["legs"]:
            assert leg.keys() >= LEG_KEYS
            for key in ("takeoff_time", "landing_time"):
                assert leg[key] is None or ISO_Z.match(leg[key])
    [shuttle] = _json("routes", "--icao24", "15a3c2", db=db)
    legs = shuttle["legs"]
    assert [(leg["from"], leg["to"]) for leg in legs] == [("OSLK", "OSDI"), ("OSDI", "LCRA")]
    assert legs[0]["landing_time"] < legs[1]["takeoff_time"]
    assert shuttle["days"] == [{"date": "2024-03-01", "route": "OSLK → OSDI → LCRA"}]


def test_flights_are_rebuilt_when_positions_change(db: Path, tmp_path: Path) -> None:
    assert len(_json("flights", db=db)) == 3
    again = Track("15a3c4", "RFF7003", start=T0 + 3_600, seed=2).at("OSDI").taxi(3)
    _write(tmp_path / "more", again.hop("OSLK").taxi(2))
    assert run("ingest", str(tmp_path / "more"), db=db).returncode == 0
    docs = _json("flights", "--icao24", "15a3c4", db=db)
    assert [(d["takeoff"]["airport"], d["landing"]["airport"]) for d in docs] == [("OSDI", "OSLK")]


def test_flights_table_for_people_and_bad_times(db: Path) -> None:
    out = run("flights", db=db)
    assert out.returncode == 0, out.stderr
    assert "OSDI" in out.stdout and "inferred" in out.stdout
    bad = run("flights", "--since", "yesterday", db=db)
    assert bad.returncode == 2
    assert "Error: " in bad.stderr and "--since" in bad.stderr


def test_empty_store_lists_nothing(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    assert _json("flights", db=db) == []
    assert _json("routes", db=db) == []
