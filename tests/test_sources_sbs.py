"""SBS-1 BaseStation text: the fixture, carry-forward, units, rejects, chunking, a round trip."""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basewatch import Store
from basewatch.sources import Blob, ReadOptions, detect_format
from basewatch.sources import lines as lines_module
from basewatch.sources.modes import Beast, ModesHex
from basewatch.sources.sbs import Sbs
from tests.conftest import FIXTURES, positions, shared

FIXTURE = FIXTURES / "sbs" / "basestation_30003.txt"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _fixture_rows() -> list[list[str]]:
    with FIXTURE.open(newline="") as fh:
        return [[f.strip() for f in row] for row in csv.reader(fh)]


def _read(data: bytes, options: ReadOptions | None = None) -> tuple[list[dict[str, object]], list]:
    rows: list[dict[str, object]] = []
    rejects = []
    for chunk in Sbs().read(Blob("mem.sbs", data), options or ReadOptions(now=NOW)):
        rows += chunk.table.to_pylist()
        rejects += chunk.rejects
    return rows, rejects


def test_fixture_positions_carry_and_rejects(store: Store) -> None:
    assert detect_format(Blob(FIXTURE)).name == "sbs"
    [result] = store.ingest([str(FIXTURE)])
    rows = _fixture_rows()
    # positions: MSG,2/3 lines with 22 fields, a hex address, a latitude on Earth
    expected = [
        n
        for n, r in enumerate(rows, start=1)
        if len(r) >= 22 and r[0] == "MSG" and r[1] in ("2", "3") and r[14]
        if all(c in "0123456789ABCDEF" for c in r[4]) and abs(float(r[14])) <= 90
    ]
    assert result.accepted == len(expected) == 6
    rejects = store.con.execute("SELECT record, reason FROM rejects ORDER BY record").fetchall()
    assert [r[0] for r in rejects] == [11, 13, 14, 17, 20]
    reasons = dict(rejects)
    assert "fewer than 22 fields" in reasons[11]
    assert "6 hex digits" in reasons[13]
    assert "latitude out of range" in reasons[14]
    assert "1-8" in reasons[17]
    assert "not an SBS line" in reasons[20]
    got = {(p["icao24"], p["time"]): p for p in positions(store)}
    first = got[("4ca2d4", datetime(2024, 5, 1, 10, 0, 3, tzinfo=UTC))]
    # carried from MSG,1 (callsign), MSG,6 (squawk) and MSG,4 (speed, track, rate)
    assert first["callsign"] == "RYR4LC" and first["squawk"] == "2145"
    assert (first["gs_kt"], first["track_deg"], first["vrate_fpm"]) == (452, 271, -64)
    assert first["alt_baro_ft"] == 36000 and first["on_ground"] is False
    assert first["pos_source"] == "adsb"
    # the second MSG,3 has no altitude: the MSG,7 just before gives it
    second = got[("4ca2d4", datetime(2024, 5, 1, 10, 0, 4, tzinfo=UTC))]
    assert second["alt_baro_ft"] == int(rows[8][11]) == 36025
    # a surface position (MSG,2): on the ground, no altitude carried from the air
    ground = got[("3c6586", datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC))]
    assert ground["on_ground"] is True and ground["alt_baro_ft"] is None
    assert (ground["gs_kt"], ground["track_deg"]) == (float(rows[21][12]), float(rows[21][13]))
    # a callsign seen 80 s before the position is not carried (limit 60 s)
    fresh = got[("48520a", datetime(2024, 5, 1, 10, 0, 20, tzinfo=UTC))]
    stale = got[("48520a", datetime(2024, 5, 1, 10, 1, 30, tzinfo=UTC))]
    assert fresh["callsign"] == "TRA89M" and stale["callsign"] is None


