"""Where the flights stage spends its time: ``FlightBuilder().build`` on a world store, by part.

    python benchmarks/flights_stages.py [--positions 10_000_000] [--workdir DIR] [--repeat 2]
        [--cluster] [--workers N] [--plain-malloc]

Makes (once, kept in ``--workdir``) a store of a year of simulated global traffic
(activity_world.py / activity_positions.py, loaded in departure order as an ingest leaves
them), then builds its flights ``--repeat`` times in this process and prints seconds per part:
reading positions (the SQL stream into Arrow), Arrow → numpy (``TrackColumns.of``), the
set-aside pass, the segmenter kernel (boundaries and per-flight aggregates), the airport
attribution, writing the tables, and what is left (concatenation, bookkeeping). Parts are timed
by wrapping the library's functions here (never in the library); a part the code no longer has
prints as absent. ``--cluster`` first lays positions out by (icao24, time) through
``Store.cluster_positions`` (timed) when the library has it; otherwise the first build
clusters the store itself when it needs to (the part "cluster"). ``--workers 1`` gives the
parts without overlap. glibc's malloc is tuned for batch work as the command line does
(``basewatch.memory``) unless ``--plain-malloc``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from basewatch import FlightBuilder, Store

PAGE = os.sysconf("SC_PAGE_SIZE")
#: (part, module, attribute): the functions whose time makes each part (a dotted attribute is
#: a class method). Generators are timed while they produce.
PROBES = (
    ("cluster", "basewatch.flights.build", "cluster_positions"),
    ("read", "basewatch.flights.build", "sorted_tables"),
    ("read", "basewatch.flights.build", "position_tables"),
    ("arrow→numpy", "basewatch.flights.track_columns", "TrackColumns.of"),
    ("set aside", "basewatch.flights.segment", "set_aside"),
    ("set aside", "basewatch.flights.segment", "aside_table"),
    ("segment kernel", "basewatch.flights.segment", "Segmenter._boundaries"),
    ("segment kernel", "basewatch.flights.segment", "_flights"),
    ("airports", "basewatch.flights.endpoints", "EndpointFinder.attribute"),
    ("write", "basewatch.flights.build", "write_tables"),
)


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


class Peak(threading.Thread):
    """Peak resident memory, sampled every 20 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss_mb()

    def run(self) -> None:
        while True:
            time.sleep(0.02)
            self.peak = max(self.peak, rss_mb())


def _timed(fn: Callable[..., Any], into: dict[str, float], part: str) -> Callable[..., Any]:
    """``fn`` adding its time (a generator's time while it produces) to ``into[part]``."""
    import inspect

    if inspect.isgeneratorfunction(fn):

        def gen(*args: Any, **kwargs: Any) -> Iterator[Any]:
            it = fn(*args, **kwargs)
            while True:
                t0 = time.perf_counter()
                try:
                    item = next(it)
                except StopIteration:
                    into[part] += time.perf_counter() - t0
                    return
                into[part] += time.perf_counter() - t0
                yield item

        return gen

    def call(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into[part] += time.perf_counter() - t0

    return call


def install_probes(into: dict[str, float]) -> list[str]:
    """Wrap every probe the library still has; returns the parts found."""
    found = []
    for part, module_name, attr in PROBES:
        module = importlib.import_module(module_name)
        owner: Any = module
        *path, name = attr.split(".")
        for p in path:
            owner = getattr(owner, p, None)
        fn = getattr(owner, name, None) if owner is not None else None
        if fn is None:
            continue
        raw = owner.__dict__[name]
        if isinstance(raw, classmethod):
            setattr(owner, name, classmethod(_timed(raw.__func__, into, part)))
            found.append(part)
            continue
        wrapped = _timed(fn, into, part)
        setattr(owner, name, wrapped)
        for other in list(sys.modules.values()):  # modules that imported the name directly
            if (
                not path
                and part != "read"  # the readers call each other: time only the build's call
                and getattr(other, "__name__", "").startswith("basewatch.")
                and getattr(other, name, None) is fn
            ):
                setattr(other, name, wrapped)
        found.append(part)
    return found


def make_store(db: Path, positions: int, seed: int) -> None:
    """A world of about ``positions`` positions loaded in departure order (as ingests leave
    them), with the months as ingests."""
    from activity import load, make_world

    t0 = time.perf_counter()
    plan, _, _ = make_world(positions, seed)
    load(plan, db, seed)
    print(f"made {db} ({plan.positions:,} positions) in {time.perf_counter() - t0:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--positions", type=lambda s: int(s.replace("_", "")), default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/basewatch-flights-stages"))
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cluster", action="store_true")
    parser.add_argument(
        "--workers", type=int, default=None, help="FlightBuilder.workers (default: its own)"
    )
    parser.add_argument("--plain-malloc", action="store_true", help="leave glibc's malloc as it is")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = args.workdir / f"world-{args.positions}.duckdb"
    if not db.exists():
        make_store(db, args.positions, args.seed)
    if not args.plain_malloc:
        from basewatch.memory import keep_freed_memory

        print(f"malloc tuned for batch work, as the command line does: {keep_freed_memory()}")
    parts: dict[str, float] = defaultdict(float)
    names = install_probes(parts)
    peak = Peak()
    peak.start()
    with Store.open(db) as store:
        n = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
        if args.cluster:
            cluster = getattr(store, "cluster_positions", None)
            if cluster is None:
                print("this library has no Store.cluster_positions: --cluster ignored")
            else:
                t0 = time.perf_counter()
                cluster()
                s = time.perf_counter() - t0
                print(f"cluster_positions: {s:.2f} s ({n / s:,.0f} positions/s), once")
        print(f"{n:,} positions; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        header = [
            "run",
            "total s",
            "positions/s",
            "CPU s",
            "positions/CPU s",
            *dict.fromkeys(names),
            "other",
            "peak MB",
        ]
        print(" | ".join(header))
        for run in range(args.repeat):
            parts.clear()
            t0, cpu0 = time.perf_counter(), time.process_time()
            builder = FlightBuilder()
            if args.workers is not None and hasattr(builder, "workers"):
                builder = FlightBuilder(workers=args.workers)
            flights = builder.build(store)
            total = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            other = total - sum(parts.values())
            cells = [f"{parts[p]:.2f}" for p in dict.fromkeys(names)]
            print(
                " | ".join(
                    [
                        str(run + 1),
                        f"{total:.2f}",
                        f"{n / total:,.0f}",
                        f"{cpu:.2f}",
                        f"{n / cpu:,.0f}",
                        *cells,
                        f"{other:.2f}",
                        f"{peak.peak:,.0f}",
                    ]
                )
            )
        print(f"{flights.num_rows:,} flights; load average {os.getloadavg()[0]:.1f}")
        print(
            "(parts are seconds spent in each, summed over threads: with worker threads they"
            " overlap, and 'other' = total - parts goes negative)"
        )


if __name__ == "__main__":
    main()
