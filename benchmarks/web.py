"""The web dashboard on a large store: base page JSON and flight track JSON latency.

    python benchmarks/web.py [--positions 100_000_000] [--workdir /tmp/basewatch-web-bench]
        [--requests 60] [--tracks 200] [--rebuild]

The store is a year of simulated global traffic made by the activity benchmark's generator
(activity_world.py plans the flights, activity_positions.py expands them; positions are
inserted flight by flight in order of departure, so they lie roughly in time order), with the
aircraft identities imported and the flights, classes and visits built as ``basewatch report``
leaves them. It is built once under ``--workdir`` and kept: later runs reuse it (``--rebuild``
starts again).

Then ``basewatch serve`` runs in its own process (read-only, as users start it) and a real HTTP
client times, after a warm-up: the base page JSON of Hmeimim (every visit of the year, with the
report's sentences and timeline data) and of the base with the most visits, and the track JSON
of distinct flights drawn at random (no two requests ask for the same flight). Prints p50, p95
and max against the goals (base page JSON < 300 ms, flight track < 100 ms at p95), and a few
other pages for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from activity import aircraft_csv, load, make_world

from basewatch import (
    Classifier,
    FlightBuilder,
    Store,
    VisitDetector,
    import_aircraft,
    load_config,
    resolve_base,
)

GOALS_MS = {"base page JSON": 300.0, "flight track JSON": 100.0}


def build(work: Path, positions: int, seed: int) -> dict[str, Any]:
    """Generate the store (once); its description."""
    db, meta = work / "web.duckdb", work / "ready.json"
    if meta.exists() and db.exists():
        described: dict[str, Any] = json.loads(meta.read_text())
        return described
    work.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    plan, _, _ = make_world(positions, seed)
    gen_s, load_s = load(plan, db, seed)
    csv = work / "aircraft.csv"
    aircraft_csv(plan, csv)
    config = load_config(None)
    with Store.open(db) as store:
        import_aircraft(store, [str(csv)])
        t1 = time.perf_counter()
        FlightBuilder().build(store)
        flights_s = time.perf_counter() - t1
        Classifier.from_config(config).ensure(store)
        visits = {
            b.name: VisitDetector(resolve_base(b.name, config), config).detect(store).num_rows
            for b in config.bases
        }
        n, f = store.con.execute(
            "SELECT (SELECT count(*) FROM positions), (SELECT count(*) FROM flights)"
        ).fetchall()[0]
    described = {
        "positions": int(n),
        "flights": int(f),
        "visits": visits,
        "generate_s": round(gen_s, 1),
        "load_s": round(load_s, 1),
        "flights_s": round(flights_s, 1),
        "total_s": round(time.perf_counter() - t0, 1),
        "store_gib": round(db.stat().st_size / 2**30, 2),
    }
    meta.write_text(json.dumps(described, indent=2))
    return described


def sample_flights(db: Path, k: int, seed: int) -> list[str]:
    """``k`` flight ids drawn at random (read before the server holds the store)."""
    with Store.open(db, read_only=True) as store:
        ids = [r[0] for r in store.con.execute("SELECT flight_id FROM flights").fetchall()]
    return random.Random(seed).sample(ids, min(k, len(ids)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    """``basewatch serve`` on loopback, read-only, as a user starts it."""
    command = [sys.executable, "-m", "basewatch", "--quiet", "--db", str(db), "serve"]
    process = subprocess.Popen([*command, "--port", str(port)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/live", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
        if process.poll() is not None:
            raise RuntimeError(f"serve exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
    process.terminate()
    raise RuntimeError("serve did not answer within 120 s")


def timed(client: httpx.Client, urls: list[str]) -> list[float]:
    """Milliseconds per request (each must answer 200)."""
    out = []
    for url in urls:
        t0 = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
        out.append(elapsed)
    return out


def line(name: str, ms: list[float], extra: str = "") -> str:
    ordered = sorted(ms)
    p50 = statistics.median(ordered)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    goal = GOALS_MS.get(name)
    verdict = ""
    if goal is not None:
        verdict = f"goal < {goal:.0f} ms: {'met' if p95 < goal else 'MISSED'}"
    return f"{name:<28} {len(ms):>5} {p50:>9.1f} {p95:>9.1f} {max(ordered):>9.1f}  {verdict}{extra}"


def measure(port: int, flights: list[str], base: str, busiest: str, n: int) -> None:
    root = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=root, timeout=120) as client:
        doc = client.get(f"/api/bases/{base}").json()
        visits = doc["visits"]
        timed(client, [f"/api/bases/{base}"] * 3 + [f"/api/flights/{flights[0]}/track"] * 3)
        rows = [
            (
                "base page JSON",
                timed(client, [f"/api/bases/{base}"] * n),
                f"  ({base}, {len(visits)} visits)",
            ),
            (
                "base page JSON",
                timed(client, [f"/api/bases/{busiest}"] * n),
                f"  ({busiest}, the busiest base)",
            ),
            ("flight track JSON", timed(client, [f"/api/flights/{f}/track" for f in flights]), ""),
        ]
        points = [len(client.get(f"/api/flights/{f}/track").json()["t"]) for f in flights[:20]]
        extra = [
            ("bases overview JSON", ["/api/bases"] * 5),
            ("visit evidence JSON", [v["evidence_url"] for v in visits[-20:]]),
            ("flight JSON", [f"/api/flights/{f}" for f in flights[:50]]),
            ("aircraft JSON", [f"/api/aircraft/{v['icao24']}" for v in visits[-10:]]),
            ("base page HTML", [f"/bases/{base}"] * 10),
            (
                "search JSON",
                ["/api/search?q=RF-78", "/api/search?q=IL76", "/api/search?q=DLH12"] * 3,
            ),
        ]
        print(f"\n{'request':<28} {'n':>5} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
        for name, ms, note in rows:
            print(line(name, ms, note))
        print(f"(tracks: {statistics.mean(points):.0f} positions on average over the first 20)")
        print("\nfor reference (no goal):")
        for name, urls in extra:
            print(line(name, timed(client, urls)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--positions", type=lambda s: int(s.replace("_", "")), default=100_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/basewatch-web-bench"))
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--tracks", type=int, default=200)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild:
        (args.workdir / "ready.json").unlink(missing_ok=True)
    store = build(args.workdir, args.positions, args.seed)
    print(
        f"store: {store['positions']:,} positions, {store['flights']:,} flights, "
        f"{store['store_gib']} GiB; visits {store['visits']} (built in {store['total_s']} s, "
        f"flights stage {store['flights_s']} s)"
    )
    db = args.workdir / "web.duckdb"
    flights = sample_flights(db, args.tracks, args.seed)
    busiest = max(store["visits"], key=lambda b: store["visits"][b])
    port = free_port()
    server = start_server(db, port)
    try:
        measure(port, flights, "hmeimim", busiest, args.requests)
    finally:
        server.terminate()
        server.wait(30)
    load1, _, _ = os.getloadavg()
    print(f"\n(one server process, one client, sequential requests; load average {load1:.1f})")


if __name__ == "__main__":
    main()
