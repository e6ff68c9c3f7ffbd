"""The built-in demo: simulate the Hmeimim scenario, run the whole chain on it, write the reports.

The simulated files go through ``ingest`` like any user's data; nothing here knows the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from basewatch.activity import VisitDetector, resolve_base
from basewatch.config import Config
from basewatch.flights import FlightBuilder
from basewatch.report import ReportBuilder, render
from basewatch.simulate import simulate
from basewatch.store import IngestResult, Store

#: The report formats the demo writes, and their file names under the demo folder.
REPORTS = {"md": "report.md", "html": "report.html", "json": "report.json"}
STORE_NAME = "demo.duckdb"


@dataclass
class DemoResult:
    """What the demo made: where, how much, and how long each stage took."""

    out_dir: Path
    store_path: Path
    truth: dict[str, Any] = field(default_factory=dict)
    ingests: list[IngestResult] = field(default_factory=list)
    positions: int = 0
    flights: int = 0
    visits: int = 0
    headline: str = ""
    reports: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The ``demo --json`` document."""
        return {
            "out": str(self.out_dir),
            "store": str(self.store_path),
            "truth": str(self.out_dir / "truth.json"),
            "positions": self.positions,
            "flights": self.flights,
            "visits": self.visits,
            "rejected": sum(r.rejected for r in self.ingests),
            "headline": self.headline,
            "reports": [str(p) for p in self.reports],
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


@dataclass(frozen=True)
class Demo:
    """The demo's settings: where to write, the scenario's seed, and the base reported on."""

    out_dir: Path
    seed: int = 7
    base: str = "hmeimim"

    def run(self, config: Config, say: Callable[[str], None] | None = None) -> DemoResult:
        """Simulate, ingest, build flights and visits, and write the three reports."""
        say = say or (lambda _: None)
        out = self.out_dir
        out.mkdir(parents=True, exist_ok=True)
        result = DemoResult(out_dir=out, store_path=out / STORE_NAME)
        with _timed(result, "simulate"):
            say(f"simulating the scenario (seed {self.seed}) into {out}")
            result.truth = simulate(out, seed=self.seed)
        result.store_path.unlink(missing_ok=True)  # a fresh store: the demo is reproducible
        with Store.open(result.store_path) as store:
            with _timed(result, "ingest"):
                say("ingesting the simulated readsb traces and ADS-B Exchange snapshots")
                result.ingests = store.ingest([str(out / "data")])
            with _timed(result, "flights"):
                say("cutting tracks into flights, finding airports and dark landings")
                FlightBuilder().build(store)
            base = resolve_base(self.base, config)
            with _timed(result, "visits"):
                say(f"finding visits to {base.name}")
                result.visits = VisitDetector(base, config).detect(store).num_rows
            with _timed(result, "report"):
                say("writing the reports")
                report = ReportBuilder(base, config).build(store)
                for fmt, name in REPORTS.items():
                    render(report, fmt, out / name)
                    result.reports.append(out / name)
            result.headline = report.headline
            result.positions, result.flights = _counts(store)
        return result


def _counts(store: Store) -> tuple[int, int]:
    rows = store.con.execute(
        "SELECT (SELECT count(*) FROM positions), (SELECT count(*) FROM flights)"
    ).fetchall()
    return int(rows[0][0]), int(rows[0][1])


@contextmanager
def _timed(result: DemoResult, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        result.seconds[stage] = time.perf_counter() - start
