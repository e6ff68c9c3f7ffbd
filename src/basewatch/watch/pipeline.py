"""The incremental pipeline behind ``watch``: new ingests → touched aircraft re-classified,
their recent flights recomputed, the watched bases' visits refreshed; equal to a batch run.

Aircraft near a watched base are brought up to date every cycle (arrivals cannot wait); the
others are remembered and caught up every ``catchup_s`` and on ``flush`` (a global feed brings
thousands of cruising aircraft a second, and none of them is about to land at a base).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyarrow as pa

from basewatch.activity import VisitDetector, resolve_base
from basewatch.config import Config
from basewatch.flights.endpoints import MACROS
from basewatch.flights.incremental import FlightUpdater
from basewatch.identify.classify import Classifier
from basewatch.store import Store

#: Rule kinds that read a base's visits.
VISIT_RULES = ("arrival", "departure", "pause", "resumption", "surge")
#: Beyond a base's radius, how far an aircraft's flights matter to its visits (the landing
#: search radius of the flights stage, and margin).
NEAR_KM = 150.0


@dataclass
class Pipeline:
    """Keeps aircraft_class, flights and visits current as ingests arrive."""

    store: Store
    config: Config
    updater: FlightUpdater = field(default_factory=FlightUpdater)
    catchup_s: float = 600.0
    near_km: float = NEAR_KM

    def __post_init__(self) -> None:
        self.classifier = Classifier.from_config(self.config)
        self.watched = [resolve_base(name, self.config) for name in self.bases()]
        self._calls: set[tuple[str, str | None]] = set()
        self._dirty: dict[str, datetime] = {}
        self._caught_up: datetime | None = None
        self._started = False

    def start(self) -> None:
        """Bring the stored flights and classes up to date with what the store holds (a
        previous run may have stopped with aircraft not caught up)."""
        self.updater.builder.ensure(self.store)
        self.classifier.ensure(self.store)
        self._started = True

    def bases(self) -> list[str]:
        """The bases whose visits the alert rules read (all configured bases if none)."""
        named = [r.base for r in self.config.alerts.rules if r.on in VISIT_RULES and r.base]
        return sorted(set(named)) if named else [b.name for b in self.config.bases]

    def process(self, ingest_ids: Sequence[int], now: datetime) -> int:
        """Bring what alerts need up to date after these ingests; returns the aircraft touched."""
        if not self._started:
            self.start()
        con = self.store.con
        con.execute(MACROS)
        seen: pa.Table = con.sql(
            "SELECT icao24, callsign, min(time) AS since, "
            f"bool_or({self._near_sql()}) AS near FROM positions "
            "WHERE ingest_id IN (SELECT unnest($ids::BIGINT[])) GROUP BY icao24, callsign",
            params={"ids": list(ingest_ids)},
        ).to_arrow_table()
        rows = seen.to_pylist()
        self._classify(rows)
        for r in rows:
            if r["icao24"] not in self._dirty or r["since"] < self._dirty[r["icao24"]]:
                self._dirty[r["icao24"]] = r["since"]
        near = {r["icao24"] for r in rows if r["near"]}
        self._caught_up = self._caught_up or now
        if now - self._caught_up >= timedelta(seconds=self.catchup_s):
            self.flush()
        else:
            self._update(near)
        self.refresh_visits()
        return len({r["icao24"] for r in rows})

    def flush(self) -> None:
        """Bring every aircraft's flights up to date (then they equal a batch build)."""
        self._update(set(self._dirty))
        self._caught_up = None

    def refresh_visits(self) -> None:
        """Recompute the visits of every base the rules watch."""
        for base in self.watched:
            VisitDetector(base, self.config, flights=self.updater.builder, maintained=True).detect(
                self.store
            )

    def _update(self, icao24s: set[str]) -> None:
        if not icao24s:
            return
        touched = pa.table(
            {
                "icao24": pa.array(sorted(icao24s), pa.string()),
                "since": pa.array(
                    [self._dirty[i] for i in sorted(icao24s)], pa.timestamp("us", tz="UTC")
                ),
            }
        )
        for icao in icao24s:
            del self._dirty[icao]
        self.updater.update(self.store, touched, complete=not self._dirty)

    def _classify(self, rows: list[dict[str, object]]) -> None:
        """Re-classify addresses with a callsign not seen before (an address's verdict depends
        only on its records and callsigns)."""
        new = {(str(r["icao24"]), r["callsign"]) for r in rows} - self._calls
        if new:
            self.classifier.update(self.store, sorted({icao for icao, _ in new}))
            self._calls |= new  # type: ignore[arg-type]

    def _near_sql(self) -> str:
        terms = [
            f"bw_hav_km(lat, lon, {b.lat!r}, {b.lon!r}) <= {b.radius_km + self.near_km!r}"
            for b in self.watched
            if b.lat is not None and b.lon is not None
        ]
        return " OR ".join(terms) or "FALSE"
