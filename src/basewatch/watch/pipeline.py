"""The incremental pipeline behind ``watch``: new ingests → touched aircraft re-classified,
their recent flights recomputed, the watched bases' visits refreshed; equal to a batch run.

Aircraft near a watched base are brought up to date every ``near_every_s`` (10 s: arrivals
cannot wait long); the others are remembered and caught up once they have waited ``catchup_s``,
at most ``catchup_batch`` a cycle, and on ``flush`` (a global feed brings thousands of cruising
aircraft a second, none of them about to land at a base). Visits are recomputed when flights
changed. ``counts`` says how many aircraft updates were extensions and how many recomputes.

An aircraft still on its last flight has the new positions appended to it from a short window
(``FlightUpdater.extend``): the cost no longer grows with the flight's length. Such a flight may
differ from a batch build in the last bits of ``path_km``, so it is recomputed whole on
``flush`` and the build stays "incomplete" until then.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb
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
    catchup_s: float = 120.0
    catchup_batch: int = 400
    #: aircraft recomputed per step of ``flush`` (each step re-reads their whole flights)
    flush_batch: int = 2_000
    near_every_s: float = 10.0
    near_km: float = NEAR_KM
    #: append to still-running flights from a short window instead of re-reading them
    extend: bool = True

    def __post_init__(self) -> None:
        self.classifier = Classifier.from_config(self.config)
        self.watched = [resolve_base(name, self.config) for name in self.bases()]
        self._near: set[str] = set()
        self._near_at: datetime | None = None
        self._changed = True
        self._started = False
        self.counts = {"extended": 0, "recomputed": 0}

    def start(self) -> None:
        """Bring the stored flights and classes up to date with what the store holds (a
        previous run may have stopped with aircraft not caught up)."""
        self.updater.builder.ensure(self.store)
        self.classifier.ensure(self.store)
        self.store.con.execute(
            "CREATE OR REPLACE TEMP TABLE bw_calls (icao24 VARCHAR, callsign VARCHAR);"
            "CREATE OR REPLACE TEMP TABLE bw_dirty (icao24 VARCHAR, since TIMESTAMPTZ);"
            # aircraft whose last flight was extended (from its start, for the exact recompute)
            "CREATE OR REPLACE TEMP TABLE bw_inexact (icao24 VARCHAR, since TIMESTAMPTZ)"
        )
        self._started = True

    def bases(self) -> list[str]:
        """The bases whose visits the alert rules read (all configured bases if none)."""
        named = [r.base for r in self.config.alerts.rules if r.on in VISIT_RULES and r.base]
        return sorted(set(named)) if named else [b.name for b in self.config.bases]

    def process(self, ingest_ids: Sequence[int], now: datetime) -> int:
        """Bring what alerts need up to date after these ingests; returns the aircraft touched.

        The bookkeeping (callsigns seen, aircraft waiting for their flights) lives in temp
        tables of the store's connection: a global snapshot touches ten thousand aircraft."""
        if not self._started:
            self.start()
        con = self.store.con
        con.execute(MACROS)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE bw_cycle AS SELECT icao24, "
            "coalesce(callsign, '') AS callsign, min(time) AS since, "
            f"bool_or({self._near_sql()}) AS near FROM positions "
            "WHERE ingest_id IN (SELECT unnest($ids::BIGINT[])) GROUP BY ALL",
            {"ids": list(ingest_ids)},
        )
        new = con.execute(
            "SELECT DISTINCT icao24 FROM bw_cycle ANTI JOIN bw_calls USING (icao24, callsign)"
        ).fetchall()
        if new:
            self.classifier.update(self.store, sorted(r[0] for r in new))
            con.execute(
                "INSERT INTO bw_calls SELECT DISTINCT icao24, callsign FROM bw_cycle "
                "ANTI JOIN bw_calls USING (icao24, callsign)"
            )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE bw_dirty AS SELECT icao24, min(since) AS since FROM "
            "(FROM bw_dirty UNION ALL SELECT icao24, since FROM bw_cycle) GROUP BY icao24"
        )
        self._near |= {
            r[0] for r in con.execute("SELECT DISTINCT icao24 FROM bw_cycle WHERE near").fetchall()
        }
        touched = con.execute("SELECT count(DISTINCT icao24) FROM bw_cycle").fetchall()[0][0]
        self._near_at = self._near_at or now
        terms: list[str] = []
        params: dict[str, object] = {}
        if self._near and now - self._near_at >= timedelta(seconds=self.near_every_s):
            terms.append("icao24 IN (SELECT unnest($near::VARCHAR[]))")
            params["near"] = sorted(self._near)
            self._near, self._near_at = set(), None
        # catching up: those waiting longest (over catchup_s), a bounded batch per cycle, so the
        # work spreads over cycles instead of arriving all at once
        terms.append(
            "icao24 IN (SELECT icao24 FROM bw_dirty WHERE since <= $due "
            "ORDER BY since, icao24 LIMIT $batch)"
        )
        params.update(due=now - timedelta(seconds=self.catchup_s), batch=self.catchup_batch)
        self._update(" OR ".join(terms), params)
        if self._changed:
            self.refresh_visits()
        return int(touched)

    def flush(self) -> None:
        """Bring every aircraft's flights up to date (then they equal a batch build): those
        waiting, and the extended flights recomputed whole."""
        if not self._started:
            self.start()
        con = self.store.con
        con.execute("INSERT INTO bw_dirty SELECT * FROM bw_inexact; DELETE FROM bw_inexact")
        # in steps of whole aircraft: one read of every position at once would hold them all
        while con.execute("SELECT count(*) FROM bw_dirty").fetchall()[0][0]:
            self._update(
                "icao24 IN (SELECT icao24 FROM bw_dirty ORDER BY icao24 LIMIT $batch)",
                {"batch": self.flush_batch},
                extend=False,
            )

    def refresh_visits(self) -> None:
        """Recompute the visits of every base the rules watch."""
        for base in self.watched:
            VisitDetector(base, self.config, flights=self.updater.builder, maintained=True).detect(
                self.store
            )
        self._changed = False

    def _update(self, where: str, params: dict[str, object], extend: bool = True) -> None:
        """Bring up to date the flights of the waiting aircraft that ``where`` selects:
        extended where they only continue, else recomputed."""
        con = self.store.con
        touched = con.sql(
            f"SELECT icao24, min(since) AS since FROM bw_dirty WHERE {where} GROUP BY icao24",
            params=params,
        ).to_arrow_table()
        if not touched.num_rows:
            return
        self._changed = True
        with _registered(con, "bw_updating", touched):
            con.execute("DELETE FROM bw_dirty WHERE icao24 IN (SELECT icao24 FROM bw_updating)")
        rest = touched
        if extend and self.extend:
            extended, rest = self.updater.extend(self.store, touched)
            self.counts["extended"] += extended.num_rows
            if extended.num_rows:
                with _registered(con, "bw_extended", extended.select(["icao24", "start_time"])):
                    con.execute(
                        "INSERT INTO bw_inexact SELECT * FROM bw_extended "
                        "ANTI JOIN bw_inexact USING (icao24)"
                    )
        if not rest.num_rows:
            return
        with _registered(con, "bw_updating", rest):  # recomputed whole: exact again
            con.execute("DELETE FROM bw_inexact WHERE icao24 IN (SELECT icao24 FROM bw_updating)")
        left = con.execute(
            "SELECT (SELECT count(*) FROM bw_dirty) + (SELECT count(*) FROM bw_inexact)"
        ).fetchall()[0][0]
        self.counts["recomputed"] += rest.num_rows
        self.updater.update(self.store, rest, complete=left == 0)

    def _near_sql(self) -> str:
        terms = [
            f"bw_hav_km(lat, lon, {b.lat!r}, {b.lon!r}) <= {b.radius_km + self.near_km!r}"
            for b in self.watched
            if b.lat is not None and b.lon is not None
        ]
        return " OR ".join(terms) or "FALSE"


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """``table`` visible to ``con``'s SQL as ``name`` for the block."""
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)
