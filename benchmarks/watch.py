"""Live watch: global snapshots (≥ 10,000 aircraft, the size adsb.lol serves) at 1 Hz through the
whole watcher — feed poll and parse, store, incremental flights/visits, rules, alerts — cycle
after cycle, with memory sampled as it goes; beside it, the batch pipeline rerun per snapshot.

    python benchmarks/watch.py [--aircraft 12000] [--snapshots 3600] [--workdir DIR]
    python benchmarks/watch.py --quick          # 10,000 aircraft, 120 snapshots

The fleet: cruising aircraft over the whole globe, a few hundred of them flying to, from or
past the bases of the packaged config (some Russian state transports among them, with their
types imported so the watchlist and arrival rules have work), each moving on its heading every
second. Each snapshot is an ADS-B Exchange v2 response (``{"ac": [...], "now": ...}``) served
to the real ``adsbx_v2`` feed through ``httpx.MockTransport`` (the HTTP server is another
company's); building the JSON is not timed. Prints per-cycle time (p50, p95, max) per stage,
positions/s, the cycles over 1 s, and RSS at the start, middle and end (flat memory: the store
is on disk, nothing accumulates in the process). The peer is what a tool without incremental
state does: re-run the batch stages (flights, classes, visits) over everything after each
snapshot, timed on a few snapshots at the start and at the end of the run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import orjson

from basewatch import FlightBuilder, Store, VisitDetector, resolve_base
from basewatch.alerts import Dispatcher, MemorySink
from basewatch.config import parse_config
from basewatch.identify.classify import Classifier
from basewatch.sources.feeds import FeedSet, build_feeds
from basewatch.watch.watcher import Watcher

START = datetime(2025, 10, 24, 6, 0, tzinfo=UTC)
BASES = {"hmeimim": (35.4011, 35.9487), "chkalovsky": (55.8783, 38.0617)}
CONFIG = """
bases:
  hmeimim: {icao: OSLK, radius_km: 15, watch: [state]}
  chkalovsky: {icao: UUMU, radius_km: 10, watch: [state]}
watchlists:
  ru-transports: {types: [A124, IL76, IL62], countries: [RU]}
feeds:
  - {kind: adsbx_v2, url: "https://global.example", every_s: 1,
     point_path: "/v2/all", points: [hmeimim]}
alerts:
  rules:
    - {on: arrival, base: hmeimim}
    - {on: departure, base: hmeimim}
    - {on: resumption, base: hmeimim, after_days: 30}
    - {on: arrival, base: chkalovsky}
    - {on: watchlist, watch: ru-transports, cooldown_min: 360}
    - {on: squawk, base: hmeimim}
  sinks: [{kind: stdout}]
