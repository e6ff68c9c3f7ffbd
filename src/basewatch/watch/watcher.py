"""The watch loop: one ``cycle`` polls the due feeds, stores what they sent (one ingest per
response, so a repeated response counts once), updates the pipeline and raises alerts."""

from __future__ import annotations

import gc
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from basewatch.alerts import Alert, Dispatcher, build_sinks
from basewatch.config import Config
from basewatch.sources.feeds import FeedSet, build_feeds
from basewatch.store import Store
from basewatch.watch.pipeline import Pipeline
from basewatch.watch.rules import AlertRules, RuleContext


@dataclass
class CycleReport:
    """What one cycle did."""

    now: datetime
    responses: int = 0
    positions: int = 0
    duplicates: int = 0
    rejected: int = 0
    aircraft: int = 0
    alerts: list[Alert] = field(default_factory=list)
    seconds: float = 0.0
    #: Seconds per stage: poll, ingest, pipeline, rules, alerts (and gc when it ran).
    stages: dict[str, float] = field(default_factory=dict)


@dataclass
class Watcher:
    """Feeds → store → incremental pipeline → alert rules → sinks, cycle after cycle.

    ``lookback`` bounds how old an event may be and still alert when the watch starts (a store
    full of history does not replay months of arrivals)."""

    store: Store
    config: Config
    feeds: FeedSet
    dispatcher: Dispatcher
    lookback: timedelta = timedelta(hours=6)
    silence_s: float = 600.0
    #: DuckDB's buffer pool for the watcher's store: memory stays flat over days of polling.
    #: DuckDB keeps every block it has read until this limit presses; the cycles read the last
    #: minutes of positions, so a small pool costs them little (the final flush and big
    #: queries spill past it).
    memory_limit: str | None = "256MB"
    #: A full garbage collection every this many cycles (0: never). Each httpx response is
    #: garbage in a reference cycle (response ↔ its stream), so its body (megabytes for a
    #: global snapshot) outlives the cycle until Python's rare full collections: hundreds of
    #: them were held at once.
    collect_every: int = 10
    started: datetime | None = None
    last_alert: Alert | None = None
    _recent: deque[tuple[datetime, int]] = field(default_factory=deque)
    _cycles: int = 0

    @classmethod
    def from_config(
        cls,
        store: Store,
        config: Config,
        environ: Mapping[str, str],
        lookback: timedelta = timedelta(hours=6),
    ) -> Watcher:
        """The watcher of the config: its feeds, sinks and per-rule cooldowns (``cooldown_min``);
        what a previous run could not deliver is delivered first."""
        cooldown = {
            r.on: float(r.options["cooldown_min"]) * 60
            for r in config.alerts.rules
            if "cooldown_min" in r.options
        }
        dispatcher = Dispatcher(store, build_sinks(config.alerts.sinks, environ), cooldown)
        dispatcher.deliver_pending()
        feeds = FeedSet(build_feeds(config, environ))
        return cls(store, config, feeds, dispatcher, lookback=lookback)

    def __post_init__(self) -> None:
        if self.memory_limit:
            self.store.con.execute(f"SET memory_limit = '{self.memory_limit}'")
        self.pipeline = Pipeline(self.store, self.config)
        self.rules = AlertRules(self.config, silence_s=self.silence_s)

    def cycle(self, now: datetime) -> CycleReport:
        """One step at time ``now`` (the wall clock live, scripted time in tests)."""
        tick = time.perf_counter()
        self.started = self.started or now
        report = CycleReport(now)
        clock = _Stopwatch(report.stages)
        polled = self.feeds.poll_due(now)
        clock.lap("poll")
        ids: list[int] = []
        if polled:
            results = self.store.ingest([(blob, source) for _, blob, source in polled], workers=1)
            report.responses = len(results)
            for r in results:
                report.positions += r.accepted
                report.duplicates += r.duplicates
                report.rejected += r.rejected
                if r.status == "ingested" and r.accepted and r.ingest_id is not None:
                    ids.append(r.ingest_id)
        clock.lap("ingest")
        report.aircraft = self.pipeline.process(ids, now)
        clock.lap("pipeline")
        ctx = RuleContext(
            now=now,
            since=self.started - self.lookback,
            ingest_ids=ids,
            feeds_down=self.feeds.down_for(now),
        )
        alerts = self.rules.evaluate(self.store, ctx)
        clock.lap("rules")
        report.alerts = self.dispatcher.raise_alerts(alerts, now)
        clock.lap("alerts")
        if report.alerts:
            self.last_alert = report.alerts[-1]
        self._cycles += 1
        if self.collect_every and self._cycles % self.collect_every == 0:
            gc.collect()
            clock.lap("gc")
        self._recent.append((now, report.positions))
        while self._recent and now - self._recent[0][0] > timedelta(minutes=1):
            self._recent.popleft()
        report.seconds = time.perf_counter() - tick
        return report

    def status(self) -> str:
        """The status line: feeds up, positions in the last minute, the last alert."""
        feeds = self.feeds.feeds
        up = sum(1 for f in feeds if f.status.up)
        per_min = sum(n for _, n in self._recent)
        last = (
            f"last alert {self.last_alert.time:%Y-%m-%d %H:%MZ} {self.last_alert.title}"
            if self.last_alert
            else "no alert yet"
        )
        return f"feeds {up}/{len(feeds)} up · {per_min:,} positions/min · {last}"

    def run(
        self,
        stop: threading.Event,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_cycle: Callable[[CycleReport], None] | None = None,
        tick_s: float = 1.0,
    ) -> None:
        """Cycle until ``stop`` is set, then flush: one last cycle (what streams buffered),
        pending deliveries, and the feeds closed. Nothing polled is left unstored."""
        try:
            while not stop.is_set():
                report = self.cycle(clock())
                if on_cycle:
                    on_cycle(report)
                stop.wait(max(0.0, tick_s - report.seconds))
            report = self.cycle(clock())
            if on_cycle:
                on_cycle(report)
            self.pipeline.flush()
            self.dispatcher.deliver_pending()
        finally:
            self.feeds.close()


class _Stopwatch:
    """Laps into a dict of stage → seconds."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.into[stage] = now - self.last
        self.last = now
