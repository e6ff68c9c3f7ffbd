"""The timed side of the activity benchmark: basewatch's stages on one store, in this process.

Each stage gets its seconds and its peak RSS (sampled from /proc every 20 ms); every SQL
statement is timed through a connection proxy (statements grouped by their text with digits
masked), the flights stage's parts (clustering the store when it needs it, reading positions,
the numeric kernel, airport attribution, writing) through wrappers (flights_stages.py's probes),
and the flights stage's read query is profiled by DuckDB (the clustered store's physical scan,
or one hash bucket's scan + filter + sort when not clustered).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from basewatch import (
    ActivityAnalyzer,
    Classifier,
    EndpointFinder,
    FlightBuilder,
    Segmenter,
    Store,
    VisitDetector,
    load_config,
    resolve_base,
)
from basewatch.flights.build import ORDER, SORT_POSITIONS
from basewatch.flights.segment import COLUMNS
from basewatch.store.cluster import clustered_rows

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flights_stages import install_probes

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


class RssSampler(threading.Thread):
    """Peak resident memory since the last ``lap``."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = rss_mb()
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def lap(self) -> float:
        peak, self.peak = max(self.peak, rss_mb()), rss_mb()
        return peak


class Statements:
    """Seconds per SQL statement shape (digits masked), attributed to the stage running, and
    per category (a regular expression over the whole statement)."""

    CATEGORIES: ClassVar[dict[str, str]] = {
        "read": r"FROM positions .*ORDER BY",
        "write": r"CREATE OR REPLACE TABLE (flights|set_aside)",
    }

    def __init__(self) -> None:
        self.stage = ""
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self.calls: dict[tuple[str, str], int] = defaultdict(int)
        self.category: dict[tuple[str, str], float] = defaultdict(float)

    def add(self, sql: str, seconds: float, call: bool = True) -> None:
        text = re.sub(r"\s+", " ", sql).strip()
        key = (self.stage, re.sub(r"\d+", "#", text)[:90])
        self.seconds[key] += seconds
        self.calls[key] += call
        for name, pattern in self.CATEGORIES.items():
            if re.search(pattern, text):
                self.category[(self.stage, name)] += seconds

    def top(self, stage: str, n: int) -> list[tuple[str, float, int]]:
        rows = [(k[1], s, self.calls[k]) for k, s in self.seconds.items() if k[0] == stage]
        return sorted(rows, key=lambda r: -r[1])[:n]


class TimedRelation:
    """A DuckDB relation whose fetches are timed."""

    def __init__(self, rel: Any, sql: str, log: Statements) -> None:
        self._rel, self._sql, self._log = rel, sql, log

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._rel, name)
        if not (callable(attr) and (name.startswith(("fetch", "to_")) or name in ("arrow", "df"))):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self._log.add(self._sql, time.perf_counter() - t0, call=False)

        return timed