"""


class Fleet:
    """Aircraft moving on great-circle-ish headings; some descend into the bases."""

    def __init__(self, n: int, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.n = n
        self.hex = np.array([f"{a:06x}" for a in rng.choice(0xFFFFFF, n, replace=False)])
        self.lat = np.degrees(np.arcsin(rng.uniform(-0.95, 0.95, n)))
        self.lon = rng.uniform(-180, 180, n)
        self.alt = rng.choice(np.arange(28_000, 41_001, 1_000), n).astype(float)
        self.gs = rng.uniform(380, 490, n)
        self.track = rng.uniform(0, 360, n)
        self.vrate = np.zeros(n)
        self.squawk = np.array([f"{s:04o}" for s in rng.integers(0o1000, 0o7400, n)])
        airlines = ["DLH", "AFR", "UAE", "THY", "SWR"]
        self.callsign = np.array([f"{c}{i:04d}" for i, c in
                                  enumerate(rng.choice(airlines, n))])  # fmt: skip
        # a few hundred near the bases, descending towards them; some Russian state transports
        near = rng.choice(n, min(300, n // 20), replace=False)
        for k, i in enumerate(near):
            lat0, lon0 = BASES["hmeimim"] if k % 2 else BASES["chkalovsky"]
            dist = rng.uniform(20, 140) / 111.0
            bearing = rng.uniform(0, 2 * np.pi)
            self.lat[i] = lat0 + dist * np.cos(bearing)
            self.lon[i] = lon0 + dist * np.sin(bearing) / np.cos(np.radians(lat0))
            self.track[i] = (np.degrees(bearing) + 180) % 360
            self.alt[i], self.gs[i], self.vrate[i] = rng.uniform(4_000, 12_000), 250.0, -1_200.0
        self.state = near[:40]
        for j, i in enumerate(self.state):
            self.hex[i] = f"15{j:04x}"
            self.callsign[i] = f"RFF{7000 + j}"

    def step(self, dt: float = 1.0) -> None:
        km = self.gs * 1.852 * dt / 3600
        rad = np.radians(self.track)
        self.lat = np.clip(self.lat + km * np.cos(rad) / 111.0, -85, 85)
        self.lon = (
            self.lon + km * np.sin(rad) / (111.0 * np.cos(np.radians(self.lat))) + 540
        ) % 360 - 180
        self.alt = np.maximum(self.alt + self.vrate * dt / 60, 300.0)

    def snapshot(self, now: datetime) -> bytes:
        ms = int(now.timestamp() * 1000)
        ac = [
            {"hex": h, "type": "adsb_icao", "flight": f"{c:<8}", "alt_baro": round(a),
             "gs": round(g, 1), "track": round(t, 1), "baro_rate": round(v), "squawk": s,
             "lat": round(la, 6), "lon": round(lo, 6), "seen_pos": 0.4, "seen": 0.1}
            for h, c, a, g, t, v, s, la, lo in zip(
                self.hex.tolist(), self.callsign.tolist(), self.alt.tolist(), self.gs.tolist(),
                self.track.tolist(), self.vrate.tolist(), self.squawk.tolist(),
                self.lat.tolist(), self.lon.tolist(), strict=True)
        ]  # fmt: skip
        return orjson.dumps({"ac": ac, "msg": "No error", "now": ms, "total": len(ac), "ctime": ms})


def rss_mb() -> float:
    """Current resident set size (MB) from /proc (peak is ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def batch_rerun(store: Store, config_text: str) -> float:
    """What a tool without incremental state does after a snapshot: the batch stages again."""
    config = parse_config(config_text, "bench.yaml")
    start = time.perf_counter()
    FlightBuilder().build(store)
    Classifier.from_config(config).build(store)
    for name in BASES:
        VisitDetector(resolve_base(name, config), config).detect(store)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--aircraft", type=int, default=12_000)
    parser.add_argument("--snapshots", type=int, default=3_600)
    parser.add_argument("--quick", action="store_true", help="10,000 aircraft, 120 snapshots")
    parser.add_argument("--peer-every", type=int, default=0, help="time the batch rerun too")
    parser.add_argument("--memory-limit", default=None, help="DuckDB's (default: the watcher's)")
    parser.add_argument("--no-extend", action="store_true", help="recompute flights whole")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.quick:
        args.aircraft, args.snapshots = 10_000, 120
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bw-watch-"))
    work.mkdir(parents=True, exist_ok=True)
    fleet = Fleet(args.aircraft)
    payload = {"body": b""}

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=payload["body"],
                              headers={"content-type": "application/json"})  # fmt: skip

    config = parse_config(CONFIG, "bench.yaml")
    client = httpx.Client(transport=httpx.MockTransport(serve))
    db = work / "watch.duckdb"
    db.unlink(missing_ok=True)
    store = Store.open(db)
    _import_state_types(store, fleet)
    options = {"memory_limit": args.memory_limit} if args.memory_limit else {}
    watcher = Watcher(store, config, FeedSet(build_feeds(config, {}, client)),
                      Dispatcher(store, [MemorySink()], sleep=lambda s: None),
                      **options)  # type: ignore[arg-type]  # fmt: skip
    watcher.pipeline.extend = not args.no_extend
    run = Run(rss=[(0, rss_mb(), os.getloadavg()[0])])
    limit = store.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    print(f"{args.aircraft:,} aircraft, {args.snapshots:,} snapshots at 1 Hz, store {db}, "
          f"DuckDB memory_limit {limit}, {os.cpu_count()} cores, load {_load()}")  # fmt: skip
    for i in range(args.snapshots):
        now = START + timedelta(seconds=i)
        payload["body"] = fleet.snapshot(now)  # built outside the timed cycle
        report = watcher.cycle(now)
        run.add(report.seconds, report.stages, report.positions, len(report.alerts))
        fleet.step()
        if (i + 1) % SAMPLE_EVERY == 0 or i == args.snapshots - 1:
            run.rss.append((i + 1, rss_mb(), os.getloadavg()[0]))
        if (i + 1) % (10 * SAMPLE_EVERY) == 0 or i == args.snapshots - 1:
            _progress(run, store)
        if args.peer_every and i % args.peer_every == 0 and i > 0:
            run.peer.append((i, batch_rerun(store, CONFIG)))
    start = time.perf_counter()
    watcher.pipeline.flush()
    flush_s = time.perf_counter() - start
    _print(run, watcher, flush_s, store)
    store.close()
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


#: Cycles between RSS samples (a minute of snapshots); the table prints every ten.
SAMPLE_EVERY = 60
#: Cycles of warm-up before the memory is judged flat (ten minutes of snapshots).
WARM_UP = 600


