"""readsb globe_history traces: the real capture, gzip, flags, carry-forward, bad input."""

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
from basewatch.sources.readsb_trace import ReadsbTrace
from basewatch.sources.vocab import READSB_TYPES
from tests.conftest import positions, shared

TRACE = "readsb/trace_full_ac671b.json"


def _read(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return json.loads(data)  # type: ignore[no-any-return]


def test_real_trace_ingests_every_point(store: Store) -> None:
    path = shared(TRACE)
    doc = _read(path)
    assert detect_format(Blob(path)).name == "readsb_trace"
    [result] = store.ingest([str(path)])
    assert result.accepted + result.duplicates == len(doc["trace"])  # type: ignore[arg-type]
    assert result.rejected == 0
    rows = positions(store)
    assert {r["icao24"] for r in rows} == {"ac671b"}
    start = datetime.fromtimestamp(doc["timestamp"], UTC)  # type: ignore[arg-type]
    assert rows[0]["time"] == start
    last_dt = doc["trace"][-1][0]  # type: ignore[index]
    assert abs((rows[-1]["time"] - start).total_seconds() - last_dt) < 1e-3  # type: ignore[operator]
    assert all(-90 <= r["lat"] <= 90 for r in rows)  # type: ignore[operator]
    # the trace ends on the ground at Denver: altitude "ground" sets on_ground, no baro altitude
    assert rows[-1]["on_ground"] is True and rows[-1]["alt_baro_ft"] is None
    assert rows[-1]["alt_geom_ft"] == doc["trace"][-1][10]  # type: ignore[index]
    # callsigns come from the sparse aircraft objects, carried forward
    calls = {r["callsign"] for r in rows}
    assert {"DAL1812", "DAL2927"} <= calls
    assert {r["pos_source"] for r in rows} == {"adsb"}
    new_legs = sum(1 for p in doc["trace"] if p[6] & 2)  # type: ignore[union-attr,index]
    assert sum(1 for r in rows if r["new_leg"]) == new_legs


def _trace(
    tmp_path: Path, points: list[list[object]], gz: bool = False, name: str = "t.json"
) -> Path:
    doc = {"icao": "~1a2b3c", "timestamp": 1_700_000_000.0, "trace": points}
    raw = json.dumps(doc).encode()
    path = tmp_path / name
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def test_gzip_flags_and_geometric_altitude(tmp_path: Path, store: Store) -> None:
    obj = {"type": "mlat", "flight": "RFF7071 ", "squawk": "1000"}
    points = [
        [0, 35.4, 35.9, 3000, 200, 90, 0, -500, obj, "mlat", 3100, None, None, None],
        [10, 35.41, 35.91, 2500, 190, 90, 8 | 1, None, None, "mlat", None, -600, None, None],
        [20, 35.42, 35.92, "ground", 20, 90, 2, None, None, "adsb_icao", None, None, None, None],
    ]
    path = _trace(tmp_path, points, gz=True)
    [result] = store.ingest([str(path)])
    assert result.accepted == 3
    rows = positions(store)
    assert rows[0]["icao24"] == "~1a2b3c" and rows[0]["pos_source"] == "mlat"
    assert rows[0]["callsign"] == "RFF7071" and rows[1]["callsign"] == "RFF7071"
    assert rows[1]["alt_baro_ft"] is None and rows[1]["alt_geom_ft"] == 2500  # flag 8
    assert rows[1]["stale"] is True and rows[1]["vrate_fpm"] == -600
    # a new leg stops the carried callsign
    assert rows[2]["new_leg"] is True and rows[2]["callsign"] is None
    assert rows[2]["on_ground"] is True and rows[2]["pos_source"] == "adsb"


def test_bad_points_are_rejected_with_their_number(tmp_path: Path, store: Store) -> None:
    points = [
        [0, 35.4, 35.9, 3000, 200, 90, 0, 0, None, "adsb_icao", None, None, None, None],
        [5, 123.0, 35.9, 3000, 200, 90, 0, 0, None, "adsb_icao", None, None, None, None],
        [6, "x", 35.9, 3000, 200, 90, 0, 0, None, "adsb_icao", None, None, None, None],
        "not a point",
        [
            -1_690_000_000,
            35.5,
            35.9,
            3000,
            200,
            90,
            0,
            0,
            None,
            "adsb_icao",
            None,
            None,
            None,
            None,
        ],
    ]
    [result] = store.ingest([str(_trace(tmp_path, points))])
    assert (result.accepted, result.rejected) == (1, 4)
    rejects = store.con.execute("SELECT record, reason FROM rejects ORDER BY record").fetchall()
    assert [r[0] for r in rejects] == [2, 3, 4, 5]
    assert "latitude out of range" in rejects[0][1]
    assert rejects[1][1].startswith("lat:")
    assert "list" in rejects[2][1]
    assert "before 2000" in rejects[3][1]


def test_truncated_gzip_is_one_reject_not_a_crash(tmp_path: Path, store: Store) -> None:
    points = [
        [i, 35.4, 35.9 + i / 1000, 3000, 200, 90, 0, 0, None, "adsb_icao"] for i in range(500)
    ]
    path = _trace(tmp_path, points, gz=True)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    [result] = store.ingest([str(path)])
    assert (result.accepted, result.rejected) == (0, 1)
    reason = store.con.execute("SELECT reason FROM rejects").fetchone()
    assert reason is not None and "gzip" in reason[0]


def test_tree_with_date_filter(tmp_path: Path, store: Store) -> None:
    point = [0, 35.4, 35.9, 3000, 200, 90, 0, 0, None, "adsb_icao"]
    for day in ("01", "02", "03"):
        folder = tmp_path / "2024" / "05" / day / "traces" / "3c"
        folder.mkdir(parents=True)
        _trace(folder, [point], gz=True, name=f"trace_full_{day}3c.json")
    options = ReadOptions(
        since=datetime(2024, 5, 2, tzinfo=UTC), until=datetime(2024, 5, 2, 23, tzinfo=UTC)
    )
    work, skipped = store.plan([str(tmp_path)], options=options)
    assert [Path(b.path).name for b, _ in work] == ["trace_full_023c.json"]
    assert skipped == []
    assert all(isinstance(s, ReadsbTrace) for _, s in work)


ROW = st.fixed_dictionaries(
    {
        "dt": st.floats(min_value=0.01, max_value=600, allow_nan=False).map(lambda x: round(x, 2)),
        "lat": st.floats(min_value=-90, max_value=90).map(lambda x: round(x, 6)),
        "lon": st.floats(min_value=-180, max_value=180).map(lambda x: round(x, 6)),
        "alt": st.one_of(st.none(), st.just("ground"), st.integers(-1000, 60000)),
        "gs": st.one_of(st.none(), st.floats(0, 700).map(lambda x: round(x, 1))),
        "track": st.one_of(st.none(), st.floats(0, 359.9).map(lambda x: round(x, 1))),
        "vrate": st.one_of(st.none(), st.integers(-6000, 6000)),
        "source": st.sampled_from(sorted(READSB_TYPES)),
        "callsign": st.one_of(st.none(), st.from_regex(r"[A-Z]{3}[0-9]{1,4}", fullmatch=True)),
    }
)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(ROW, min_size=1, max_size=40),
    icao=st.from_regex(r"~?[0-9a-f]{6}", fullmatch=True),
)
def test_round_trip(rows: list[dict[str, Any]], icao: str) -> None:
    """Canonical rows written as a readsb trace read back equal."""
    t, points = 0.0, []
    for row in rows:
        t = round(t + row["dt"], 2)
        obj = {"flight": row["callsign"].ljust(8)} if row["callsign"] else None
        points.append(
            [
                t,
                row["lat"],
                row["lon"],
                row["alt"],
                row["gs"],
                row["track"],
                0,
                row["vrate"],
                obj,
                row["source"],
            ]
        )
    blob = Blob("mem", json.dumps({"icao": icao, "timestamp": 1.7e9, "trace": points}).encode())
    [chunk] = ReadsbTrace().read(blob, ReadOptions())
    assert chunk.rejects == []
    got = chunk.table.to_pylist()
    callsign = None
    for row, point, back in zip(rows, points, got, strict=True):
        callsign = row["callsign"] or callsign
        assert back["time"].timestamp() == pytest.approx(1.7e9 + point[0], abs=1e-6)
        assert (back["icao24"], back["lat"], back["lon"]) == (icao, row["lat"], row["lon"])
        assert back["on_ground"] is (row["alt"] == "ground")
        assert back["alt_baro_ft"] == (None if row["alt"] == "ground" else row["alt"])
        assert (
            back["gs_kt"] == pytest.approx(row["gs"], abs=0.01)
            if row["gs"] is not None
            else back["gs_kt"] is None
        )
        assert back["vrate_fpm"] == row["vrate"]
        assert back["pos_source"] == READSB_TYPES[row["source"]]
        assert back["callsign"] == callsign


