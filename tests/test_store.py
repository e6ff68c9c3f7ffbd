"""The store: idempotent ingest, cross-source dedup, transactions, migrations, exports."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from basewatch import Store, StoreError
from basewatch.sources import parallel
from basewatch.store.schema import SCHEMA_VERSION
from tests.builders import T0, trace_points, write_trace

ROOT = Path(__file__).resolve().parent.parent


def count(store: Store, table: str = "positions") -> int:
    row = store.con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_same_file_twice_counts_once(tmp_path: Path, store: Store) -> None:
    path = write_trace(tmp_path / "a.json", trace_points(30))
    copy = tmp_path / "elsewhere" / "b.json"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    [first] = store.ingest([str(path)])
    [again, moved] = store.ingest([str(path), str(copy)])
    assert (first.status, first.accepted) == ("ingested", 30)
    assert again.status == moved.status == "already ingested"
    assert again.ingest_id == moved.ingest_id == first.ingest_id
    assert again.accepted == 0
    assert count(store) == 30
    assert count(store, "ingests") == 1


def test_overlapping_sources_store_each_position_once(tmp_path: Path, store: Store) -> None:
    points = trace_points(100)
    a = write_trace(tmp_path / "a.json", points[:60])
    # the same aircraft from another source: points 40..99, times jittered by 0.3 s
    b_points = [[p[0] + 0.3, *p[1:]] for p in points[40:]]
    b = write_trace(tmp_path / "b.json", b_points, gz=False)
    [ra] = store.ingest([str(a)])
    [rb] = store.ingest([str(b)])
    assert (ra.accepted, ra.duplicates) == (60, 0)
    assert (rb.accepted, rb.duplicates) == (40, 20)
    assert count(store) == 100
    stored = store.con.execute("SELECT sum(duplicates), sum(accepted) FROM ingests").fetchone()
    assert stored == (20, 100)


def test_overlap_inside_one_batch_and_other_aircraft_untouched(
    tmp_path: Path, store: Store
) -> None:
    points = trace_points(20)
    a = write_trace(tmp_path / "a.json", points)
    b = write_trace(tmp_path / "b.json", [[p[0] + 0.5, *p[1:]] for p in points], gz=False)
    other = write_trace(tmp_path / "c.json", points, icao="4ca2d6")  # same path, other aircraft
    results = store.ingest([str(a), str(b), str(other)])
    assert [r.accepted for r in results] == [20, 0, 20]
    assert [r.duplicates for r in results] == [0, 20, 0]


def test_positions_two_seconds_apart_are_not_duplicates(tmp_path: Path, store: Store) -> None:
    points = trace_points(10)
    later = [[p[0] + 2.0, *p[1:]] for p in points]  # same places, 2 s later: a parked repeat?
    store.ingest([str(write_trace(tmp_path / "a.json", points))])
    [r] = store.ingest([str(write_trace(tmp_path / "b.json", later))])
    assert (r.accepted, r.duplicates) == (10, 0)


def test_parallel_reading_matches_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [
        str(write_trace(tmp_path / f"t{i}.json", trace_points(50, lat0=10 + i), icao=f"a0000{i}"))
        for i in range(6)
    ]
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    with Store.open(":memory:") as serial, Store.open(":memory:") as para:
        rs = serial.ingest(files, workers=1)
        rp = para.ingest(files, workers=2)
        assert [r.as_json() for r in rs] == [r.as_json() for r in rp]
        q = "SELECT * FROM positions ORDER BY icao24, time"
        assert serial.con.execute(q).fetchall() == para.con.execute(q).fetchall()


def test_small_commit_groups_give_the_same_store(tmp_path: Path, store: Store) -> None:
    from basewatch.sources import Blob, ReadOptions, get_source
    from basewatch.sources.parallel import read_files
    from basewatch.store.ingest import Ingestor

    files = [
        write_trace(tmp_path / f"t{i}.json", trace_points(40), icao=f"b0000{i}") for i in range(5)
    ]
    source = get_source("readsb_trace")
    readings = read_files([(Blob(f), source) for f in files], ReadOptions(), workers=1)
    results = Ingestor(store.con, commit_rows=50).run(readings)
    assert [r.accepted for r in results] == [40] * 5
    assert count(store) == 200
    assert count(store, "ingests") == 5


KILLER = """
import sys
from collections.abc import Iterator
from basewatch import Store
from basewatch.sources import Blob, Chunk, ReadOptions, get_source

