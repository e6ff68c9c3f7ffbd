"""ADS-B Exchange v2 API responses: the real airplanes.live capture, adsb.lol point, recordings."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basewatch import Store
from basewatch.sources import Blob, ReadOptions, detect_format
from basewatch.sources.adsbx_api import AdsbxV2
from basewatch.sources.readsb_aircraft import read_snapshots
from tests.conftest import FIXTURES, positions, shared
from tests.test_sources_aircraft_json import (
    OTHER_CAPTURES,
    ROWS,
    at,
    by_address,
    check_round_trip,
    load,
    readsb_object,
)

CAPTURE = "adsbx-v2/airplaneslive_45211e.json"
DATA = FIXTURES / "adsbx_v2"


def test_real_capture_only_last_position(store: Store) -> None:
    """One A320 with no current position: exactly its lastPosition, never rr_lat/rr_lon."""
    path = shared(CAPTURE)
    doc = load(path)
    assert detect_format(Blob(path)).name == "adsbx_v2"
    [result] = store.ingest([str(path)])
    assert (result.accepted, result.rejected, result.duplicates) == (1, 0, 0)
    [entry] = doc["ac"]
    assert "lat" not in entry and "seen_pos" not in entry
    last = entry["lastPosition"]
    [row] = positions(store)
    assert row["icao24"] == entry["hex"]
    assert (row["lat"], row["lon"]) == (last["lat"], last["lon"])
    assert row["time"] == at(doc["now"] / 1000 - last["seen_pos"])
    assert row["time"] == at(doc["now"] / 1000 - 3061.406)
    assert (row["lat"], row["lon"]) != (entry["rr_lat"], entry["rr_lon"])
    # the entry's altitude, speed, track and squawk are of now, not of that position
    assert entry["alt_baro"] == 37000 and row["alt_baro_ft"] is None
    assert (row["gs_kt"], row["track_deg"], row["squawk"], row["vrate_fpm"]) == (
        None,
        None,
        None,
        None,
    )
    assert row["callsign"] == entry["flight"].strip() == "CFG846"
    assert row["pos_source"] == "other"
    [again] = store.ingest([str(path)])
    assert again.status == "already ingested"


def test_adsblol_point_response(store: Store) -> None:
    path = DATA / "adsblol_point.json"
    doc = load(path)
    assert detect_format(Blob(path)).name == "adsbx_v2"
    [result] = store.ingest([str(path)])
    with_position = [a for a in doc["ac"] if "lat" in a or "lastPosition" in a]
    assert (result.accepted, result.rejected) == (len(with_position), 0) == (5, 0)
    rows = by_address(store)
    now = doc["now"] / 1000
    for entry in with_position:
        position = entry if "lat" in entry else entry["lastPosition"]
        row = rows[entry["hex"]]
        assert row["time"] == at(now - position["seen_pos"])
        assert (row["lat"], row["lon"]) == (position["lat"], position["lon"])
    # rr_lat/rr_lon alone are no position, and never one beside a lastPosition
    assert "4b8e3f" not in rows
    rough = {(a["rr_lat"], a["rr_lon"]) for a in doc["ac"] if "rr_lat" in a}
    assert not rough & {(r["lat"], r["lon"]) for r in rows.values()}
    il76 = rows["155e0a"]
    assert (il76["alt_baro_ft"], il76["alt_geom_ft"], il76["vrate_fpm"]) == (12000, 12450, -1216)
    assert il76["gs_kt"] == pytest.approx(310.5) and il76["track_deg"] == pytest.approx(201.37)
    assert il76["callsign"] == "RFF7071" and il76["squawk"] == "1000"
    assert il76["pos_source"] == "adsb" and il76["on_ground"] is False
    assert rows["15063e"]["pos_source"] == "mlat"
    assert rows["~2d1f47"]["pos_source"] == "tisb"
    ground = rows["1522c4"]
    assert ground["on_ground"] is True and ground["alt_baro_ft"] is None
    assert rows["155f12"]["pos_source"] == "other" and rows["155f12"]["alt_baro_ft"] is None


def test_recording_repeats_are_stored_once(store: Store) -> None:
    """151d3a keeps one position over three snapshots: counted as duplicates, stored once."""
    path = DATA / "recording.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert detect_format(Blob(path)).name == "adsbx_v2"
    [result] = store.ingest([str(path)])
    held = [(s["now"] / 1000, a) for s in lines for a in s["ac"] if a["hex"] == "151d3a"]
    assert len(held) == 3 and len({(a["lat"], a["lon"]) for _, a in held}) == 1
    assert (result.accepted, result.duplicates, result.rejected) == (4, 2, 0)
    stored = positions(store, "icao24 = '151d3a'")
    assert len(stored) == 1
    assert stored[0]["time"] == at(held[0][0] - held[0][1]["seen_pos"])
    moving = positions(store, "icao24 = '155e0a'")
    expected = [
        at(s["now"] / 1000 - a["seen_pos"]) for s in lines for a in s["ac"] if a["hex"] == "155e0a"
    ]
    assert [r["time"] for r in moving] == expected
    assert [r["alt_baro_ft"] for r in moving] == [12000, 11900, 11800]


def test_recording_streams_in_chunks() -> None:
    chunks = list(read_snapshots(Blob(DATA / "recording.jsonl"), ReadOptions(), chunk_rows=2))
    assert [c.table.num_rows for c in chunks] == [2, 2, 2, 0]
    records = [r for c in chunks for r in c.table.column("record").to_pylist()]
    assert records == [1, 2, 3, 4, 5, 6]  # entries numbered across the whole recording


def test_bad_lines_and_entries_in_a_recording(tmp_path: Path, store: Store) -> None:
    good = {"hex": "155e0a", "lat": 35.4, "lon": 35.9, "seen_pos": 1.0}
    lines = [
        json.dumps({"ac": [good], "now": 1_732_545_000_000}),
        json.dumps({"ac": [{**good, "lat": 123.0}, "junk"], "now": 1_732_545_005_000}),
        '{"ac": [{"hex": "155e0a", "lat": 35.5',
        json.dumps({"msg": "You need a key", "now": 1_732_545_010_000}),
        json.dumps({"ac": None, "msg": "No error", "now": 1_732_545_015_000}),
        json.dumps({"ac": [{**good, "lat": 35.6}], "now": 1_732_545_020_000})[:-8],
    ]
    text = "\n".join(lines) + "\n"
    path = tmp_path / "recording.jsonl"
    path.write_text(text)
    [result] = store.ingest([(Blob(path), AdsbxV2())])
    assert (result.accepted, result.rejected) == (1, 5)
    rejects = store.con.execute(
        "SELECT record, byte_offset, reason FROM rejects ORDER BY byte_offset, record"
    ).fetchall()
    starts = [text.index(line) for line in lines]
    assert [(r[0], r[1]) for r in rejects] == [
        (2, starts[1]),
        (3, starts[1]),
        (None, starts[2]),
        (None, starts[3]),
        (None, starts[5]),
    ]
    assert "latitude out of range" in rejects[0][2]
    assert "not an object" in rejects[1][2]
    assert rejects[2][2].startswith("invalid JSON: line 3")
    assert "You need a key" in rejects[3][2] and "line 4" in rejects[3][2]
    assert rejects[4][2].startswith("invalid JSON: line 6")


def test_truncated_gzip_recording_keeps_complete_lines(tmp_path: Path, store: Store) -> None:
    lines = [
        json.dumps(
            {
                "ac": [{"hex": "155e0a", "lat": 35 + i / 1e3, "lon": 35.9, "seen_pos": 0.5}],
                "now": 1_732_545_000_000 + 1000 * i,
            }
        )
        for i in range(3000)
    ]
    raw = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "recording.jsonl.gz"
    path.write_bytes(raw[: len(raw) // 2])
    [result] = store.ingest([(Blob(path), AdsbxV2())])
    assert 0 < result.accepted < 3000
    reasons = [r[0] for r in store.con.execute("SELECT reason FROM rejects").fetchall()]
    assert any("truncated" in r for r in reasons)


def test_adsbfi_aircraft_key_and_readsb_api_are_told_apart(tmp_path: Path, store: Store) -> None:
    """adsb.fi's 'aircraft' with now in ms is the v2 API; readsb's /re-api/ has now in seconds."""
    entry = {"hex": "155e0a", "type": "adsb_icao", "lat": 35.4, "lon": 35.9, "seen_pos": 2.5}
    adsbfi = tmp_path / "adsbfi.json"
    adsbfi.write_text(
        json.dumps({"aircraft": [entry], "msg": "No error", "now": 1_732_545_000_000, "total": 1})
    )
    reapi = tmp_path / "reapi.json"  # readsb api.c without jv2
    reapi.write_text(
        '{"now": 1732545100.000\n,"aircraft":['
        + json.dumps({**entry, "lat": 35.5})
        + ']\n,"resultCount": 1\n,"ptime": 0.081\n}\n'
    )
    assert detect_format(Blob(adsbfi)).name == "adsbx_v2"
    assert detect_format(Blob(reapi)).name == "aircraft_json"
    results = store.ingest([str(adsbfi), str(reapi)])
    assert [r.accepted for r in results] == [1, 1]
    rows = positions(store)
    assert [r["time"] for r in rows] == [at(1_732_545_000 - 2.5), at(1_732_545_100 - 2.5)]


def test_sniff_rejects_aircraft_json() -> None:
    for name in ("history_42.json", "dump1090_old.json", "receiver.json"):
        assert not AdsbxV2().sniff(Blob(FIXTURES / "aircraft_json" / name).head())


NOT_API = [c for c in OTHER_CAPTURES if not c.startswith("adsbx-v2/")]


@pytest.mark.parametrize("relative", [*NOT_API, "aircraft-json/garden-radar_aircraft.json"])
def test_sniff_rejects_other_formats(relative: str) -> None:
    assert not AdsbxV2().sniff(Blob(shared(relative)).head())


def test_empty_response_has_no_positions(store: Store) -> None:
    blob = Blob("empty.json", b'{"ac":null,"msg":"No error","now":1732545000000,"total":0}')
    assert AdsbxV2().sniff(blob.head())
    [result] = store.ingest([(blob, AdsbxV2())])
    assert (result.accepted, result.rejected) == (0, 0)


@settings(max_examples=40, deadline=None)
@given(rows=ROWS, now=st.integers(1_000_000_000_000, 1_760_000_000_000), split=st.integers(1, 4))
def test_round_trip_recording(rows: list[dict[str, Any]], now: int, split: int) -> None:
    """Canonical rows written as a recording of API responses read back equal."""
    groups = [rows[i::split] for i in range(split)]
    snapshots = [
        {"ac": [readsb_object(r) for r in group], "msg": "No error", "now": now + 1000 * i}
        for i, group in enumerate(groups)
    ]
    data = "".join(json.dumps(s) + "\n" for s in snapshots).encode()
    assert AdsbxV2().sniff(data[:65536])
    chunks = list(AdsbxV2().read(Blob("mem", data), ReadOptions()))
    assert [r for c in chunks for r in c.rejects] == []
    got = [r for c in chunks for r in c.table.to_pylist()]
    written = [(r, (now + 1000 * i) / 1000) for i, group in enumerate(groups) for r in group]
    assert len(got) == len(written)
    for (row, at_now), back in zip(written, got, strict=True):
        check_round_trip(row, back, at_now)


def test_huge_numbers_are_rejects_not_errors(store: Store) -> None:
    big = 2**63 - 1
    body = json.dumps(
        {
            "ac": [
                {"hex": "155e0a", "lat": 35.4, "lon": 35.9, "seen_pos": big},
                {"hex": "155e0b", "lat": 35.4, "lon": 35.9, "seen_pos": 1, "gs": big},
            ],
            "now": big,
        }
    )
    [result] = store.ingest([(Blob("huge.json", body.encode()), AdsbxV2())])
    assert (result.accepted, result.rejected) == (0, 2)
    rows = store.con.execute("SELECT reason FROM rejects ORDER BY record").fetchall()
    reasons = [r[0] for r in rows]
    assert "before 2000" in reasons[0] and "future" in reasons[1]