def test_trace_header_feeds_the_registry(store: Store) -> None:
    """readsb copies its database fields into each trace (r, t, desc, ownOp, year, dbFlags):
    ingesting the trace imports them, and the identity shows them with their source."""
    from basewatch import identify_aircraft

    path = shared(TRACE)
    doc = _read(path)
    store.ingest([str(path)])
    [record] = store.con.execute(
        "SELECT icao24, source, registration, type_code, type_desc, operator, military "
        "FROM aircraft_records"
    ).fetchall()
    assert record == (
        "ac671b",
        "readsb_trace",
        doc["r"],
        doc["t"],
        doc["desc"],
        doc["ownOp"],
        bool(doc["dbFlags"] & 1),  # type: ignore[operator]
    )
    who = identify_aircraft(store, "ac671b").as_json()
    assert (who["registration"], who["type"], who["operator"]) == (doc["r"], doc["t"], doc["ownOp"])
    assert who["country"] == "US"
    assert any(r["source"] == "readsb_trace" for r in who["reasons"])
    # a later trace of the same aircraft replaces the header's fields, merged when identify runs
    later = dict(doc, r="N900XX", timestamp=float(doc["timestamp"]) + 86_400)  # type: ignore[arg-type]
    from tempfile import TemporaryDirectory

    with TemporaryDirectory() as folder:
        again = Path(folder) / "trace_full_ac671b.json"
        again.write_text(json.dumps(later))
        store.ingest([str(again)])
    assert identify_aircraft(store, "ac671b").registration == "N900XX"