class Stuck:
    name = "stuck"
    description = "reads a real trace, then hangs mid-file"
    def sniff(self, head: bytes) -> bool:
        return True
    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        yield from get_source("readsb_trace").read(blob, options)
        print("MIDFILE", flush=True)
        sys.stdin.read()  # hang until killed
        yield from ()

store = Store.open(sys.argv[1])
store.ingest([(Blob(sys.argv[2]), Stuck())], workers=1)
"""


def test_killed_mid_file_leaves_store_as_before(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    first = write_trace(tmp_path / "first.json", trace_points(25))
    with Store.open(db) as s:
        s.ingest([str(first)])
    second = write_trace(tmp_path / "second.json", trace_points(500, lat0=20), icao="4ca2d6")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLER, str(db), str(second)],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "MIDFILE"  # rows of the second file are staged
    proc.kill()
    proc.wait()
    with Store.open(db) as s:
        assert count(s) == 25
        assert count(s, "ingests") == 1
        assert count(s, "rejects") == 0
        [again] = s.ingest([str(second)])
        assert again.accepted == 500


def test_schema_is_versioned(tmp_path: Path) -> None:
    db = tmp_path / "v.duckdb"
    with Store.open(db) as s:
        rows = s.con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        assert [r[0] for r in rows] == list(range(1, SCHEMA_VERSION + 1))
    with Store.open(db) as s:  # reopening runs nothing again
        assert count(s, "schema_version") == SCHEMA_VERSION
        s.con.execute("INSERT INTO schema_version (version) VALUES (?)", [SCHEMA_VERSION + 1])
    with pytest.raises(StoreError, match="newer"):
        Store.open(db)


def test_export_parquet_is_hive_partitioned_by_day(tmp_path: Path, store: Store) -> None:
    # 600 points 5 min apart: 50 hours from 22:13 UTC cross midnight three times
    points = trace_points(600, dt=300.0)
    store.ingest([str(write_trace(tmp_path / "a.json", points))])
    out = store.export_positions(tmp_path / "parquet", "parquet")
    days = sorted(p.name for p in out.iterdir())
    expected = sorted(
        {f"date={datetime.fromtimestamp(T0 + p[0], UTC).date()}" for p in points}  # type: ignore[operator]
    )
    assert days == expected
    assert len(days) == 4
    table = ds.dataset(out, partitioning="hive").to_table()
    assert table.num_rows == 600
    for day in days:
        part = ds.dataset(out / day).to_table()
        assert {t.date().isoformat() for t in part.column("time").to_pylist()} == {day[5:]}


def test_export_csv_has_iso_times(tmp_path: Path, store: Store) -> None:
    store.ingest([str(write_trace(tmp_path / "a.json", trace_points(3)))])
    out = store.export_positions(tmp_path / "p.csv", "csv")
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 3
    assert rows[0]["time"] == "2023-11-14T22:13:20.000000Z"
    assert rows[1]["icao24"] == "15a3c2"
    assert float(rows[2]["lat"]) == pytest.approx(35.02)


def test_stats(tmp_path: Path, store: Store) -> None:
    store.ingest([str(write_trace(tmp_path / "a.json", trace_points(7)))])
    figures = store.stats()
    assert figures["positions"] == 7
    assert figures["aircraft"] == 1
    assert figures["ingests"] == 1
    assert figures["first_time"] == "2023-11-14T22:13:20Z"
    assert datetime.fromisoformat(figures["last_time"]).timestamp() == pytest.approx(T0 + 30)


def test_readsb_trace_and_adsbx_snapshots_of_one_aircraft_count_once(
    tmp_path: Path, store: Store
) -> None:
    """The issue's case: a readsb trace and an ADSBx v2 recording of the same flight."""
    import json

    points = trace_points(40)
    trace = write_trace(tmp_path / "trace_full_15a3c2.json", points)
    lines = []
    for p in points[10:30]:  # snapshots every point; seen_pos 0.4 s, now in milliseconds
        now_ms = round((T0 + p[0] + 0.4) * 1000)  # type: ignore[operator]
        ac = {
            "hex": "15a3c2",
            "type": "adsb_icao",
            "lat": p[1],
            "lon": p[2],
            "alt_baro": 20000,
            "seen_pos": 0.4,
            "seen": 0.1,
        }
        lines.append(json.dumps({"ac": [ac], "msg": "No error", "now": now_ms, "total": 1}))
    recording = tmp_path / "adsbx.jsonl"
    recording.write_text("\n".join(lines) + "\n")
    [rt, rx] = store.ingest([str(trace), str(recording)])
    assert (rx.format, rx.accepted, rx.duplicates) == ("adsbx_v2", 0, 20)
    assert rt.accepted == 40
    assert count(store) == 40
