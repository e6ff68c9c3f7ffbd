"""DuckDB and Spark (local mode) side by side on simulated global traffic: seconds, positions/s.

    python benchmarks/spark.py [--positions 10_000_000,30_000_000] [--master local[2]]
        [--workdir /tmp/basewatch-spark-bench] [--keep]

For each size, a year of traffic from the activity benchmark's generator (activity_world.py,
activity_positions.py: civil aircraft between real airports, a Russian state fleet visiting
the packaged bases) goes into a DuckDB store with its aircraft registry, and is exported as
Hive-partitioned Parquet (``export positions``). Then, each in a fresh process: the DuckDB
engine (``FlightBuilder.build``, ``Classifier.ensure``, ``VisitDetector.detect`` for every base,
``ActivityAnalyzer``) and the Spark engine (``SparkEngine.run``: Parquet in, Parquet out).
The two results are compared row by row (EXCEPT ALL both ways) before the figures are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from activity import aircraft_csv, load, make_world

from basewatch import (
    ActivityAnalyzer,
    Classifier,
    FlightBuilder,
    Store,
    VisitDetector,
    import_aircraft,
    load_config,
    resolve_base,
)
from basewatch.engines.results import export_registry
from basewatch.engines.spark import activity_by_base

#: Positions per Spark partition of addresses (each task segments whole aircraft).
PER_PARTITION = 2_500_000
#: For the crossover estimate: a cluster job's fixed cost (executors, scheduling, Parquet
#: listing), the share of linear scaling kept across cores, and cluster sizes to price.
CLUSTER_OVERHEAD_S, CLUSTER_EFFICIENCY, CLUSTER_CORES = 60.0, 0.7, (8, 16, 64, 256)


def prepare(n: int, seed: int, work: Path) -> dict[str, Any]:
    """Generate ``n`` positions into a store with its registry; export both as Parquet."""
    work.mkdir(parents=True, exist_ok=True)
    db = work / "store.duckdb"
    t0 = time.perf_counter()
    plan, _, _ = make_world(n, seed)
    load(plan, db, seed)
    aircraft_csv(plan, work / "aircraft.csv")
    with Store.open(db) as store:
        import_aircraft(store, [str(work / "aircraft.csv")])
        made = time.perf_counter() - t0
        store.export_positions(work / "positions", "parquet")
        export_registry(store, work / "aircraft.parquet")
        count = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
    size = sum(f.stat().st_size for f in (work / "positions").rglob("*.parquet"))
    return {
        "positions": int(count),
        "generate_s": made,
        "export_s": time.perf_counter() - t0,
        "parquet_bytes": size,
    }


def duckdb_worker(db: Path) -> dict[str, Any]:
    """The DuckDB engine over the store, stage by stage (run in a fresh process)."""
    config = load_config(None)
    bases = [resolve_base(b.name, config) for b in config.bases]
    seconds: dict[str, float] = {}
    with Store.open(db) as store:
        t0 = time.perf_counter()
        FlightBuilder().build(store)
        seconds["flights"] = time.perf_counter() - t0
        Classifier.from_config(config).ensure(store)
        seconds["classes"] = time.perf_counter() - t0 - seconds["flights"]
        t1 = time.perf_counter()
        visits = [VisitDetector(b, config, maintained=True).detect(store) for b in bases]
        import pyarrow as pa

        activity = activity_by_base(
            pa.concat_tables(visits), ActivityAnalyzer(), [b.name for b in bases]
        )
        seconds["visits+activity"] = time.perf_counter() - t1
    return {"seconds": seconds, "total": sum(seconds.values()), "activity": activity}


def spark_worker(work: Path, master: str, partitions: int) -> dict[str, Any]:
    """The Spark engine from the Parquet export (run in a fresh process)."""
    t0 = time.perf_counter()
    from pyspark.sql import SparkSession

    from basewatch.engines import SparkEngine

    spark = (
        SparkSession.builder.master(master)
        .appName("basewatch-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", os.environ.get("BENCH_SPARK_MEMORY", "6g"))
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.local.dir", str(work / "spark-tmp"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    start_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    registry = spark.read.parquet(str(work / "aircraft.parquet")).toArrow()
    engine = SparkEngine(spark, load_config(None), partitions=partitions, aircraft=registry)
    summary = engine.run(str(work / "positions"), str(work / "spark-out"))
    total = time.perf_counter() - t1
    spark.stop()
    activity = json.loads((work / "spark-out" / "activity.json").read_text())
    return {"start_s": start_s, "total": total, "summary": summary, "activity": activity}


def compare(work: Path) -> dict[str, int]:
    """Rows in one engine's flights / classes / visits and not in the other's (both ways)."""
    differ = {}
    with Store.open(work / "store.duckdb", read_only=True) as store:
        for name in ("flights", "set_aside", "aircraft_class", "visits"):
            cols = ", ".join(
                r[0]
                for r in store.con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position",
                    [name],
                ).fetchall()
            )
            spark = f"read_parquet('{work / 'spark-out' / name}/*.parquet')"
            sql = (
                f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM {name} EXCEPT ALL "
                f"SELECT {cols} FROM {spark})) + (SELECT count(*) FROM (SELECT {cols} FROM "
                f"{spark} EXCEPT ALL SELECT {cols} FROM {name}))"
            )
            differ[name] = int(store.con.execute(sql).fetchall()[0][0])
    return differ


def in_fresh_process(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"worker {args[0]} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench(n: int, args: argparse.Namespace) -> dict[str, Any]:
    work = args.workdir / f"n{n}"
    shutil.rmtree(work, ignore_errors=True)
    prep = prepare(n, args.seed, work)
    partitions = max(4, -(-prep["positions"] // PER_PARTITION))
    duck = in_fresh_process("--duckdb-worker", str(work / "store.duckdb"))
    spark = in_fresh_process("--spark-worker", str(work), args.master, str(partitions))
    differ = compare(work)
    same_activity = duck["activity"] == spark["activity"]
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return {**prep, "partitions": partitions, "duckdb": duck, "spark": spark, "differ": differ,
            "same_activity": same_activity}  # fmt: skip


def print_table(rows: list[dict[str, Any]], master: str) -> None:
    print(
        f"\n{'positions':>12} {'engine':<22} {'seconds':>9} {'positions/s':>13} "
        f"{'flights':>9} {'visits':>7}  identical"
    )
    for r in rows:
        n, d, s = r["positions"], r["duckdb"], r["spark"]
        same = "yes" if not any(r["differ"].values()) and r["same_activity"] else str(r["differ"])
        flights, visits = s["summary"]["flights"], s["summary"]["visits"]
        print(
            f"{n:>12,} {'DuckDB (2 threads)':<22} {d['total']:>9.1f} {n / d['total']:>13,.0f} "
            f"{flights:>9,} {visits:>7,}"
        )
        label = f"Spark {master}"
        print(
            f"{'':>12} {label:<22} {s['total']:>9.1f} {n / s['total']:>13,.0f} "
            f"{flights:>9,} {visits:>7,}  {same}"
        )
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in d["seconds"].items())
        print(
            f"{'':>12} (DuckDB: {stages}; Spark: {r['partitions']} partitions, JVM start "
            f"{s['start_s']:.1f} s not counted; generate {r['generate_s']:.0f} s, "
            f"export {r['export_s'] - r['generate_s']:.0f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--positions",
        type=lambda s: [int(x.replace("_", "")) for x in s.split(",")],
        default=[10_000_000, 30_000_000],
    )
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/basewatch-spark-bench"))
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the stores and outputs")
    parser.add_argument("--duckdb-worker", help=argparse.SUPPRESS)
    parser.add_argument("--spark-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.duckdb_worker:
        print(json.dumps(duckdb_worker(Path(args.duckdb_worker))))
        return
    if args.spark_worker:
        work, master, partitions = args.spark_worker
        print(json.dumps(spark_worker(Path(work), master, int(partitions))))
        return
    rows = []
    for n in args.positions:
        rows.append(bench(n, args))
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "spark"}, default=str)[:400])
    print_table(rows, args.master)
    print_crossover(rows[-1])


def print_crossover(row: dict[str, Any]) -> None:
    """When a cluster pays off, from the largest run's rates: DuckDB's time on this machine
    grows as N / r_duck; a C-core cluster's as O + N / (r_spark · C/2 · e) (r_spark measured
    on 2 cores, e the scaling kept, O the job's fixed cost). The cluster wins past
    N* = O / (1/r_duck − 2/(r_spark · C · e)), and never with fewer cores than
    2 · r_duck / (r_spark · e)."""
    n = row["positions"]
    r_duck, r_spark = n / row["duckdb"]["total"], n / row["spark"]["total"]
    e, o = CLUSTER_EFFICIENCY, CLUSTER_OVERHEAD_S
    least = 2 * r_duck / (r_spark * e)
    print(
        f"\nCrossover (from {n:,} positions: DuckDB {r_duck:,.0f}/s on this machine, Spark "
        f"{r_spark:,.0f}/s on 2 cores; cluster scaling kept {e:.0%}, fixed cost {o:.0f} s):"
    )
    print(f"  a cluster needs more than {least:.1f} cores to beat this machine at any size")
    for cores in CLUSTER_CORES:
        gain = 1 / r_duck - 2 / (r_spark * cores * e)
        if gain <= 0:
            print(f"  {cores:>4} cores: never faster than DuckDB here")
            continue
        at = o / gain
        year = n / (r_spark * cores / 2 * e) * (30e9 / n)
        print(
            f"  {cores:>4} cores: faster past {at:,.0f} positions "
            f"({at / 1e9:.2f} billion); a year of global history (~30 billion) in "
            f"{(o + year) / 3600:.1f} h against {30e9 / r_duck / 3600:.1f} h here"
        )
    per = row.get("parquet_bytes", 0) / n
    print(
        f"  Parquet positions take {per:.0f} bytes each here, so a year of global history is "
        f"~{per * 30e9 / 1e12:.1f} TB (and its store more): past one machine's disk and memory, "
        "more than past its speed, is where the cluster is needed."
    )


if __name__ == "__main__":
    main()
