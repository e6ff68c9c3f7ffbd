"""Activity at every watched base over a year of simulated global traffic, stage by stage.

    python benchmarks/activity.py [--positions 100_000_000] [--quick] [--keep]
        [--workdir /tmp/basewatch-activity-bench] [--naive-positions 1_000_000]

Generates a year of traffic (activity_world.py plans it: civil aircraft between real airports, a
Russian state fleet visiting the bases of the packaged basewatch.yaml with a pause and a
resumption; activity_positions.py expands it) straight into a DuckDB store as Arrow chunks,
imports the aircraft identities as a tar1090-db ``aircraft.csv``, then times in a fresh process
(activity_stages.py): ``FlightBuilder().build``, ``Classifier.ensure``,
``VisitDetector.detect`` and ``ActivityAnalyzer.analyze`` for every base. Prints seconds,
positions/s and peak RSS per stage, where the flights stage spends its time, the counts against
the generated truth, and, side by side on a subset of whole aircraft, the same pipeline against a
naive pandas loop (activity_naive.py, run by ``NAIVE_PYTHON``, default
/tmp/activity-naive-venv/bin/python: ``python3 -m venv /tmp/activity-naive-venv &&
/tmp/activity-naive-venv/bin/pip install pandas pyarrow``; or this interpreter if it has pandas).
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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from activity_positions import Plan
from activity_stages import run_stages
from activity_world import (
    START,
    Fleet,
    Places,
    civil_fleet,
    civil_legs,
    state_fleet,
    state_legs,
)

from basewatch import ActivityAnalyzer, Store, import_aircraft, load_config, resolve_base
from basewatch.flights.airports import airport_table

HERE = Path(__file__).resolve().parent
DEFAULT_NAIVE = "/tmp/activity-naive-venv/bin/python"
CHUNK_ROWS = 2_000_000
MATCH_S = 45 * 60  # a found visit matches a generated arrival of the same aircraft this close


def combine(a: Fleet, b: Fleet) -> Fleet:
    """Fleet ``a`` then fleet ``b``."""
    values = [
        x + y if isinstance(x, list) else np.concatenate([x, y])
        for x, y in zip(a.__dict__.values(), b.__dict__.values(), strict=True)
    ]
    return Fleet(*values)  # type: ignore[arg-type]


def make_world(target: int, seed: int) -> tuple[Plan, dict[str, str], int]:
    """The flights of the year, at least ``target`` positions: the civil turnaround is tuned
    so the fleet flies a little more than needed, then whole civil aircraft are left out.
    Returns the plan, the place code of each base and the number of civil aircraft kept."""
    rng = np.random.default_rng(seed)
    config = load_config(None)
    bases = {b.name: resolve_base(b.name, config) for b in config.bases}
    places = Places.build({n: (r.icao, r.lat, r.lon, r.elevation_ft) for n, r in bases.items()})
    civil, state = civil_fleet(rng, max(300, target // 4_000)), state_fleet()
    fleet = combine(civil, state)
    st = state_legs(rng, places, state, first=len(civil.icao))
    turn, busy = 30.0, 0.2  # days between flights, days a flight keeps an aircraft busy
    for _ in range(10):
        legs = civil_legs(rng, places, civil, turn)
        plan = Plan.shape(rng, places, fleet, {k: np.concatenate([legs[k], st[k]]) for k in st})
        ratio = plan.positions / target
        if 1.0 <= ratio <= 1.1:
            break
        turn = max(0.1, (turn + busy) * ratio / 1.05 - busy)
    f = plan.f
    per_ac = np.bincount(f["ac"], weights=f["n"], minlength=len(fleet.icao))
    order = rng.permutation(len(civil.icao))
    need = target - per_ac[len(civil.icao) :].sum()
    kept = order[: int(np.searchsorted(np.cumsum(per_ac[order]), need)) + 1]
    keep = fleet.state[f["ac"]] | np.isin(f["ac"], kept)
    plan = Plan(fleet, places, {k: v[keep] for k, v in f.items()})
    codes = {name: r.icao or name for name, r in bases.items()}
    return plan, codes, len(kept)


def truth(plan: Plan, codes: dict[str, str]) -> dict[str, list[tuple[str, float]]]:
    """Generated state arrivals per base: (icao24, seconds after START)."""
    f, fleet = plan.f, plan.fleet
    arrive = plan.arrival_s()
    out: dict[str, list[tuple[str, float]]] = {}
    for base, code in codes.items():
        at = plan.places.index(code)
        rows = np.flatnonzero((f["dest"] == at) & fleet.state[f["ac"]])
        out[base] = [(fleet.icao[f["ac"][i]], float(arrive[i])) for i in rows]
    return out


def load(plan: Plan, db: Path, seed: int) -> tuple[float, float]:
    """Generate the positions chunk by chunk into the store; (generation s, load s)."""
    gen = load_s = 0.0
    rng = np.random.default_rng(seed + 1)
    with Store.open(db) as store:
        con = store.con
        chunks = plan.chunks(rng, CHUNK_ROWS)
        while True:
            t0 = time.perf_counter()
            table = next(chunks, None)
            t1 = time.perf_counter()
            gen += t1 - t0
            if table is None:
                break
            con.register("bw_gen", table)
            con.execute("INSERT INTO positions SELECT * FROM bw_gen")
            con.unregister("bw_gen")
            load_s += time.perf_counter() - t1
        t1 = time.perf_counter()
        months = np.bincount(plan.f["month"], weights=plan.f["n"], minlength=12)
        for m, count in enumerate(months):
            con.execute(
                "INSERT INTO ingests (ingest_id, path, format, sha256, started_at, accepted)"
                " VALUES (?, ?, 'benchmark', ?, ?, ?)",
                [
                    m + 1,
                    f"benchmark://activity/month-{m + 1:02d}",
                    f"{m + 1:064x}",
                    START,
                    int(count),
                ],
            )
    return gen, load_s + time.perf_counter() - t1


def aircraft_csv(plan: Plan, path: Path) -> list[str]:
    """A tar1090-db ``aircraft.csv`` of every aircraft that flies (state ones flagged military,
    operated by the Russian Air Force); returns the flagged addresses."""
    fleet = plan.fleet
    flying = np.unique(plan.f["ac"])
    lines, state = [], []
    for i in flying:
        icao = fleet.icao[i]
        if fleet.state[i]:
            state.append(icao)
            owner, flags = "Russian Air Force", "1"
        else:
            owner, flags = fleet.prefix[i], ""
        lines.append(
            f"{icao.upper()};{fleet.registration[i]};{fleet.type_code[i]};{flags};;;{owner};"
        )
    path.write_text("\n".join(lines) + "\n")
    return state


def stages_in_fresh_process(db: Path, out: Path) -> dict[str, Any]:
    """Run the stages in a new interpreter (clean peak RSS); their JSON report."""
    done = subprocess.run(
        [sys.executable, __file__, "--stages-worker", str(db), str(out)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"stage worker failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def subset(plan: Plan, db: Path, csv: Path, work: Path, target: int) -> tuple[Path, Path, int]:
    """A store of whole aircraft (every state one, then civil ones) of about ``target``
    positions, and the same positions as Parquet for the naive baseline."""
    fleet = plan.fleet
    per_ac = np.bincount(plan.f["ac"], weights=plan.f["n"], minlength=len(fleet.icao))
    civil = np.flatnonzero(~fleet.state & (per_ac > 0))
    order = np.concatenate([np.flatnonzero(fleet.state), civil])
    room = target - per_ac[fleet.state].sum()
    take = int(np.searchsorted(np.cumsum(per_ac[civil]), room))
    chosen = [fleet.icao[i] for i in order[: int(fleet.state.sum()) + take]]
    sub, parquet = work / "subset.duckdb", work / "subset.parquet"
    with Store.open(sub) as store:
        con = store.con
        con.execute(f"ATTACH '{db}' AS big (READ_ONLY)")
        con.execute("CREATE TEMP TABLE chosen (icao24 VARCHAR)")
        con.executemany("INSERT INTO chosen VALUES (?)", [[c] for c in chosen])
        con.execute(
            "INSERT INTO positions SELECT * FROM big.positions"
            " WHERE icao24 IN (SELECT icao24 FROM chosen)"
        )
        con.execute("INSERT INTO ingests SELECT * FROM big.ingests")
        con.execute("DETACH big")
        import_aircraft(store, [str(csv)])
        con.execute(
            "COPY (SELECT icao24, time, lat, lon, alt_baro_ft, on_ground FROM positions)"
            f" TO '{parquet}' (FORMAT parquet)"
        )
        n = con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
    return sub, parquet, int(n)


def naive_python() -> str | None:
    """An interpreter with pandas for the baseline, or None."""
    for python in (os.environ.get("NAIVE_PYTHON", DEFAULT_NAIVE), sys.executable):
        if (
            Path(python).exists()
            and not subprocess.run(
                [python, "-c", "import pandas, pyarrow"], capture_output=True
            ).returncode
        ):
            return python
    return None


def run_naive(python: str, parquet: Path, work: Path, state: list[str]) -> dict[str, Any]:
    """The pandas baseline on the subset's positions, in its own interpreter."""
    config = load_config(None)
    bases = []
    for b in config.bases:
        r = resolve_base(b.name, config)
        bases.append(
            {"name": r.name, "icao": r.icao, "lat": r.lat, "lon": r.lon, "radius_km": r.radius_km}
        )
    watch, airports = work / "watch.json", work / "airports.parquet"
    watch.write_text(json.dumps({"bases": bases, "state": state}))
    import pyarrow.parquet as pq

    pq.write_table(airport_table(), airports)
    done = subprocess.run(
        [python, str(HERE / "activity_naive.py"), str(parquet), str(airports), str(watch)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"naive baseline failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def matched(found: list[list[Any]], expected: list[tuple[str, float]]) -> int:
    """Generated arrivals with a found visit of the same aircraft within ``MATCH_S``."""
    seen: dict[str, list[float]] = {}
    for icao, when, _ in found:
        seen.setdefault(icao, []).append((datetime.fromisoformat(when) - START).total_seconds())
    return sum(any(abs(t - s) <= MATCH_S for s in seen.get(icao, [])) for icao, t in expected)


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>13,.0f}" if seconds > 0 else f"{'-':>13}"


def report_stages(r: dict[str, Any]) -> None:
    n = r["positions"]
    total = sum(s["seconds"] for s in r["stages"])
    print(f"\n{'stage':<22} {'seconds':>9} {'positions/s':>13} {'peak RSS MB':>12} {'share':>6}")
    for s in r["stages"]:
        label = s["stage"] + (
            f" ({len(r['visits'])} bases)" if s["stage"] in ("visits", "activity") else ""
        )
        print(
            f"{label:<22} {s['seconds']:>9.2f} {_rate(n, s['seconds'])} {s['rss_mb']:>12,.0f}"
            f" {s['seconds'] / total:>6.1%}"
        )
    print(f"{'all stages':<22} {total:>9.2f} {_rate(n, total)} {r['peak_rss_mb']:>12,.0f}")
    flights = next(s["seconds"] for s in r["stages"] if s["stage"] == "flights")
    p = r["flights_parts"]
    rest = flights - sum(p.get(k, 0.0) for k in ("read", "segment", "airports", "write"))
    prof = r["bucket_profile"]
    b = int(prof["buckets"])
    print(
        f"\nflights stage, {flights:.1f} s: read "
        + ("physical scan of the clustered store" if p.get("clustered") else f"{b} hash buckets")
        + f" {p.get('read', 0):.1f} s (one-time clustering {p.get('cluster', 0):.1f} s)"
        + f" | segment kernel (numpy) {p.get('segment', 0):.1f} s |"
        f" airports (numpy) {p.get('airports', 0):.1f} s | write {p.get('write', 0):.1f} s |"
        f" other {rest:.1f} s"
    )
    ops = {k[3:]: v for k, v in prof.items() if k.startswith("op ")}
    busy = ", ".join(
        f"{k} {v:.2f}" for k, v in sorted(ops.items(), key=lambda kv: -kv[1]) if v >= 0.005
    )
    print(
        f"  one bucket's read query (DuckDB profile, operator CPU s; wall {prof['wall_s']:.2f} s,"
        f" × {b} buckets): {busy}"
    )
    scan = ops.get("TABLE_SCAN", ops.get("SEQ_SCAN", 0.0))
    print(
        f"  every bucket scans all {n:,} positions to hash-filter its own: {scan:.2f} CPU s × {b}"
        f" = {scan * b:.0f} CPU s of scanning ({r['duckdb']})"
    )
    for stage, rows in r["top_statements"].items():
        print(f"  heaviest SQL in {stage}:")
        for text, secs, calls in rows[:4]:
            print(f"    {secs:>8.2f} s  {calls:>4}×  {text}")
    print(
        "  per base (visits): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in r["visit_seconds"].items())
        + f"; freshness checks (flights + classes) each detect repeats:"
        f" {r['freshness_checks_s']:.2f} s"
    )


def report_counts(r: dict[str, Any], expected: dict[str, list[tuple[str, float]]]) -> None:
    c = r["counts"]
    print(
        f"\nflights {c['flights']:,} of {c['flying_aircraft']:,} aircraft (takeoff airport"
        f" {c['with_takeoff'] / max(c['flights'], 1):.1%}, landing airport"
        f" {c['with_landing'] / max(c['flights'], 1):.1%}, {c['inferred_landings']:,} inferred"
        f" landings); {c['set_aside']:,} positions set aside; {c['classified']:,} addresses"
        f" classified, {c['state_aircraft']:,} state"
    )
    print(
        f"\n{'base':<11} {'visits':>7} {'matched':>8} {'inferred':>8} {'pauses':>6} {'surges':>6}"
        "  resumptions found (after days) | generated"
    )
    for base, found in r["visits"].items():
        act = r["activity"][base]
        truth_act = ActivityAnalyzer().analyze(
            [(START + timedelta(seconds=t), icao) for icao, t in expected[base]]
        )
        res = ", ".join(f"{x['time'][:10]} ({x['after_days']:.0f})" for x in act["resumptions"])
        gen = ", ".join(
            f"{x['time'][:10]} ({x['after_days']:.0f})" for x in truth_act["resumptions"]
        )
        print(
            f"{base:<11} {len(found):>7} {matched(found, expected[base]):>8}"
            f" {sum(1 for v in found if v[2]):>8} {len(act['pauses']):>6} {len(act['surges']):>6}"
            f"  {res or '-'} | {gen or '-'}"
        )
    generated = ", ".join(f"{k} {len(v)}" for k, v in expected.items())
    print(
        "(visits: state arrivals found; matched: generated state arrivals with a visit of the same"
        f" aircraft within {MATCH_S // 60} min; generated: {generated})"
    )


def report_side_by_side(
    n: int,
    bw: dict[str, Any],
    naive: dict[str, Any] | str,
    expected: dict[str, list[tuple[str, float]]],
    full: dict[str, Any],
) -> None:
    """basewatch and the naive loop on the subset, and the naive loop scaled to the full run
    by its seconds per flight (it is per-flight Python work)."""
    bw_s = sum(s["seconds"] for s in bw["stages"])
    print(f"\nside by side on a subset of whole aircraft ({n:,} positions, every state aircraft):")
    print(f"{'tool':<34} {'seconds':>9} {'positions/s':>13} {'× naive':>8}  state visits per base")
    visits = ", ".join(f"{k} {len(v)}" for k, v in bw["visits"].items())
    if isinstance(naive, str):
        print(f"{'basewatch (all stages)':<34} {bw_s:>9.2f} {_rate(n, bw_s)} {'':>8}  {visits}")
        print(f"naive baseline skipped: {naive}")
        return
    speedup = naive["seconds"] / bw_s
    print(
        f"{'basewatch (all stages)':<34} {bw_s:>9.2f} {_rate(n, bw_s)} {speedup:>7.1f}×  {visits}"
    )
    nv = ", ".join(f"{k} {v}" for k, v in naive["visits"].items())
    print(
        f"{'naive pandas loop (read excluded)':<34} {naive['seconds']:>9.2f}"
        f" {_rate(n, naive['seconds'])} {1:>7.1f}×  {nv}"
    )
    print(
        f"{'generated':<34} {'':>9} {'':>13} {'':>8}  "
        + ", ".join(f"{k} {len(v)}" for k, v in expected.items())
    )
    print(f"(naive: {naive['flights']:,} flights; its Parquet read took {naive['read_s']:.2f} s)")
    full_s = sum(s["seconds"] for s in full["stages"])
    scaled = naive["seconds"] / max(naive["flights"], 1) * full["counts"]["flights"]
    print(
        f"naive scaled to the full run's {full['counts']['flights']:,} flights by its seconds per"
        f" flight: ~{scaled:,.0f} s (and the whole table in pandas memory) against basewatch's"
        f" {full_s:,.0f} s: {scaled / full_s:.1f}× (an estimate, not a run)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--positions", type=lambda s: int(s.replace("_", "")), default=100_000_000)
    parser.add_argument("--quick", action="store_true", help="2 M positions, a 300 k subset")
    parser.add_argument(
        "--naive-positions", type=lambda s: int(s.replace("_", "")), default=1_000_000
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/basewatch-activity-bench"))
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    parser.add_argument("--stages-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages_worker:
        db, out = args.stages_worker
        Path(out).write_text(json.dumps(run_stages(db, Path(out).parent)))
        return
    if args.quick:
        args.positions, args.naive_positions = 2_000_000, 300_000
    wall = time.perf_counter()
    work: Path = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db, csv = work / "activity.duckdb", work / "aircraft.csv"
    t0 = time.perf_counter()
    plan, codes, n_civil = make_world(args.positions, args.seed)
    schedule_s = time.perf_counter() - t0
    expected = truth(plan, codes)
    gen_s, load_s = load(plan, db, args.seed)
    state = aircraft_csv(plan, csv)
    t0 = time.perf_counter()
    with Store.open(db) as store:
        import_aircraft(store, [str(csv)])
    import_s = time.perf_counter() - t0
    n, flights = plan.positions, len(plan.f["dep"])
    n_state = int(plan.fleet.state[plan.f["ac"]].sum())
    print(
        f"world: {n:,} positions, {flights:,} flights ({n_state:,} by {len(state)} state aircraft)"
        f" of {n_civil + len(state):,} aircraft, {START:%Y-%m-%d} + 365 days; store"
        f" {db.stat().st_size / 2**30:.2f} GiB"
    )
    print(
        f"schedule {schedule_s:.1f} s | generation {gen_s:.1f} s ({_rate(n, gen_s).strip()}/s) |"
        f" load into DuckDB {load_s:.1f} s ({_rate(n, load_s).strip()}/s) |"
        f" aircraft import ({len(state) + n_civil:,} rows) {import_s:.1f} s"
    )
    result = stages_in_fresh_process(db, work / "stages.json")
    report_stages(result)
    report_counts(result, expected)
    sub, parquet, n_sub = subset(plan, db, csv, work, args.naive_positions)
    bw_sub = stages_in_fresh_process(sub, work / "subset-stages.json")
    python = naive_python()
    naive: dict[str, Any] | str = (
        run_naive(python, parquet, work, state)
        if python
        else "no pandas (set NAIVE_PYTHON; see --help)"
    )
    report_side_by_side(n_sub, bw_sub, naive, expected, result)
    stages_s = sum(s["seconds"] for s in result["stages"])
    print(
        f"\nvisits, pauses and surges for {len(result['visits'])} bases from {n:,} positions:"
        f" {stages_s:.0f} s of stages ({stages_s / 60:.1f} min); with generation and load"
        f" {(stages_s + gen_s + load_s + import_s) / 60:.1f} min"
    )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load1, load5, load15 = os.getloadavg()
    print(
        f"\n(machine load average at the end: {load1:.1f} / {load5:.1f} / {load15:.1f} on 2 cores)"
    )
    print(
        f"(generator process peak RSS {own:,.0f} MB;"
        f" benchmark wall time {time.perf_counter() - wall:.0f} s)"
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
