"""Flights: basewatch and the ``traffic`` library side by side on the same positions, one run.

    python benchmarks/flights.py [--sizes 100000,1000000,3000000,10000000] [--workdir DIR]

Data: traffic's real samples (zurich_airport, savan, quickstart; exported once from traffic's
venv into the work directory), the real captures of ../shared/data (readsb trace, FR24 CSV,
OpenSky extract) and a synthetic readsb tree from generate.py, replicated with shifted addresses
and times (a day per copy) up to each size and stored in the store's clustered order
(``store/cluster.py``: by aircraft and time, as ``Store.cluster_positions`` lays a store out),
so the build checks that order (one scan of the key columns) and reads without sorting.
basewatch: ``FlightBuilder().build(store)`` in a fresh process on the DuckDB store (malloc tuned
for batch work, as the command line does: ``basewatch.memory``). traffic:
``Traffic.assign_id().eval()`` then ``Flight.infer_airport("takeoff"|"landing")`` per flight, in
a fresh process of its own interpreter (``TRAFFIC_PYTHON``, default /tmp/traffic-venv/bin/python;
install with ``python3 -m venv /tmp/traffic-venv && /tmp/traffic-venv/bin/pip install
'traffic==2.13.*' 'pandas<3'``), with its home directories in the work directory and its airport
cache filled from airportsdata, so both search the same airports and nothing is downloaded.
traffic runs each size only while its estimated time stays within ``--traffic-budget`` seconds.
Prints flights found, time (split / airports), positions/s and peak RSS per tool and size, then
the agreement on airports (flights_compare.py) on the largest size both tools finished.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flights_compare import compare
from generate import readsb_tree

from basewatch import Store
from basewatch.flights import EndpointFinder, FlightBuilder, Segmenter, airport_table

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
CAPTURES = {
    "readsb capture": "readsb/trace_full_ac671b.json",
    "fr24 capture": "fr24/JL516_3376ab31.csv",
    "opensky capture": "opensky/state_vectors_4d2271.parquet",
}
SAMPLES = ("zurich_airport", "savan", "quickstart")
DEFAULT_TRAFFIC = "/tmp/traffic-venv/bin/python"
CANONICAL = """time, icao24, callsign, lat, lon, alt_baro_ft::INTEGER AS alt_baro_ft,
    alt_geom_ft::INTEGER AS alt_geom_ft, gs_kt::FLOAT AS gs_kt, track_deg::FLOAT AS track_deg,
    vrate_fpm::FLOAT AS vrate_fpm, on_ground, squawk"""
TRAFFIC_COLUMNS = """time AS timestamp, icao24, callsign, lat AS latitude, lon AS longitude,
    coalesce(alt_baro_ft, alt_geom_ft)::DOUBLE AS altitude, gs_kt::DOUBLE AS groundspeed,
    track_deg::DOUBLE AS track, vrate_fpm::DOUBLE AS vertical_rate, on_ground AS onground"""
BW_COLUMNS = """flight_id, icao24, callsign, start_time, end_time, n_positions, first_lat,
    first_lon, first_alt_ft, first_gs_kt, first_track_deg, first_vrate_fpm, first_ground,
    last_lat, last_lon, last_alt_ft, last_gs_kt, last_track_deg, last_vrate_fpm, last_ground,
    takeoff_airport, takeoff_inferred, takeoff_confidence, takeoff_evidence, landing_airport,
    landing_inferred, landing_confidence, landing_evidence"""

_TIMES = {"segment": 0.0, "airports": 0.0, "cluster": 0.0}


class _Timed:
    """Delegates to ``inner``, adding the time its methods take to ``_TIMES[key]`` (so the
    benchmark does not depend on which method names ``FlightBuilder`` calls)."""

    def __init__(self, inner: object, key: str) -> None:
        self._inner = inner
        self._key = key

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                _TIMES[self._key] += time.perf_counter() - start

        return timed

    def __repr__(self) -> str:
        return repr(self._inner)


def basewatch_worker(db: str, out: str) -> None:
    """In a fresh process: build flights on the store, write them to ``out``, print JSON.
    Memory is tuned for batch work as the ``basewatch`` command line does."""
    import basewatch.flights.build as build
    from basewatch.memory import keep_freed_memory

    keep_freed_memory()

    cluster = build.cluster_positions

    def timed_cluster(con: duckdb.DuckDBPyConnection) -> int:
        start = time.perf_counter()
        try:
            return cluster(con)
        finally:
            _TIMES["cluster"] += time.perf_counter() - start

    build.cluster_positions = timed_cluster  # the first build checks (or makes) the layout
    with Store.open(db) as store:
        builder = FlightBuilder(
            segmenter=_Timed(Segmenter(), "segment"),  # type: ignore[arg-type]
            endpoints=_Timed(EndpointFinder(), "airports"),  # type: ignore[arg-type]
        )
        start = time.perf_counter()
        flights = builder.build(store)
        total = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        inferred = store.con.execute(
            "SELECT count(*) FILTER (landing_inferred), count(*) FILTER (takeoff_inferred) "
            "FROM flights"
        ).fetchall()[0]
        store.con.execute(f"COPY (SELECT {BW_COLUMNS} FROM flights) TO '{out}' (FORMAT parquet)")
    stats = {
        "flights": flights.num_rows,
        "total_s": total,
        "segment_s": _TIMES["segment"],
        "airports_s": _TIMES["airports"],
        "cluster_s": _TIMES["cluster"],
        "rss_mb": rss,
        "inferred_landings": inferred[0],
        "inferred_takeoffs": inferred[1],
    }
    print(json.dumps(stats))


@dataclass
class Traffic:
    """How to run the traffic side: its interpreter and environment, or why it can't run."""

    python: str
    env: dict[str, str]
    problem: str | None

    @classmethod
    def find(cls, home: Path) -> Traffic:
        python = os.environ.get("TRAFFIC_PYTHON", DEFAULT_TRAFFIC)
        dirs = {
            "XDG_CONFIG_HOME": "config",
            "XDG_CACHE_HOME": "cache",
            "TRAFFIC_CACHE_PATH": "traffic",
            "MPLCONFIGDIR": "matplotlib",
        }
        env = {**os.environ, "TRAFFIC_TQDM_STYLE": "silent"}
        for var, sub in dirs.items():
            (home / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(home / sub)
        if not Path(python).exists():
            return cls(python, env, f"{python} does not exist (set TRAFFIC_PYTHON)")
        fill_airport_cache(Path(env["TRAFFIC_CACHE_PATH"]))
        probe = subprocess.run(
            [python, "-c", "import traffic.core; print(traffic.__version__)"],
            env=env,
            capture_output=True,
            text=True,
        )
        if probe.returncode:
            return cls(python, env, f"cannot import traffic: {probe.stderr.strip()[-300:]}")
        return cls(python, env, None)

    def call(self, *args: str, timeout: float | None = None) -> str:
        script = str(HERE / "flights_traffic.py")
        done = subprocess.run(
            [self.python, script, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"traffic {args[0]} failed: {done.stderr.strip()[-1000:]}")
        return done.stdout


def fill_airport_cache(cache: Path) -> None:
    """traffic's ``airports_ourairports.parquet`` (its ``Airports.download_airports`` columns)
    from airportsdata, the airports basewatch searches."""
    con = duckdb.connect()
    con.register("a", airport_table())
    con.execute(
        "COPY (SELECT name, iata, icao, lat AS latitude, lon AS longitude, country,"
        " CAST(round(elevation_ft) AS BIGINT) AS altitude, 'airport' AS type,"
        " NULL::VARCHAR AS municipality FROM a)"
        f" TO '{cache / 'airports_ourairports.parquet'}' (FORMAT parquet)"
    )


def traffic_samples(work: Path, traffic: Traffic) -> tuple[Path, list[str]]:
    """traffic's samples as Parquet, exported once (kept between runs: it needs traffic's venv)."""
    samples = work / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    missing = [s for s in SAMPLES if not (samples / f"{s}.parquet").exists()]
    if missing and traffic.problem is None:
        traffic.call("export", str(samples), *missing)
    elif missing:
        return samples, [f"traffic samples {', '.join(missing)} left out: {traffic.problem}"]
    return samples, []


def base_positions(work: Path, traffic: Traffic, synthetic: int) -> tuple[Path, list[str]]:
    """One copy of every input as canonical positions with an ``origin`` column (Parquet)."""
    samples, notes = traffic_samples(work, traffic)
    tree = work / "synthetic"
    shutil.rmtree(tree, ignore_errors=True)
    readsb_tree(tree, synthetic, seed=11)
    inputs = {str(tree): "synthetic (generate.py)"}
    for origin, rel in CAPTURES.items():
        if (SHARED / rel).exists():
            inputs[str(SHARED / rel)] = origin
        else:
            notes.append(f"{rel} left out: not in {SHARED}")
    db = work / "inputs.duckdb"
    db.unlink(missing_ok=True)
    parts = []
    with Store.open(db) as store:
        store.ingest(list(inputs))
        con = store.con
        con.register("origins", pa.table({"path": list(inputs), "origin": list(inputs.values())}))
        # generate.py draws a new random callsign for every aircraft object of a trace; a real
        # flight keeps its callsign (and traffic splits on callsign changes): keep the first
        con.execute(
            "UPDATE positions SET callsign = c.first FROM (SELECT icao24, arg_min(callsign, time)"
            " AS first FROM positions JOIN ingests USING (ingest_id) WHERE starts_with(path, ?)"
            " GROUP BY 1) c WHERE positions.icao24 = c.icao24",
            [f"{tree}/"],
        )
        parts.append(
            f"SELECT {CANONICAL}, pos_source, new_leg, stale, o.origin"
            " FROM positions p JOIN ingests i USING (ingest_id)"
            " JOIN origins o ON i.path = o.path OR starts_with(i.path, o.path || '/')"
        )
        for name in SAMPLES:
            if (samples / f"{name}.parquet").exists():
                parts.append(
                    f"SELECT {CANONICAL}, 'adsb', NULL::BOOLEAN, NULL::BOOLEAN, '{name} sample'"
                    f" FROM '{samples / name}.parquet'"
                    " WHERE lat IS NOT NULL AND lon IS NOT NULL"
                )
        out = work / "base.parquet"
        con.execute(f"COPY ({' UNION ALL '.join(parts)}) TO '{out}' (FORMAT parquet)")
    return out, notes


@dataclass
class Dataset:
    size: int
    db: Path
    aliases: Path

    def traffic_input(self) -> Path:
        """The same positions in traffic's column names (written on first use)."""
        out = self.db.with_suffix(".traffic.parquet")
        if not out.exists():
            con = duckdb.connect()
            con.execute(f"ATTACH '{self.db}' AS s (READ_ONLY)")
            con.execute(
                f"COPY (SELECT {TRAFFIC_COLUMNS} FROM s.positions) TO '{out}' (FORMAT parquet)"
            )
            con.close()
        return out


def replicate(base: Path, size: int, work: Path) -> Dataset:
    """``size`` positions: whole copies of ``base`` (then whole aircraft of one more), each copy
    with its own addresses (a bijection of copy and aircraft number) and shifted a day later."""
    con = duckdb.connect()
    counts = con.sql(
        f"SELECT icao24, any_value(origin), count(*) FROM '{base}' GROUP BY 1 ORDER BY hash(icao24)"
    ).fetchall()
    total = sum(c for _, _, c in counts)
    plan: list[tuple[int, str, str, str]] = []
    copies, rest = divmod(size, total)
    for k in range(copies + 1):
        for i, (icao, origin, n) in enumerate(counts):
            if k == copies and n > rest:
                continue
            rest -= n if k == copies else 0
            new = f"{((k * len(counts) + i) * 2_654_435_761 + 0x5A5A5) % (1 << 24):06x}"
            plan.append((k, icao, origin, new))
    names = ("copy", "orig_icao24", "origin", "icao24")
    con.register("plan", pa.table(dict(zip(names, zip(*plan, strict=True), strict=True))))
    aliases = work / f"aliases_{size}.parquet"
    con.execute(f"COPY plan TO '{aliases}' (FORMAT parquet)")
    db = work / f"positions_{size}.duckdb"
    for stale in (db, db.with_suffix(".traffic.parquet")):
        stale.unlink(missing_ok=True)
    Store.open(db).close()
    con.execute(f"ATTACH '{db}' AS s")
    con.execute(
        f"INSERT INTO s.positions SELECT b.time + to_days(p.copy), p.icao24, b.* EXCLUDE (time,"
        " icao24, origin), 1"
        f" FROM '{base}' b JOIN plan p ON p.orig_icao24 = b.icao24"
        " ORDER BY p.icao24, b.time + to_days(p.copy), b.lat, b.lon, b.alt_baro_ft NULLS LAST,"
        " b.gs_kt NULLS LAST"
    )
    con.close()
    return Dataset(size, db, aliases)


def run_basewatch(ds: Dataset, work: Path) -> dict[str, Any]:
    out = work / f"bw_flights_{ds.size}.parquet"
    done = subprocess.run(
        [sys.executable, __file__, "--basewatch-worker", str(ds.db), str(out)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"basewatch worker failed: {done.stderr.strip()[-2000:]}")
    stats: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {**stats, "out": out, "split_s": stats["total_s"] - stats["airports_s"]}


def run_traffic(traffic: Traffic, ds: Dataset, work: Path, timeout: float) -> dict[str, Any]:
    out = work / f"tr_flights_{ds.size}.parquet"
    src = ds.traffic_input()
    start = time.perf_counter()
    stdout = traffic.call("run", str(src), str(out), timeout=timeout)
    wall = time.perf_counter() - start
    stats: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    total = stats["split_s"] + stats["airports_s"]
    return {**stats, "out": out, "total_s": total, "wall_s": wall}


def _row(size: int, tool: str, s: dict[str, Any], ref: float | None) -> str:
    rate = size / s["total_s"]
    times = f"{s['split_s']:>9.2f} {s['airports_s']:>10.2f} {s['total_s']:>8.2f}"
    speedup = f"{rate / ref:>9,.0f}×" if ref else f"{'':>10}"
    return (
        f"{size:>11,} {tool:<10} {s['flights']:>8,} {times} {rate:>12,.0f} "
        f"{s['rss_mb']:>8,.0f} {speedup}"
    )


def measure(
    sizes: list[int], base: Path, work: Path, traffic: Traffic, budget: float
) -> list[tuple[Dataset, dict[str, Any], dict[str, Any] | str]]:
    """Both tools on every size; traffic while its estimated time stays within ``budget``."""
    results: list[tuple[Dataset, dict[str, Any], dict[str, Any] | str]] = []
    per_position: float | None = None
    for size in sizes:
        ds = replicate(base, size, work)
        bw = run_basewatch(ds, work)
        tr: dict[str, Any] | str
        if traffic.problem is not None:
            tr = f"skipped: {traffic.problem}"
        elif per_position is not None and per_position * size > budget:
            tr = f"skipped: estimated {per_position * size:,.0f} s > --traffic-budget {budget:.0f}"
        else:
            try:
                tr = run_traffic(traffic, ds, work, timeout=max(3 * budget, 60))
                per_position = tr["wall_s"] / size
            except subprocess.TimeoutExpired:
                tr = f"skipped: still running after {max(3 * budget, 60):.0f} s"
                per_position = float("inf")
        results.append((ds, bw, tr))
    return results


def report(results: list[tuple[Dataset, dict[str, Any], dict[str, Any] | str]]) -> None:
    print(
        f"\n{'positions':>11} {'tool':<10} {'flights':>8} {'split s':>9} {'airports s':>10} "
        f"{'total s':>8} {'positions/s':>12} {'peak RSS':>8} {'× traffic':>10}"
    )
    ref: float | None = None
    notes = []
    for ds, bw, tr in results:
        if isinstance(tr, dict):
            ref = ds.size / tr["total_s"]
            print(_row(ds.size, "traffic", tr, None))
        else:
            notes.append(f"traffic at {ds.size:,}: {tr}")
        extrapolated = ref is not None and not isinstance(tr, dict)
        print(_row(ds.size, "basewatch", bw, ref) + (" *" if extrapolated else ""))
    print(
        "(split = checking the layout + reading + cutting + writing for basewatch,"
        " assign_id().eval() for "
        "traffic; airports = takeoff + landing attribution; peak RSS in MB of the tool's own "
        "process; * = against traffic's rate at the largest size it finished)"
    )
    for note in notes:
        print(note)
    print(
        "\nbasewatch breakdown (layout: checking the store's clustered order, or clustering it;"
        " segment: summed over the worker threads, which overlap with reading and airports):"
    )
    for ds, bw, _ in results:
        print(
            f"  {ds.size:>11,}: total {bw['total_s']:.2f} s, layout {bw.get('cluster_s', 0):.2f}"
            f" s, segment {bw['segment_s']:.2f} s, airports {bw['airports_s']:.2f} s; inferred"
            f" landings {bw['inferred_landings']:,}, inferred takeoffs {bw['inferred_takeoffs']:,}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000,3000000,10000000")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/basewatch-flights-bench"))
    parser.add_argument("--synthetic", type=int, default=100_000, help="synthetic positions")
    parser.add_argument("--traffic-budget", type=float, default=200.0, help="seconds per size")
    parser.add_argument("--examples", type=int, default=8)
    parser.add_argument("--basewatch-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.basewatch_worker:
        basewatch_worker(*args.basewatch_worker)
        return
    start = time.perf_counter()
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    traffic = Traffic.find(work / "traffic-home")
    if traffic.problem:
        print(f"traffic skipped: {traffic.problem}")
    base, notes = base_positions(work, traffic, args.synthetic)
    for note in notes:
        print(note)
    con = duckdb.connect()
    summary = con.sql(
        f"SELECT origin, count(*), count(DISTINCT icao24) FROM '{base}' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    print("one copy of the inputs (positions, aircraft):")
    for origin, n, aircraft in summary:
        print(f"  {origin:<26} {n:>9,} {aircraft:>6,}")
    sizes = [int(s) for s in args.sizes.split(",")]
    results = measure(sizes, base, work, traffic, args.traffic_budget)
    report(results)
    both = [(ds, bw, tr) for ds, bw, tr in results if isinstance(tr, dict)]
    if both:
        ds, bw, tr = both[-1]
        compare(ds.db, ds.aliases, bw["out"], tr["out"], args.examples)
    print(f"\n(benchmark wall time {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