@dataclass
class Run:
    """What the cycles measured: seconds, per stage, RSS samples (cycle, MB, load)."""

    rss: list[tuple[int, float, float]]
    cycles: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=dict)
    peer: list[tuple[int, float]] = field(default_factory=list)
    positions: int = 0
    alerts: int = 0

    def add(self, seconds: float, stages: dict[str, float], positions: int, alerts: int) -> None:
        self.cycles.append(seconds)
        for k in ("poll", "ingest", "pipeline", "rules", "alerts", "gc"):
            self.stages.setdefault(k, []).append(stages.get(k, 0.0))
        self.positions += positions
        self.alerts += alerts


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _progress(run: Run, store: Store) -> None:
    """One line per ten minutes of snapshots: cycle times of that stretch, RSS, DuckDB, load."""
    n = len(run.cycles)
    last = run.cycles[-10 * SAMPLE_EVERY :]
    duck = store.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()
    print(f"  cycles {n - len(last) + 1:>5}-{n:<5} p50 {_pct(last, 50):5.0f} ms  "
          f"p95 {_pct(last, 95):5.0f} ms  max {max(last) * 1000:5.0f} ms  "
          f">1 s {sum(1 for c in last if c >= 1.0):3d}  RSS {run.rss[-1][1]:6.0f} MB  "
          f"DuckDB {duck[0][0] / 2**20:5.0f} MB  load {_load()}", flush=True)  # fmt: skip


def _import_state_types(store: Store, fleet: Fleet) -> None:
    """Registry rows for the Russian state transports (as an aircraft import would give)."""
    for j, i in enumerate(fleet.state):
        store.con.execute(
            "INSERT INTO aircraft (icao24, registration, type_code, military, field_sources) "
            "VALUES (?, ?, ?, TRUE, MAP(['type_code'], ['bench']))",
            [str(fleet.hex[i]), f"RF-{76000 + j}", ["IL76", "A124", "IL62"][j % 3]],
        )


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def _print(run: Run, watcher: Watcher, flush_s: float, store: Store) -> None:
    cycles = run.cycles
    total = sum(cycles)
    print("\nper cycle (ms)      p50     p95     max    share")
    print(
        f"  whole       {_pct(cycles, 50):7.0f} {_pct(cycles, 95):7.0f} {max(cycles) * 1000:7.0f}"
    )
    for k, v in run.stages.items():
        print(f"  {k:<10}  {_pct(v, 50):7.0f} {_pct(v, 95):7.0f} {max(v) * 1000:7.0f}  "
              f"{sum(v) / total:6.1%}")  # fmt: skip
    over = sum(1 for c in cycles if c >= 1.0)
    print(
        f"\ncycles over 1 s: {over} of {len(cycles)} ({over / len(cycles):.1%}); "
        f"mean {statistics.mean(cycles) * 1000:.0f} ms"
    )
    print(f"positions stored: {run.positions:,} "
          f"({run.positions / total:,.0f}/s of processing time)")  # fmt: skip
    counts = watcher.pipeline.counts
    print(f"flight updates: {counts['extended']:,} extended from a window, "
          f"{counts['recomputed']:,} recomputed whole")  # fmt: skip
    print(f"alerts raised: {run.alerts}; final catch-up of every aircraft's flights: "
          f"{flush_s:.1f} s")  # fmt: skip
    flights = store.con.execute("SELECT count(*) FROM flights").fetchall()[0][0]
    print(f"flights: {flights:,}")
    _print_memory(run.rss)
    if run.peer:
        print("\npeer: batch stages rerun after a snapshot (no incremental state)")
        for i, s in run.peer:
            ratio = s / max(cycles[i], 1e-9)
            print(f"  after {i:>5} snapshots: {s * 1000:8.0f} ms  vs watcher cycle "
                  f"{cycles[i] * 1000:6.0f} ms  ({ratio:,.0f}×)")  # fmt: skip


def _print_memory(rss: list[tuple[int, float, float]]) -> None:
    """RSS at the start, after warm-up and at the end, and its slope after warm-up (a least
    squares line through the minute samples), per ten minutes of snapshots."""
    warm = min(WARM_UP, rss[-1][0] // 3)
    after = [(c, mb) for c, mb, _ in rss if c >= warm]
    at_warm = after[0][1] if after else float("nan")
    slope = float("nan")
    if len(after) >= 3:
        x = np.array([c for c, _ in after], float)
        y = np.array([mb for _, mb in after])
        slope = float(np.polyfit(x, y, 1)[0]) * 600
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    loads = [load for _, _, load in rss]
    print(f"RSS MB: start {rss[0][1]:.0f}, after warm-up ({warm} cycles) {at_warm:.0f}, "
          f"end {rss[-1][1]:.0f}; slope after warm-up {slope:+.1f} MB per 10 min; "
          f"peak {peak:.0f} MB (with the final catch-up)")  # fmt: skip
    print(
        f"load average (1 min) over the run: min {min(loads):.2f}, "
        f"median {statistics.median(loads):.2f}, max {max(loads):.2f}; now {_load()}"
    )


if __name__ == "__main__":
    sys.exit(main())