class TimedConnection:
    """A DuckDB connection whose ``execute`` and ``sql`` are timed per statement."""

    def __init__(self, con: Any, log: Statements) -> None:
        self._con, self._log = con, log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            self._log.add(sql, time.perf_counter() - t0)

    def sql(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        rel = self._con.sql(sql, *args, **kwargs)
        self._log.add(sql, time.perf_counter() - t0)
        return TimedRelation(rel, sql, self._log) if rel is not None else rel


class Timed:
    """Delegates to ``inner``, adding the time of its method calls to ``into[key]``."""

    def __init__(self, inner: object, into: dict[str, float], key: str) -> None:
        self._inner, self._into, self._key = inner, into, key

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self._into[self._key] += time.perf_counter() - t0

        return timed

    def __repr__(self) -> str:  # the flights fingerprint uses the settings' repr
        return repr(self._inner)


def profile_bucket(store: Store, out: Path) -> dict[str, float]:
    """DuckDB's operator timings for the flights stage's read query: the clustered head's
    physical scan (``buckets`` 1), or bucket 0 of the sorted read of an unclustered store."""
    con = store.con
    total = con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
    head = clustered_rows(con)
    buckets = 1 if head else max(1, math.ceil(total / SORT_POSITIONS))
    where = f"WHERE hash(icao24) % {buckets} = 0" if buckets > 1 else ""
    order = f"ORDER BY {ORDER}"
    if head:
        where, order = f"WHERE rowid < {head}", ""
    con.execute("PRAGMA enable_profiling='json'")
    con.execute(f"SET profiling_output='{out}'")
    t0 = time.perf_counter()
    con.sql(f"SELECT {', '.join(COLUMNS)} FROM positions {where} {order}").to_arrow_table()
    wall = time.perf_counter() - t0
    con.execute("PRAGMA disable_profiling")
    ops: dict[str, float] = defaultdict(float)

    def walk(node: dict[str, Any]) -> None:
        ops[str(node.get("name", "?"))] += float(node.get("timing", 0.0))
        for child in node.get("children", []):
            walk(child)

    for node in json.loads(out.read_text()).get("operator", []):
        walk(node)
    return {"buckets": buckets, "wall_s": wall, **{f"op {k}": v for k, v in ops.items()}}


def run_stages(db: str, scratch: Path) -> dict[str, Any]:
    """Every stage on the store at ``db``; a JSON-ready report."""
    config = load_config(None)
    store = Store.open(db)
    log = Statements()
    timed_store = Store(TimedConnection(store.con, log), store.path)  # type: ignore[arg-type]
    sampler = RssSampler()
    sampler.start()
    stages: list[dict[str, Any]] = []
    parts: dict[str, float] = defaultdict(float)

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        log.stage = name
        sampler.lap()
        t0 = time.perf_counter()
        result = fn()
        stages.append({"stage": name, "seconds": time.perf_counter() - t0, "rss_mb": sampler.lap()})
        return result

    positions = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
    settings = store.con.execute(
        "SELECT current_setting('threads'), current_setting('memory_limit')"
    ).fetchall()[0]
    builder = FlightBuilder(
        segmenter=Timed(Segmenter(), parts, "segment"),  # type: ignore[arg-type]
        endpoints=Timed(EndpointFinder(), parts, "airports"),  # type: ignore[arg-type]
    )
    probed: dict[str, float] = defaultdict(float)
    install_probes(probed)  # cluster, read, arrow→numpy, ..., write (worker threads overlap)
    stage("flights", lambda: builder.build(timed_store))
    stage("classify", lambda: Classifier.from_config(config).ensure(timed_store))
    visits: dict[str, Any] = {}
    per_base: dict[str, float] = {}

    def detect_all() -> None:
        for base in config.bases:
            t0 = time.perf_counter()
            visits[base.name] = VisitDetector(resolve_base(base.name, config), config).detect(
                timed_store
            )
            per_base[base.name] = time.perf_counter() - t0

    stage("visits", detect_all)

    def analyze_all() -> dict[str, Any]:
        return {
            name: ActivityAnalyzer().analyze(
                list(
                    zip(
                        t.column("arrival_time").to_pylist(),
                        t.column("icao24").to_pylist(),
                        strict=True,
                    )
                )
            )
            for name, t in visits.items()
        }

    activity = stage("activity", analyze_all)
    log.stage = "checks"
    t0 = time.perf_counter()
    FlightBuilder().ensure(timed_store)
    Classifier.from_config(config).ensure(timed_store)
    checks = time.perf_counter() - t0
    counts = store.con.execute(
        "SELECT count(*), count(takeoff_airport), count(landing_airport),"
        " count(*) FILTER (landing_inferred), (SELECT count(*) FROM set_aside),"
        " (SELECT count(*) FILTER (state) FROM aircraft_class),"
        " (SELECT count(*) FROM aircraft_class), count(DISTINCT icao24) FROM flights"
    ).fetchall()[0]
    clustered = bool(clustered_rows(store.con))
    profile = profile_bucket(store, scratch / "bucket-profile.json")
    peak_total = sampler.lap()
    store.close()
    return {
        "positions": positions,
        "duckdb": f"DuckDB threads {settings[0]}, memory_limit {settings[1]}",
        "stages": stages,
        "flights_parts": {
            **parts,
            "read": probed["read"],
            "write": probed["write"],
            "cluster": probed["cluster"],
            "arrow_to_numpy": probed["arrow→numpy"],
            "clustered": clustered,
        },
        "top_statements": {s["stage"]: log.top(s["stage"], 6) for s in stages},
        "visit_seconds": per_base,
        "freshness_checks_s": checks,
        "counts": dict(
            zip(
                (
                    "flights",
                    "with_takeoff",
                    "with_landing",
                    "inferred_landings",
                    "set_aside",
                    "state_aircraft",
                    "classified",
                    "flying_aircraft",
                ),
                counts,
                strict=True,
            )
        ),
        "visits": {
            n: [
                (r["icao24"], r["arrival_time"].isoformat(), r["inferred"])
                for r in t.select(["icao24", "arrival_time", "inferred"]).to_pylist()
            ]
            for n, t in visits.items()
        },
        "activity": activity,
        "bucket_profile": profile,
        "peak_rss_mb": max(peak_total, max(s["rss_mb"] for s in stages)),
    }
