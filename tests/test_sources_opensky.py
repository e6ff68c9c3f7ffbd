"""OpenSky REST responses and history extracts: real Parquet capture, CSV, units, rejects."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basewatch import Store
from basewatch.model import FPM_PER_MS, FT_PER_M, KT_PER_MS
from basewatch.sources import Blob, ReadOptions, detect_format
from basewatch.sources.opensky import HISTORY_COLUMNS, OpenSkyHistory, OpenSkyRest
from tests.conftest import FIXTURES, positions, sample_files, shared

CAPTURE = "opensky/state_vectors_4d2271.parquet"
REST = FIXTURES / "opensky_rest"
#: position_source codes as documented (opensky-api docs/free/states-response.rst).
DOC_SOURCES = {0: "adsb", 1: "other", 2: "mlat", 3: "other"}


def _rejects(store: Store) -> list[tuple[int | None, str]]:
    return list(store.con.execute("SELECT record, reason FROM rejects ORDER BY record").fetchall())


# --- the real history capture (Parquet, as pyopensky/traffic cache it) -------------------------


def test_real_parquet_capture(store: Store) -> None:
    path = shared(CAPTURE)
    raw = pq.read_table(path)
    with_pos = raw.filter(pc.and_(pc.is_valid(raw["lat"]), pc.is_valid(raw["lon"])))
    distinct = with_pos.group_by(["lastposupdate", "lat", "lon"]).aggregate([]).num_rows
    assert detect_format(Blob(path)).name == "opensky_history"
    [result] = store.ingest([str(path)])
    assert result.accepted == distinct  # OpenSky repeats each position every second
    assert result.accepted + result.duplicates + result.rejected == with_pos.num_rows
    assert result.rejected == 0 and raw.num_rows == with_pos.num_rows
    rows = positions(store)
    assert {r["icao24"] for r in rows} == set(raw["icao24"].to_pylist())
    assert {r["callsign"] for r in rows} == {c.strip() for c in raw["callsign"].to_pylist()}
    lpu = pc.min_max(raw["lastposupdate"]).as_py()
    assert rows[0]["time"].timestamp() == pytest.approx(lpu["min"], abs=1e-6)  # type: ignore[attr-defined]
    assert rows[-1]["time"].timestamp() == pytest.approx(lpu["max"], abs=1e-6)  # type: ignore[attr-defined]
    assert {r["pos_source"] for r in rows} == {"adsb"}
    # every stored row carries its first raw row's values (later repeats are duplicates)
    by_time: dict[float, dict[str, Any]] = {}
    for src in raw.to_pylist():
        by_time.setdefault(src["lastposupdate"], src)
    for row in rows:
        src = by_time[round(row["time"].timestamp(), 3)]  # type: ignore[attr-defined]
        assert (row["lat"], row["lon"]) == (src["lat"], src["lon"])
        _assert_units(row, src)


def _assert_units(row: dict[str, Any], src: dict[str, Any]) -> None:
    if src["baroaltitude"] is None:
        assert row["alt_baro_ft"] is None
    else:
        assert row["alt_baro_ft"] == round(src["baroaltitude"] * FT_PER_M)
    if src["geoaltitude"] is not None:
        assert row["alt_geom_ft"] == round(src["geoaltitude"] * FT_PER_M)
    assert row["gs_kt"] == pytest.approx(src["velocity"] * KT_PER_MS, rel=1e-6)
    assert row["vrate_fpm"] == pytest.approx(src["vertrate"] * FPM_PER_MS, rel=1e-6, abs=1e-3)
    assert row["track_deg"] == pytest.approx(src["heading"], rel=1e-6)
    assert row["on_ground"] is src["onground"]
    assert row["squawk"] == src["squawk"]


def test_real_capture_cruises_at_fl370(store: Store) -> None:
    """11277.6 m is exactly 37,000 ft (the ICAO foot is 0.3048 m): the cruise level."""
    path = shared(CAPTURE)
    baro = set(
        pq.read_table(path, columns=["baroaltitude"])["baroaltitude"].drop_null().to_pylist()
    )
    assert baro == {11277.6}
    store.ingest([str(path)])
    levels = {r["alt_baro_ft"] for r in positions(store)} - {None}
    assert levels == {round(11277.6 / 0.3048)} == {37000}


def _capture_as_csv(path: Path, iso: bool) -> bytes:
    """The capture written as the Impala shell / pyopensky CSV (epoch seconds) or with ISO times."""
    table = pq.read_table(path, columns=list(HISTORY_COLUMNS))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HISTORY_COLUMNS)
    for row in table.to_pylist():
        when: datetime = row["time"]
        row["time"] = when.isoformat() if iso else int(when.timestamp())
        writer.writerow(["" if row[c] is None else row[c] for c in HISTORY_COLUMNS])
    return out.getvalue().encode()


@pytest.mark.parametrize("iso", [False, True])
def test_csv_extract_matches_parquet(tmp_path: Path, iso: bool) -> None:
    path = shared(CAPTURE)
    csv_path = tmp_path / "extract.csv.gz"
    csv_path.write_bytes(gzip.compress(_capture_as_csv(path, iso)))
    assert detect_format(Blob(csv_path)).name == "opensky_history"
    with Store.open(":memory:") as a, Store.open(":memory:") as b:
        [from_csv] = a.ingest([str(csv_path)])
        [from_parquet] = b.ingest([str(path)])
        assert from_csv.accepted == from_parquet.accepted
        assert from_csv.duplicates == from_parquet.duplicates
        strip = ("ingest_id",)
        rows_a = [{k: v for k, v in r.items() if k not in strip} for r in positions(a)]
        rows_b = [{k: v for k, v in r.items() if k not in strip} for r in positions(b)]
        assert rows_a == rows_b


def test_history_csv_without_lastposupdate_uses_time(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "old.csv"
    path.write_text(
        "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude\n"
        "1480760792,3c6444,50.1,8.6,100,90,0,3048\n"
        "1480760793,3c6444,,,100,90,0,3048\n"  # no position: not a position, not a reject
    )
    [result] = store.ingest([str(path)])
    assert (result.accepted, result.rejected) == (1, 0)
    [row] = positions(store)
    assert row["time"] == datetime.fromtimestamp(1480760792, UTC)
    assert row["alt_baro_ft"] == 10000 and row["gs_kt"] == pytest.approx(100 * KT_PER_MS)


def test_history_csv_rejects_name_their_line(tmp_path: Path, store: Store) -> None:
    lines = [
        "time,icao24,lat,lon,velocity,heading,vertrate,onground,baroaltitude,lastposupdate",
        "1643816700,4d2271,45.86,4.96,216,234,0,false,11277.6,1643816699.9",
        "1643816701,4d2271,123.0,4.96,216,234,0,false,11277.6,1643816700.9",
        "1643816702,zz2271,45.85,4.95,216,234,0,false,11277.6,1643816701.9",
        "1643816703,4d2271,45.84,4.94,fast,234,0,false,11277.6,1643816702.9",
        "1643816704,4d2271,45.83,4.93,216,234",
        "1643816705,4d2271,45.82,4.92,216,234,0,maybe,11277.6,1643816704.9",
        "1643816706,4d2271,45.81,4.91,216,234,0,false,11277.6,86400",
        "1643816707,4d2271,45.80,4.90,216,234,0,false,11277.6,4102444800",
    ]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    [result] = store.ingest([str(path)], options=ReadOptions(now=datetime(2024, 1, 1, tzinfo=UTC)))
    assert (result.accepted, result.rejected) == (1, 7)
    reasons = dict(_rejects(store))
    assert "latitude out of range" in reasons[3]
    assert "not 6 hex" in reasons[4]
    assert reasons[5] == "velocity: not a number"
    assert "expected 10 CSV fields" in reasons[6]
    assert reasons[7] == "onground: not a boolean"
    assert "before 2000" in reasons[8]
    assert "future" in reasons[9]


def test_truncated_gzip_csv_keeps_what_was_read(tmp_path: Path, store: Store) -> None:
    header = "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude\n"
    body = "".join(
        f"{1643816700 + i},4d2271,{45 + i / 1000:.4f},4.9,216,234,0,11277.6\n" for i in range(5000)
    )
    data = gzip.compress((header + body).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    [result] = store.ingest([(Blob(path), OpenSkyHistory())])
    assert 0 < result.accepted < 5000 and result.rejected == 1
    assert "gzip" in _rejects(store)[0][1]


def test_broken_or_foreign_parquet_is_one_reject(tmp_path: Path, store: Store) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    foreign = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"x": [1, 2]}), foreign)
    assert not OpenSkyHistory().sniff(foreign.read_bytes())  # small file: schema checked
    results = store.ingest([(Blob(broken), OpenSkyHistory()), (Blob(foreign), OpenSkyHistory())])
    assert [(r.accepted, r.rejected) for r in results] == [(0, 1), (0, 1)]
    reasons = [r[1] for r in _rejects(store)]
    assert any("Parquet" in r and "lacks" in r for r in reasons)
    assert any("corrupt or unreadable Parquet" in r for r in reasons)


def test_reingest_is_idempotent(store: Store) -> None:
    path = shared(CAPTURE)
    first, second = store.ingest([str(path)]), store.ingest([str(path)])
    assert first[0].status == "ingested" and second[0].status == "already ingested"
    assert second[0].accepted == 0


# --- REST /api/states/all ------------------------------------------------------------------------


def _with_position(states: list[list[Any]]) -> list[list[Any]]:
    return [s for s in states if s[3] is not None and s[5] is not None and s[6] is not None]


def test_rest_document_fixture(store: Store) -> None:
    path = REST / "states_all.json"
    doc = json.loads(path.read_text())
    expected = _with_position(doc["states"])
    assert detect_format(Blob(path)).name == "opensky_rest"
    [result] = store.ingest([str(path)])
    assert (result.accepted, result.rejected) == (len(expected), 0)
    rows = {r["icao24"]: r for r in positions(store)}
    assert len(rows) == len(expected)
    for state in expected:
        row = rows[state[0]]
        assert row["time"] == datetime.fromtimestamp(state[3], UTC)
        assert (row["lon"], row["lat"]) == (state[5], state[6])
        assert row["callsign"] == (state[1].strip() if state[1] else None)
        baro, geo = state[7], state[13]
        assert row["alt_baro_ft"] == (None if baro is None else round(baro * FT_PER_M))
        assert row["alt_geom_ft"] == (None if geo is None else round(geo * FT_PER_M))
        assert row["gs_kt"] == pytest.approx(state[9] * KT_PER_MS, rel=1e-6)
        assert row["track_deg"] == pytest.approx(state[10])
        if state[11] is not None:
            assert row["vrate_fpm"] == pytest.approx(state[11] * FPM_PER_MS, rel=1e-6)
        assert row["on_ground"] is state[8] and row["squawk"] == state[14]
        assert row["pos_source"] == DOC_SOURCES[state[16]]
    assert {s[16] for s in expected} == set(DOC_SOURCES)  # every documented code is exercised
    # the documented example: 6553.2 m is 21,500 ft
    assert rows["a086d8"]["alt_baro_ft"] == 21500


def test_rest_json_lines_repeated_positions_are_duplicates(store: Store) -> None:
    path = REST / "states_polls.jsonl"
    polls = [json.loads(line) for line in path.read_text().splitlines()]
    states = [s for p in polls for s in (p["states"] or [])]
    distinct = {(s[0], s[3], s[5], s[6]) for s in _with_position(states)}
    [result] = store.ingest([str(path)])
    assert result.accepted == len(distinct)
    assert result.accepted + result.duplicates == len(states)


def test_rest_rejects_name_the_state(tmp_path: Path, store: Store) -> None:
    good = ["4b1805", "SWR12", "CH", 1700000000, 1700000000, 8.5, 47.4, 400.0, False, 5.0, 90.0]
    tail = [0.0, None, 420.0, "1000", False, 0]
    states = [
        good + tail,
        [
            "4b1805",
            "SWR12",
            "CH",
            1700000001,
            1700000001,
            8.5,
            123.0,
            400.0,
            False,
            5.0,
            90.0,
            *tail,
        ],
        [
            "nothex",
            "SWR12",
            "CH",
            1700000002,
            1700000002,
            8.5,
            47.4,
            400.0,
            False,
            5.0,
            90.0,
            *tail,
        ],
        ["4b1805", "SWR12", "CH", 1700000003, 1700000003, 8.5, "x", 400.0, False, 5.0, 90.0, *tail],
        ["4b1805", "SWR12", "CH", 86400, 86400, 8.5, 47.4, 400.0, False, 5.0, 90.0, *tail],
        ["4b1805", "SWR12", "CH"],
        "not a state",
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"time": 1700000010, "states": states}))
    [result] = store.ingest([str(path)])
    assert (result.accepted, result.rejected) == (1, 6)
    reasons = dict(_rejects(store))
    assert "latitude out of range" in reasons[2]
    assert "not 6 hex" in reasons[3]
    assert reasons[4] == "latitude: not a number"
    assert "before 2000" in reasons[5]
    assert "17+ values" in reasons[6] and "17+ values" in reasons[7]


def test_rest_bad_lines_and_truncated_gzip(tmp_path: Path, store: Store) -> None:
    state = ["a086d8", "FDX1869", "US", 0, 0, -121.8, 37.2, 6553.2, False, 236.9, 142.2, 13.3]
    lines = []
    for i in range(3000):
        s = [*state, None, 6743.7, "6714", False, 0]
        s[3] = s[4] = 1507198218 + i
        s[6] = 37.2 + i / 10000
        lines.append(json.dumps({"time": 1507198218 + i, "states": [s]}))
    lines.insert(1, "{not json")
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "polls.jsonl.gz"
    path.write_bytes(data[: int(len(data) * 0.6)])
    [result] = store.ingest([(Blob(path), OpenSkyRest())])
    assert 0 < result.accepted < 3000 and result.rejected == 2
    reasons = [r[1] for r in _rejects(store)]
    assert any(r.startswith("line 2: invalid JSON") for r in reasons)
    assert any("gzip" in r for r in reasons)


# --- sniffing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sniffers_claim_only_their_files(path: Path) -> None:
    head = Blob(path).head()
    assert OpenSkyRest().sniff(head) == (path.parent.name == "opensky_rest")
    assert OpenSkyHistory().sniff(head) == (path.parent.name == "opensky")


# --- round trips ---------------------------------------------------------------------------------

ROUND_TRIP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
hexes = st.text("0123456789abcdef", min_size=6, max_size=6)
# OpenSky's Impala exports write NULL/NaN for missing values, so the adapter reads such texts
# as null: they cannot round-trip as callsigns.
callsigns = st.one_of(
    st.none(),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8).filter(
        lambda c: c.lower() not in {"null", "nan", "none", "na", "n/a"}
    ),
)
squawks = st.one_of(st.none(), st.text("01234567", min_size=4, max_size=4))
canonical = st.fixed_dictionaries(
    {
        "icao24": hexes,
        "time": st.integers(946_684_800, 1_750_000_000),
        "lat": st.floats(-90, 90),
        "lon": st.floats(-180, 180),
        "alt_baro_ft": st.one_of(st.none(), st.integers(-1000, 60000)),
        "alt_geom_ft": st.one_of(st.none(), st.integers(-1000, 60000)),
        "gs_kt": st.floats(0, 1200),
        "track_deg": st.floats(0, 359.99),
        "vrate_fpm": st.floats(-8000, 8000),
        "on_ground": st.booleans(),
        "squawk": squawks,
        "callsign": callsigns,
        "source": st.sampled_from(sorted(DOC_SOURCES)),
    }
)


def _read(adapter: OpenSkyRest | OpenSkyHistory, data: bytes) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for chunk in adapter.read(Blob("mem", data), ReadOptions()):
        assert chunk.rejects == []
        out += chunk.table.to_pylist()
    return out


def _metres(feet: int | None) -> float | None:
    return None if feet is None else feet / FT_PER_M


def _same(row: dict[str, Any], p: dict[str, Any]) -> None:
    assert row["icao24"] == p["icao24"] and row["callsign"] == p["callsign"]
    assert (row["lat"], row["lon"]) == (p["lat"], p["lon"])
    assert (row["alt_baro_ft"], row["alt_geom_ft"]) == (p["alt_baro_ft"], p["alt_geom_ft"])
    assert row["gs_kt"] == pytest.approx(p["gs_kt"], rel=1e-6, abs=1e-4)
    assert row["track_deg"] == pytest.approx(p["track_deg"], rel=1e-6, abs=1e-4)
    assert row["vrate_fpm"] == pytest.approx(p["vrate_fpm"], rel=1e-6, abs=1e-2)
    assert row["on_ground"] is p["on_ground"] and row["squawk"] == p["squawk"]


def _rest_state(p: dict[str, Any]) -> list[Any]:
    return [
        p["icao24"], None if p["callsign"] is None else p["callsign"].ljust(8), "Nowhere",
        p["time"], p["time"], p["lon"], p["lat"], _metres(p["alt_baro_ft"]), p["on_ground"],
        p["gs_kt"] / KT_PER_MS, p["track_deg"], p["vrate_fpm"] / FPM_PER_MS, None,
        _metres(p["alt_geom_ft"]), p["squawk"], False, p["source"],
    ]  # fmt: skip


@ROUND_TRIP
@given(batch=st.lists(canonical, min_size=1, max_size=30), lines=st.booleans())
def test_rest_round_trip(batch: list[dict[str, Any]], lines: bool) -> None:
    states = [_rest_state(p) for p in batch]
    if lines:
        data = b"".join(json.dumps({"time": 1, "states": [s]}).encode() + b"\n" for s in states)
    else:
        data = json.dumps({"time": 1, "states": states}, indent=2).encode()
    rows = _read(OpenSkyRest(), data)
    assert len(rows) == len(batch)
    for row, p in zip(rows, batch, strict=True):
        _same(row, p)
        assert row["time"] == datetime.fromtimestamp(p["time"], UTC)
        assert row["pos_source"] == DOC_SOURCES[p["source"]]


@ROUND_TRIP
@given(batch=st.lists(canonical, max_size=30), millis=st.integers(0, 999))
def test_history_csv_round_trip(batch: list[dict[str, Any]], millis: int) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HISTORY_COLUMNS)
    for p in batch:
        lpu = p["time"] + millis / 1000
        values = {
            "time": math.ceil(lpu), "icao24": p["icao24"], "lat": p["lat"], "lon": p["lon"],
            "velocity": p["gs_kt"] / KT_PER_MS, "heading": p["track_deg"],
            "vertrate": p["vrate_fpm"] / FPM_PER_MS, "callsign": p["callsign"],
            "onground": p["on_ground"], "alert": False, "spi": False, "squawk": p["squawk"],
            "baroaltitude": _metres(p["alt_baro_ft"]), "geoaltitude": _metres(p["alt_geom_ft"]),
            "lastposupdate": lpu, "lastcontact": lpu,
        }  # fmt: skip
        writer.writerow(["" if values[c] is None else values[c] for c in HISTORY_COLUMNS])
    rows = _read(OpenSkyHistory(), out.getvalue().encode())
    assert len(rows) == len(batch)
    for row, p in zip(rows, batch, strict=True):
        _same(row, p)
        expected = p["time"] + millis / 1000
        assert row["time"].timestamp() == pytest.approx(expected, abs=1e-6)
        assert row["pos_source"] == "adsb"