def test_reingest_is_a_no_op(store: Store) -> None:
    [first] = store.ingest([str(FIXTURE)])
    [again] = store.ingest([str(FIXTURE)])
    assert first.accepted == 6 and again.status == "already ingested"
    assert store.con.execute("SELECT count(*) FROM positions").fetchone() == (6,)


def test_sniff_positive_and_negative() -> None:
    assert Sbs().sniff(FIXTURE.read_bytes())
    assert not ModesHex().sniff(FIXTURE.read_bytes())
    assert not Beast().sniff(FIXTURE.read_bytes())
    assert not Sbs().sniff((FIXTURES / "modes" / "raw_30002.txt").read_bytes())
    assert not Sbs().sniff(b'{"icao": "abc123", "trace": []}')
    assert not Sbs().sniff(b"")


@pytest.mark.parametrize(
    "relative",
    ["beast/sample_dump1090.bin", "modes/sample_data_adsb.csv", "readsb/trace_full_ac671b.json"],
)
def test_sniff_rejects_the_real_captures_of_other_formats(relative: str) -> None:
    assert not Sbs().sniff(shared(relative).read_bytes()[: 64 * 1024])


def _msg(kind: int, hexid: str, when: datetime, rest: str) -> str:
    stamp = f"{when:%Y/%m/%d},{when:%H:%M:%S}.{when.microsecond // 1000:03d}"
    return f"MSG,{kind},1,1,{hexid},1,{stamp},{stamp},{rest}\r\n"


T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def test_units_gnss_altitude_and_ground_flags() -> None:
    data = "".join(
        [
            _msg(3, "ABCDEF", T0, ",35000H,,,45.0,7.0,,,0,0,0,0"),
            _msg(4, "ABCDEF", T0 + timedelta(seconds=1), ",,480,90,,,1024H,,,,,0"),
            _msg(3, "ABCDEF", T0 + timedelta(seconds=2), ",35025,,,45.1,7.1,,,0,0,0,1"),
            _msg(2, "ABCDEF", T0 + timedelta(seconds=3), ",,12,180,45.2,7.2,,,,,,0"),
        ]
    ).encode()
    rows, rejects = _read(data)
    assert rejects == []
    assert rows[0]["alt_geom_ft"] == 35000 and rows[0]["alt_baro_ft"] is None
    # knots, degrees and ft/min are SBS's own units: passed through (the H of GNSS rate dropped)
    assert (rows[1]["gs_kt"], rows[1]["track_deg"], rows[1]["vrate_fpm"]) == (480, 90, 1024)
    assert rows[1]["on_ground"] is True  # field 22 "1"
    assert rows[0]["on_ground"] is False
    assert rows[2]["on_ground"] is True  # MSG,2 is a surface position whatever field 22 says
    assert rows[2]["alt_baro_ft"] is None and rows[2]["gs_kt"] == 12


def test_bad_times_are_rejected() -> None:
    data = "".join(
        [
            _msg(3, "ABCDEF", datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC), ",1000,,,45.0,7.0,,,,,,0"),
            _msg(3, "ABCDEF", NOW + timedelta(days=30), ",1000,,,45.0,7.0,,,,,,0"),
            "MSG,3,1,1,ABCDEF,1,2024/13/45,10:00:00.000,,,,1000,,,45.0,7.0,,,,,,0\r\n",
            "MSG,3,1,1,ABCDEF,1,2024/05/01,25:61:00.000,,,,1000,,,45.0,7.0,,,,,,0\r\n",
            _msg(3, "ABCDEF", T0, ",1000,,,45.0,seven,,,,,,0"),
        ]
    ).encode()
    rows, rejects = _read(data)
    assert rows == []
    why = {r.record: r.reason for r in rejects}
    assert "before 2000" in why[1] and "future" in why[2]
    assert "date/time" in why[3] and "date/time" in why[4]
    assert "longitude" in why[5] and "not a number" in why[5]
    assert all(r.offset is not None for r in rejects)


