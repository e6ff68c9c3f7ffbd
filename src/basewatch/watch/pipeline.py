"""The incremental pipeline behind ``watch``: new ingests → touched aircraft re-classified,
their recent flights recomputed, the watched bases' visits refreshed; equal to a batch run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from basewatch.activity import VisitDetector, resolve_base
from basewatch.config import Config
from basewatch.flights.endpoints import MACROS
from basewatch.flights.incremental import FlightUpdater
from basewatch.identify.classify import Classifier
from basewatch.store import Store

#: Rule kinds that read a base's visits.
VISIT_RULES = ("arrival", "departure", "pause", "resumption", "surge")


@dataclass
class Pipeline:
    """Keeps aircraft_class, flights and visits current as ingests arrive."""

    store: Store
    config: Config
    updater: FlightUpdater = field(default_factory=FlightUpdater)

    def __post_init__(self) -> None:
        self.classifier = Classifier.from_config(self.config)

    def bases(self) -> list[str]:
        """The bases whose visits the alert rules read (all configured bases if none)."""
        named = [r.base for r in self.config.alerts.rules if r.on in VISIT_RULES and r.base]
        return sorted(set(named)) if named else [b.name for b in self.config.bases]

    def process(self, ingest_ids: Sequence[int]) -> int:
        """Bring everything up to date after these ingests; returns the aircraft touched."""
        con = self.store.con
        con.execute(MACROS)
        touched: pa.Table = con.sql(
            "SELECT icao24, min(time) AS since FROM positions "
            "WHERE ingest_id IN (SELECT unnest($ids::BIGINT[])) GROUP BY icao24",
            params={"ids": list(ingest_ids)},
        ).to_arrow_table()
        if touched.num_rows:
            self.classifier.update(self.store, touched.column("icao24").to_pylist())
            self.updater.update(self.store, touched)
        self.refresh_visits()
        return int(touched.num_rows)

    def refresh_visits(self) -> None:
        """Recompute the visits of every base the rules watch."""
        for name in self.bases():
            base = resolve_base(name, self.config)
            VisitDetector(base, self.config, flights=self.updater.builder).detect(self.store)
