"""``ingest --to parquet DIR``: the Parquet dataset holds exactly what a store would.

The simulated demo data (readsb traces plus an ADSBx recording of the same flights, so there are
cross-source duplicates) goes into a store and into a dataset in several batches; both hold the
same positions, counted once, and a second ingest or a crash between publishing and bookkeeping
changes nothing.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from basewatch import Store
from basewatch.engines.dataset import META, REGISTRY, ParquetDataset
from basewatch.engines.results import export_registry
from basewatch.errors import StoreError
from basewatch.simulate import Scenario

#: An observation, as dedup sees it (address, position to 1e-5°): of two copies within 1 s the
#: one kept depends on which arrived first (batch boundaries), so compare observations, and
#: their count, not which copy's time or altitude was kept.
COLUMNS = "icao24, round(lat, 5), round(lon, 5)"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo data (a small civil share) and a store made from it."""
    folder = tmp_path_factory.mktemp("dataset")
    Scenario(seed=7, civil_scale=0.1).write(folder / "sim")
    with Store.open(folder / "store.duckdb") as store:
        store.ingest([str(folder / "sim" / "data")], workers=1)
        export_registry(store, folder / "aircraft.parquet")  # merges the trace headers
        store.con.execute("CHECKPOINT")
    return folder / "sim" / "data", folder / "store.duckdb"


def differ(store: Path, dataset: Path) -> tuple[int, int, int]:
    """Observations only in the store, only in the dataset, and positions stored twice in the
    dataset."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{store}' AS s (READ_ONLY)")
    files = f"read_parquet('{dataset}/date=*/*.parquet')"
    only_store = f"SELECT {COLUMNS} FROM s.positions EXCEPT ALL SELECT {COLUMNS} FROM {files}"
    only_set = f"SELECT {COLUMNS} FROM {files} EXCEPT ALL SELECT {COLUMNS} FROM s.positions"
    repeated = f"SELECT icao24, time, lat, lon FROM {files} GROUP BY ALL HAVING count(*) > 1"
    queries = (only_store, only_set, repeated)
    out = [con.execute(f"SELECT count(*) FROM ({q})").fetchall()[0][0] for q in queries]
    con.close()
    return out[0], out[1], out[2]


def books(dataset: Path, name: str) -> list[dict[str, Any]]:
    table = duckdb.sql(f"SELECT * FROM read_parquet('{dataset / META / name}')").to_arrow_table()
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def test_dataset_in_batches_equals_the_store(demo: tuple[Path, Path], tmp_path: Path) -> None:
    data, db = demo
    dataset = ParquetDataset(tmp_path / "ds", batch_bytes=1 << 20)  # many batches
    results = dataset.ingest([str(data)], workers=1)
    with Store.open(db, read_only=True) as store:
        stored = store.con.execute(
            "SELECT count(*), sum(accepted), sum(duplicates) FROM ingests"
        ).fetchall()[0]
    assert len(results) == stored[0] and len({r.ingest_id for r in results}) == stored[0]
    batches = {p.name for p in (tmp_path / "ds" / META / "ingests").iterdir()}
    assert len(batches) > 3, "the demo data went in several batches"
    # the ADSBx recording repeats the traces: its duplicates are found across batches too
    assert sum(r.duplicates for r in results) == stored[2] > 0
    assert sum(r.accepted for r in results) == stored[1]
    assert differ(db, tmp_path / "ds") == (0, 0, 0)
    assert len(books(tmp_path / "ds", "ingests/*.parquet")) == stored[0]
    # the registry of the trace headers: what `spark aircraft` exports from the store
    registry = duckdb.sql(f"SELECT * FROM '{tmp_path / 'ds' / META / REGISTRY}'").fetchall()
    exported = duckdb.sql(f"SELECT * FROM '{db.parent / 'aircraft.parquet'}'").fetchall()
    assert registry == exported and any("A124" in row for row in registry)

    again = dataset.ingest([str(data)], workers=1)
    assert {r.status for r in again} == {"already ingested"}
    assert {p.name for p in (tmp_path / "ds" / META / "ingests").iterdir()} == batches
    assert differ(db, tmp_path / "ds") == (0, 0, 0)


def test_a_crash_before_the_bookkeeping_counts_nothing_twice(
    demo: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Positions published, ingests not written (the process died): the next run reads the
    files again, finds their positions already there, and the dataset ends as the store."""
    data, db = demo
    dataset = ParquetDataset(tmp_path / "ds", batch_bytes=4 << 20)
    book = ParquetDataset._book

    def dies(self: ParquetDataset, con: Any, query: str, staging: Path, to: str) -> None:
        if to.startswith("ingests/") and any(self.root.glob("date=*/*.parquet")):
            raise KeyboardInterrupt("killed")
        book(self, con, query, staging, to)

    monkeypatch.setattr(ParquetDataset, "_book", dies)
    with pytest.raises(KeyboardInterrupt):
        dataset.ingest([str(data)], workers=1)
    monkeypatch.setattr(ParquetDataset, "_book", book)
    published = list((tmp_path / "ds").glob("date=*/*.parquet"))
    assert published and not (tmp_path / "ds" / META / "ingests").exists()
    assert not list((tmp_path / "ds" / META).glob("scratch-*")), "the scratch store is removed"
    results = dataset.ingest([str(data)], workers=1)
    assert {r.status for r in results} == {"ingested"}
    assert differ(db, tmp_path / "ds") == (0, 0, 0)


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    meta = tmp_path / "ds" / META
    meta.mkdir(parents=True)
    with open(meta / "lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="another ingest"):
            ParquetDataset(tmp_path / "ds").ingest([], workers=1)


def test_cli_to_parquet(demo: tuple[Path, Path], tmp_path: Path) -> None:
    data, db = demo

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "basewatch", *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,  # no store may appear here
            env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        )

    bad = run("ingest", str(data), "--to", "csv", str(tmp_path / "x"))
    assert bad.returncode == 2 and "parquet" in bad.stderr
    done = run("-q", "ingest", str(data), "--to", "parquet", str(tmp_path / "ds"), "--json")
    assert done.returncode == 0, done.stderr
    import json

    ingests = json.loads(done.stdout)["ingests"]
    assert ingests and not (tmp_path / "basewatch.duckdb").exists()
    assert differ(db, tmp_path / "ds") == (0, 0, 0)
