"""The command line as users script it: JSON shapes, exit codes, error messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.builders import trace_points, write_trace

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, db: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "BASEWATCH_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "basewatch", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        input=stdin.decode("latin-1") if stdin is not None else None,
    )


def test_ingest_json_then_again_then_stats(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    path = write_trace(tmp_path / "t.json", trace_points(12))
    first = run("ingest", str(path), "--json", db=db)
    assert first.returncode == 0, first.stderr
    [row] = json.loads(first.stdout)["ingests"]
    assert {k: row[k] for k in ("path", "format", "accepted", "rejected", "duplicates")} == {
        "path": str(path),
        "format": "readsb_trace",
        "accepted": 12,
        "rejected": 0,
        "duplicates": 0,
    }
    again = json.loads(run("ingest", str(tmp_path), "--json", db=db).stdout)["ingests"]
    assert [r["status"] for r in again] == ["already ingested"]
    stats = json.loads(run("stats", "--json", db=db).stdout)
    assert (stats["positions"], stats["aircraft"], stats["ingests"]) == (12, 1, 1)


def test_db_flag_overrides_env(tmp_path: Path) -> None:
    path = write_trace(tmp_path / "t.json", trace_points(3))
    other = tmp_path / "other.duckdb"
    assert run("--db", str(other), "ingest", str(path), db=tmp_path / "env.duckdb").returncode == 0
    assert other.exists()
    assert not (tmp_path / "env.duckdb").exists()


def test_stdin(tmp_path: Path) -> None:
    raw = write_trace(tmp_path / "t.json", trace_points(4), gz=False).read_bytes()
    out = run("ingest", "-", "--json", db=tmp_path / "s.duckdb", stdin=raw)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["ingests"][0]["accepted"] == 4


def test_unknown_format_names_file_and_formats_tried(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello, this is not tracking data\n")
    out = run("ingest", str(junk), db=tmp_path / "s.duckdb")
    assert out.returncode == 1
    assert out.stderr.startswith("Error: ")
    assert str(junk) in out.stderr
    assert "readsb_trace" in out.stderr


def test_unknown_files_in_folders_are_skipped_with_a_warning(tmp_path: Path) -> None:
    write_trace(tmp_path / "in" / "t.json", trace_points(5))
    (tmp_path / "in" / "README.txt").write_text("not data")
    out = run("ingest", str(tmp_path / "in"), "--json", db=tmp_path / "s.duckdb")
    assert out.returncode == 0
    doc = json.loads(out.stdout)
    assert [r["accepted"] for r in doc["ingests"]] == [5]
    assert len(doc["skipped"]) == 1
    assert "README.txt" in doc["skipped"][0]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert run("ingest", db=db).returncode == 2
    assert run("ingest", "--no-such-option", db=db).returncode == 2
    assert run("ingest", "x.json", "--format", "nope", db=db).returncode == 2
    bad_ref = run("ingest", "x.json", "--reference", "95,10", db=db)
    assert bad_ref.returncode == 2
    assert "--reference" in bad_ref.stderr


def test_missing_path_exits_1(tmp_path: Path) -> None:
    out = run("ingest", str(tmp_path / "nope.json"), db=tmp_path / "s.duckdb")
    assert out.returncode == 1
    assert "no such file" in out.stderr


def test_export_positions_parquet(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    run("ingest", str(write_trace(tmp_path / "t.json", trace_points(3))), db=db)
    out = run("export", "positions", "--format", "parquet", "--out", str(tmp_path / "pq"), db=db)
    assert out.returncode == 0, out.stderr
    assert [p.name for p in (tmp_path / "pq").iterdir()] == ["date=2023-11-14"]


def test_shipped_sample_shows_cross_source_dedup(tmp_path: Path) -> None:
    """The README's first command: the sample's ADSBx polls repeat positions of the trace."""
    out = run("ingest", "--sample", "--json", db=tmp_path / "s.duckdb")
    assert out.returncode == 0, out.stderr
    rows = {r["format"]: r for r in json.loads(out.stdout)["ingests"]}
    assert set(rows) == {"readsb_trace", "adsbx_v2"}
    total = sum(r["accepted"] + r["duplicates"] for r in rows.values())
    assert sum(r["duplicates"] for r in rows.values()) == rows["adsbx_v2"]["accepted"] > 0
    stats = json.loads(run("stats", "--json", db=tmp_path / "s.duckdb").stdout)
    assert stats["positions"] == total - rows["adsbx_v2"]["accepted"]


def test_engine_is_duckdb_or_spark(tmp_path: Path) -> None:
    """``--engine`` (and BASEWATCH_ENGINE for the analysis verbs) takes duckdb or spark only:
    anything else is a usage error naming the value."""
    db = tmp_path / "s.duckdb"
    bad = run("--engine", "flink", "stats", db=db)
    assert bad.returncode == 2 and "flink" in bad.stderr
    assert run("--engine", "duckdb", "stats", db=db).returncode == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "BASEWATCH_DB": str(db)}
    env["BASEWATCH_ENGINE"] = "hadoop"
    done = subprocess.run(
        [sys.executable, "-m", "basewatch", "flights", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 2 and "hadoop" in done.stderr