def test_truncated_gzip_keeps_what_was_readable(tmp_path: Path, store: Store) -> None:
    body = "".join(
        _msg(3, "ABCDEF", T0 + timedelta(seconds=i), f",1000,,,45.0,{i / 1000:.5f},,,0,0,0,0")
        for i in range(3000)
    )
    path = tmp_path / "feed.sbs.gz"
    packed = gzip.compress(body.encode())
    path.write_bytes(packed[: len(packed) // 2])
    assert detect_format(Blob(path)).name == "sbs"
    [result] = store.ingest([str(path)])
    assert 0 < result.accepted < 3000
    reasons = [r[0] for r in store.con.execute("SELECT reason FROM rejects").fetchall()]
    assert any("gzip" in r for r in reasons)


def test_carry_forward_crosses_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    whole, _ = _read(FIXTURE.read_bytes())
    monkeypatch.setattr(lines_module, "BATCH_LINES", 2)
    chunked, rejects = _read(FIXTURE.read_bytes())
    assert chunked == whole
    assert sorted(r.record for r in rejects if r.record) == [11, 13, 14, 17, 20]


# --- round trip -------------------------------------------------------------------------------

_point = st.fixed_dictionaries(
    {
        "icao24": st.sampled_from(["3c6586", "4ca2d4", "48520a", "a1b2c3"]),
        "dt_ms": st.integers(1, 90_000),
        "lat": st.floats(-89.9, 89.9),
        "lon": st.floats(-179.9, 179.9),
        "alt": st.integers(-1000, 50_000),
        "gs": st.integers(0, 700),
        "track": st.integers(0, 359),
        "vrate": st.integers(-100, 100).map(lambda v: v * 64),
        "callsign": st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8),
        "squawk": st.text("01234567", min_size=4, max_size=4),
        "ground": st.booleans(),
    }
)


def _write_sbs(points: list[dict[str, object]]) -> tuple[bytes, list[datetime]]:
    """Each point as dump1090 would send it: MSG 1, 6 and 4, then the MSG 3 or 2 position."""
    out, when, times = [], T0, []
    for p in points:
        when += timedelta(milliseconds=int(p["dt_ms"]))  # type: ignore[call-overload]
        times.append(when)
        hexid = str(p["icao24"]).upper()
        out.append(_msg(1, hexid, when, f"{p['callsign']},,,,,,,,,,,0"))
        out.append(_msg(6, hexid, when, f",,,,,,,{p['squawk']},0,0,0,0"))
        out.append(_msg(4, hexid, when, f",,{p['gs']},{p['track']},,,{p['vrate']},,,,,0"))
        if p["ground"]:
            out.append(_msg(2, hexid, when, f",,,,{p['lat']:1.6f},{p['lon']:1.6f},,,,,,-1"))
        else:
            out.append(
                _msg(3, hexid, when, f",{p['alt']},,,{p['lat']:1.6f},{p['lon']:1.6f},,,0,0,0,0")
            )
    return "".join(out).encode(), times


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_point, min_size=1, max_size=25))
def test_sbs_writer_round_trip(points: list[dict[str, object]]) -> None:
    data, times = _write_sbs(points)
    rows, rejects = _read(data)
    assert rejects == []
    assert len(rows) == len(points)
    for row, p, when in zip(rows, points, times, strict=True):
        assert row["icao24"] == p["icao24"] and row["time"] == when
        assert row["lat"] == pytest.approx(p["lat"], abs=1e-6)
        assert row["lon"] == pytest.approx(p["lon"], abs=1e-6)
        assert row["alt_baro_ft"] == (None if p["ground"] else p["alt"])
        assert (row["gs_kt"], row["track_deg"], row["vrate_fpm"]) == (
            p["gs"],
            p["track"],
            p["vrate"],
        )
        assert (row["callsign"], row["squawk"]) == (p["callsign"], p["squawk"])
        assert row["on_ground"] is p["ground"]
