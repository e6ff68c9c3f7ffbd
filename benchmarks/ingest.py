"""Ingest speed: positions/s per adapter and end to end, against a naive baseline, side by side.

    python benchmarks/ingest.py [--positions 1000000] [--workdir /tmp/basewatch-bench]

Generates a readsb globe_history tree and an ADSBx v2 recording of the given size, then measures
in one run: each adapter alone (one process, and all cores), ``Store.ingest`` end to end, the
naive baseline (json.load + a Python loop + row inserts) and peak RSS at 1× and 4× input size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import adsbx_recording, readsb_tree

from basewatch import Store
from basewatch.sources import Blob, ReadOptions, get_source
from basewatch.sources.parallel import read_files

NAIVE_SAMPLE = 20_000


def _timed(fn: Callable[[], int]) -> tuple[int, float]:
    start = time.perf_counter()
    n = fn()
    return n, time.perf_counter() - start


def adapter_only(files: list[Path], fmt: str, workers: int) -> int:
    """Parse every file, keep nothing: the adapter's own speed."""
    source = get_source(fmt)
    work = [(Blob(f), source) for f in files]
    total = 0
    for _, _, chunks in read_files(work, ReadOptions(), workers=workers):
        total += sum(c.table.num_rows for c in chunks)
    return total


def end_to_end(inputs: list[Path], db: Path) -> int:
    db.unlink(missing_ok=True)
    with Store.open(db) as store:
        results = store.ingest([str(p) for p in inputs])
    return sum(r.accepted + r.duplicates for r in results)


def naive_readsb(files: list[Path], limit: int) -> int:
    """The baseline: json.load each trace, loop over points in Python, insert row by row."""
    import gzip

    con = duckdb.connect()
    con.execute("CREATE TABLE p (t DOUBLE, icao VARCHAR, lat DOUBLE, lon DOUBLE, alt INTEGER)")
    n = 0
    for f in files:
        doc = json.loads(gzip.decompress(f.read_bytes()))
        for point in doc["trace"]:
            alt = point[3] if isinstance(point[3], int) else None
            con.execute(
                "INSERT INTO p VALUES (?, ?, ?, ?, ?)",
                [doc["timestamp"] + point[0], doc["icao"], point[1], point[2], alt],
            )
            n += 1
            if n >= limit:
                return n
    return n


def peak_rss_mb(tree: Path, db: Path) -> tuple[float, float]:
    """Peak RSS (MB) of a fresh process ingesting ``tree``, and of its largest reader worker."""
    code = (
        "import resource,sys; from basewatch import Store\n"
        f"s=Store.open({str(db)!r}); s.ingest([{str(tree)!r}]); s.close()\n"
        "r=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "c=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; print(r/1024, c/1024)"
    )
    db.unlink(missing_ok=True)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    main, worker = out.stdout.strip().splitlines()[-1].split()
    return float(main), float(worker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--positions", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/basewatch-bench"))
    parser.add_argument("--no-rss", action="store_true", help="skip the 1×/4× memory runs")
    args = parser.parse_args()
    work: Path = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    n = args.positions
    tree, big_tree, rec = work / "tree", work / "tree4", work / "adsbx.jsonl"
    readsb_tree(tree, n)
    adsbx_recording(rec, n)
    files = sorted(tree.rglob("*.json"))
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(
        f"inputs: readsb tree {len(files)} files {size_mb:.1f} MB gzip, {n:,} positions; "
        f"ADSBx recording {rec.stat().st_size / 1e6:.1f} MB, {n:,} positions"
    )
    rows: list[tuple[str, int, float]] = []
    rows.append(
        ("readsb_trace adapter, 1 process", *_timed(lambda: adapter_only(files, "readsb_trace", 1)))
    )
    rows.append(
        (
            "readsb_trace adapter, all cores",
            *_timed(lambda: adapter_only(files, "readsb_trace", os.cpu_count() or 1)),
        )
    )
    rows.append(
        ("readsb tree → store (end to end)", *_timed(lambda: end_to_end([tree], work / "a.duckdb")))
    )
    try:
        get_source("adsbx_v2")
        rows.append(
            ("adsbx_v2 adapter, 1 process", *_timed(lambda: adapter_only([rec], "adsbx_v2", 1)))
        )
        rows.append(
            (
                "ADSBx recording → store (end to end)",
                *_timed(lambda: end_to_end([rec], work / "b.duckdb")),
            )
        )
    except Exception as exc:  # adapter not available in this checkout
        print(f"adsbx_v2: skipped ({exc})")
    naive = _timed(lambda: naive_readsb(files, NAIVE_SAMPLE))
    rows.append(
        (f"naive baseline (json.load + loop + row inserts, first {NAIVE_SAMPLE:,})", *naive)
    )
    naive_rate = naive[0] / naive[1]
    print(f"\n{'what':<72} {'positions':>11} {'seconds':>8} {'positions/s':>12} {'× naive':>8}")
    for what, count, secs in rows:
        rate = count / secs
        print(f"{what:<72} {count:>11,} {secs:>8.2f} {rate:>12,.0f} {rate / naive_rate:>8.1f}")
    if not args.no_rss:
        readsb_tree(big_tree, 4 * n, seed=7)
        one, four = peak_rss_mb(tree, work / "m1.duckdb"), peak_rss_mb(big_tree, work / "m4.duckdb")
        print(
            f"\npeak RSS ingesting the tree (main process / largest reader worker): "
            f"{one[0]:.0f} / {one[1]:.0f} MB at {n:,} positions, "
            f"{four[0]:.0f} / {four[1]:.0f} MB at {4 * n:,} positions "
            f"(main ratio {four[0] / one[0]:.2f})"
        )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this process peak RSS {own:.0f} MB)")


if __name__ == "__main__":
    main()
