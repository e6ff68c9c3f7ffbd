"""aircraft.json / history_N.json snapshots: the real capture, readsb and old dump1090 layouts."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basewatch import Store
from basewatch.sources import Blob, ReadOptions, detect_format
from basewatch.sources.adsbx_api import AdsbxV2
from basewatch.sources.aircraft_json import AircraftJson
from basewatch.sources.vocab import READSB_TYPES
from tests.conftest import FIXTURES, positions, shared

CAPTURE = "aircraft-json/garden-radar_aircraft.json"
DATA = FIXTURES / "aircraft_json"
OTHER_CAPTURES = [
    "readsb/trace_full_ac671b.json",
    "fr24/JL516_3376ab31.csv",
    "beast/sample_dump1090.bin",
    "modes/sample_data_adsb.csv",
    "opensky/state_vectors_4d2271.parquet",
    "plane-alert-db/plane-alert-mil.csv",
    "tar1090-db/1.js",
    "adsbx-v2/airplaneslive_45211e.json",
]


def load(path: Path) -> dict[str, Any]:
    """A JSON snapshot file as a dict."""
    return json.loads(path.read_bytes())  # type: ignore[no-any-return]


def at(seconds: float) -> datetime:
    """Epoch seconds as the stored timestamp (microseconds, UTC)."""
    return datetime.fromtimestamp(round(seconds, 6), UTC)


def by_address(store: Store) -> dict[str, dict[str, Any]]:
    """Stored positions keyed by address (one each in a single snapshot)."""
    rows = positions(store)
    keyed = {str(r["icao24"]): r for r in rows}
    assert len(keyed) == len(rows)
    return keyed


def test_real_capture_reduced_fields(store: Store) -> None:
    """garden-radar keeps no seen_pos and no type: time is now - seen, the source ADS-B."""
    path = shared(CAPTURE)
    doc = load(path)
    assert detect_format(Blob(path)).name == "aircraft_json"
    [result] = store.ingest([str(path)])
    with_position = [a for a in doc["aircraft"] if "lat" in a and "lon" in a]
    assert (result.accepted, result.rejected, result.duplicates) == (len(with_position), 0, 0)
    rows = by_address(store)
    assert set(rows) == {a["hex"] for a in with_position}
    for entry in with_position:
        row = rows[entry["hex"]]
        assert "seen_pos" not in entry
        assert row["time"] == at(doc["now"] - entry["seen"])
        assert (row["lat"], row["lon"]) == (entry["lat"], entry["lon"])
        assert row["alt_baro_ft"] == entry["alt_baro"] and row["on_ground"] is False
        assert row["gs_kt"] == pytest.approx(entry["gs"], abs=0.01)
        assert row["track_deg"] == pytest.approx(entry["track"], abs=0.01)
        assert row["vrate_fpm"] == entry["baro_rate"]
        assert row["squawk"] == entry["squawk"]
        assert row["callsign"] == (entry["flight"].strip() or None)
        assert row["pos_source"] == "adsb"
    # the receiver sits in Bavaria: every aircraft is within a few degrees of it
    receiver = doc["receiver"]
    assert all(abs(r["lat"] - receiver["lat"]) < 4 for r in rows.values())
    assert all(abs(r["lon"] - receiver["lon"]) < 5 for r in rows.values())


def test_readsb_history_snapshot(store: Store) -> None:
    path = DATA / "history_42.json"
    doc = load(path)
    assert detect_format(Blob(path)).name == "aircraft_json"
    [result] = store.ingest([str(path)])
    entries = {a["hex"]: a for a in doc["aircraft"]}
    # six current positions plus one lastPosition; the rr_lat/rr_lon-only aircraft is none
    assert (result.accepted, result.rejected) == (7, 0)
    rows = by_address(store)
    assert "4b8e3f" not in rows
    for hex_, row in rows.items():
        entry = entries[hex_]
        seen_pos = entry.get("seen_pos", entry.get("lastPosition", {}).get("seen_pos"))
        assert row["time"] == at(doc["now"] - seen_pos)
    assert rows["155e0a"]["alt_geom_ft"] == 9425 and rows["155e0a"]["vrate_fpm"] == -1088
    assert rows["15063e"]["pos_source"] == "mlat"
    assert rows["a3b1c4"]["pos_source"] == "tisb"
    adsr = rows["a7c2e1"]
    assert adsr["pos_source"] == "adsr" and adsr["alt_baro_ft"] is None
    assert adsr["alt_geom_ft"] == 6650 and adsr["vrate_fpm"] == 320  # geometric rate
    assert rows["~8e0c21"]["pos_source"] == "adsb"
    ground = rows["1522c4"]
    assert ground["on_ground"] is True and ground["alt_baro_ft"] is None
    assert ground["alt_geom_ft"] == 175 and ground["track_deg"] is None
    last = rows["155f12"]
    position = entries["155f12"]["lastPosition"]
    assert (last["lat"], last["lon"]) == (position["lat"], position["lon"])
    assert last["callsign"] == "RSD221" and last["pos_source"] == "other"
    assert (last["alt_baro_ft"], last["gs_kt"], last["squawk"], last["on_ground"]) == (
        None,
        None,
        None,
        None,
    )


def test_old_dump1090_names(store: Store) -> None:
    """altitude/speed/vert_rate; no type means ADS-B; MLAT only through the mlat list."""
    path = DATA / "dump1090_old.json"
    doc = load(path)
    [result] = store.ingest([str(path)])
    assert (result.accepted, result.rejected) == (4, 0)
    rows = by_address(store)
    entries = {a["hex"]: a for a in doc["aircraft"]}
    for hex_, row in rows.items():
        assert row["time"] == at(doc["now"] - entries[hex_]["seen_pos"])
    first = rows["3c6586"]
    assert (first["alt_baro_ft"], first["gs_kt"], first["vrate_fpm"]) == (34000, 452, -64)
    assert first["pos_source"] == "adsb" and first["callsign"] == "DLH4AB"
    assert rows["4ca7b4"]["pos_source"] == "mlat"
    assert rows["~a1b2c3"]["pos_source"] == "tisb"
    assert rows["3c4dc5"]["on_ground"] is True and rows["3c4dc5"]["alt_baro_ft"] is None


@pytest.mark.parametrize("name", ["history_42.json", "dump1090_old.json"])
def test_sniff_own_fixtures(name: str) -> None:
    head = Blob(DATA / name).head()
    assert AircraftJson().sniff(head)
    assert not AdsbxV2().sniff(head)


def test_receiver_json_is_not_positions() -> None:
    head = Blob(DATA / "receiver.json").head()
    assert not AircraftJson().sniff(head)
    assert not AdsbxV2().sniff(head)


@pytest.mark.parametrize("relative", OTHER_CAPTURES)
def test_sniff_rejects_other_formats(relative: str) -> None:
    assert not AircraftJson().sniff(Blob(shared(relative)).head())


@pytest.mark.parametrize("name", ["adsblol_point.json", "recording.jsonl"])
def test_sniff_rejects_api_responses(name: str) -> None:
    assert not AircraftJson().sniff(Blob(FIXTURES / "adsbx_v2" / name).head())


def _snapshot(tmp_path: Path, aircraft: list[Any], now: object = 1_732_545_030.0) -> Path:
    path = tmp_path / "aircraft.json"
    path.write_text(json.dumps({"now": now, "messages": 1, "aircraft": aircraft}))
    return path


def test_bad_entries_are_rejected_with_their_number(tmp_path: Path, store: Store) -> None:
    good = {"hex": "155e0a", "lat": 35.4, "lon": 35.9, "seen_pos": 1.0}
    aircraft = [
        good,
        {**good, "hex": "155e0b", "lat": 123.0},
        {**good, "hex": "xyz123"},
        {**good, "hex": "155e0c", "lat": "35.4"},
        "not an aircraft",
        {**good, "hex": "155e0d", "seen_pos": 1_732_000_000.0},
        {**good, "hex": "155e0e", "seen_pos": -400_000_000.0},
        {"hex": "155e0f", "alt_baro": 9000},
    ]
    [result] = store.ingest([str(_snapshot(tmp_path, aircraft))])
    assert (result.accepted, result.rejected) == (1, 6)
    rejects = store.con.execute("SELECT record, reason FROM rejects ORDER BY record").fetchall()
    assert [r[0] for r in rejects] == [2, 3, 4, 5, 6, 7]
    reasons = [r[1] for r in rejects]
    assert "latitude out of range" in reasons[0]
    assert "not 6 hex" in reasons[1]
    assert reasons[2].startswith("lat:")
    assert "not an object" in reasons[3]
    assert "before 2000" in reasons[4]
    assert "future" in reasons[5]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"now": 1732545030.0, "aircraft": "none"}', "not a list"),
        (b'{"now": "soon", "aircraft": []}', "'now'"),
        (b'{"now": 1732545030.0, "aircraft": [{"hex": "155e0a", "lat"', "invalid JSON"),
        (b"", "invalid JSON"),
    ],
)
def test_broken_files_are_one_reject(tmp_path: Path, store: Store, body: bytes, why: str) -> None:
    path = tmp_path / "aircraft.json"
    path.write_bytes(body)
    [result] = store.ingest([(Blob(path), AircraftJson())])
    assert (result.accepted, result.rejected) == (0, 1)
    reason = store.con.execute("SELECT reason FROM rejects").fetchone()
    assert reason is not None and why in reason[0]


def test_truncated_gzip_is_one_reject(tmp_path: Path, store: Store) -> None:
    aircraft = [
        {"hex": f"15{i:04x}", "lat": 35.0 + i / 1e4, "lon": 36.0, "seen_pos": 0.5}
        for i in range(2000)
    ]
    raw = gzip.compress(_snapshot(tmp_path, aircraft).read_bytes())
    path = tmp_path / "history_3.json"
    path.write_bytes(raw[: len(raw) // 2])
    [result] = store.ingest([(Blob(path), AircraftJson())])
    assert (result.accepted, result.rejected) == (0, 1)
    reason = store.con.execute("SELECT reason FROM rejects").fetchone()
    assert reason is not None and "gzip" in reason[0]


def test_gzip_snapshot_and_reingest(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "aircraft.json"
    path.write_bytes(gzip.compress((DATA / "history_42.json").read_bytes()))
    [first] = store.ingest([str(path)])
    assert first.format == "aircraft_json" and first.accepted == 7
    [again] = store.ingest([str(path)])
    assert again.status == "already ingested" and again.accepted == 0
    assert len(positions(store)) == 7


# -- round trip: canonical rows written as readsb aircraft objects read back equal ----------

TYPE_OF = {"adsb": "adsb_icao", "mlat": "mlat", "tisb": "tisb_other", "adsr": "adsr_icao"}
TYPE_OF |= {"modes": "mode_s", "other": "other"}

ROW = st.fixed_dictionaries(
    {
        "age": st.floats(0, 59, allow_nan=False),
        "lat": st.floats(-90, 90, allow_nan=False),
        "lon": st.floats(-180, 180, allow_nan=False),
        "alt": st.one_of(st.just("ground"), st.integers(-1000, 60000)),
        "alt_geom": st.one_of(st.none(), st.integers(-1000, 60000)),
        "gs": st.one_of(st.none(), st.floats(0, 1000, allow_nan=False)),
        "track": st.one_of(st.none(), st.floats(0, 359.99, allow_nan=False)),
        "vrate": st.one_of(st.none(), st.integers(-8000, 8000)),
        "squawk": st.one_of(st.none(), st.from_regex(r"[0-7]{4}", fullmatch=True)),
        "callsign": st.one_of(st.none(), st.from_regex(r"[A-Z0-9]{1,8}", fullmatch=True)),
        "source": st.sampled_from(sorted(TYPE_OF)),
    }
)
ROWS = st.lists(ROW, min_size=1, max_size=30).flatmap(
    lambda rows: st.lists(
        st.from_regex(r"~?[0-9a-f]{6}", fullmatch=True),
        min_size=len(rows),
        max_size=len(rows),
        unique=True,
    ).map(lambda hexes: [{**r, "hex": h} for r, h in zip(rows, hexes, strict=True)])
)


def readsb_object(row: dict[str, Any]) -> dict[str, Any]:
    """One canonical row as readsb writes an aircraft object (json_out.c precision)."""
    obj: dict[str, Any] = {"hex": row["hex"], "type": TYPE_OF[row["source"]]}
    if row["callsign"]:
        obj["flight"] = row["callsign"].ljust(8)
    obj["alt_baro"] = row["alt"]
    if row["alt_geom"] is not None:
        obj["alt_geom"] = row["alt_geom"]
    if row["gs"] is not None:
        obj["gs"] = round(row["gs"], 1)
    if row["track"] is not None:
        obj["track"] = round(row["track"], 2)
    if row["vrate"] is not None:
        obj["baro_rate"] = row["vrate"]
    if row["squawk"]:
        obj["squawk"] = row["squawk"]
    obj |= {"lat": round(row["lat"], 6), "lon": round(row["lon"], 6)}
    obj["seen_pos"] = round(row["age"], 3)
    obj["mlat"] = ["lat", "lon"] if row["source"] == "mlat" else []
    obj["tisb"] = ["lat", "lon"] if row["source"] == "tisb" else []
    return obj


def check_round_trip(row: dict[str, Any], back: dict[str, Any], now: float) -> None:
    """A row read back equals the row written, within readsb's printed precision."""
    assert back["time"].timestamp() == pytest.approx(now - round(row["age"], 3), abs=2e-6)
    assert back["icao24"] == row["hex"]
    assert back["lat"] == pytest.approx(row["lat"], abs=1e-6)
    assert back["lon"] == pytest.approx(row["lon"], abs=1e-6)
    assert back["on_ground"] is (row["alt"] == "ground")
    assert back["alt_baro_ft"] == (None if row["alt"] == "ground" else row["alt"])
    assert back["alt_geom_ft"] == row["alt_geom"]
    for name, key, tol in (("gs_kt", "gs", 0.051), ("track_deg", "track", 0.0051)):
        expected = row[key]
        assert back[name] is None if expected is None else abs(back[name] - expected) < tol
    assert back["vrate_fpm"] == row["vrate"]
    assert (back["squawk"], back["callsign"]) == (row["squawk"], row["callsign"])
    assert back["pos_source"] == READSB_TYPES[TYPE_OF[row["source"]]]


@settings(max_examples=40, deadline=None)
@given(rows=ROWS, now=st.floats(1.0e9, 1.76e9, allow_nan=False))
def test_round_trip(rows: list[dict[str, Any]], now: float) -> None:
    now = round(now, 3)
    doc = {"now": now, "messages": 1, "aircraft": [readsb_object(r) for r in rows]}
    blob = Blob("mem", json.dumps(doc, indent=1).encode())
    chunks = list(AircraftJson().read(blob, ReadOptions()))
    assert [r for c in chunks for r in c.rejects] == []
    got = [r for c in chunks for r in c.table.to_pylist()]
    assert len(got) == len(rows)
    for row, back in zip(rows, got, strict=True):
        check_round_trip(row, back, now)
