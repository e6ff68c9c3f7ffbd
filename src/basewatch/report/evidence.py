"""Gather an evidence report's facts from the store: the base's visits (all of them, for the
pauses; those of the period, for the rest), who flew them, the positions and files behind each,
routes, tracks and airports — into one ``Report``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from basewatch.activity import (
    ActivityAnalyzer,
    ResolvedBase,
    VisitDetector,
    resolve_base,
    visit_json,
)
from basewatch.config import Config
from basewatch.report import headline, itinerary
from basewatch.report.facts import (
    Aircraft,
    Airport,
    BaseFacts,
    Period,
    Report,
    Track,
    VisitFacts,
)
from basewatch.report.positions import VisitPositions, visit_positions
from basewatch.report.words import (
    aircraft_label,
    airport_name,
    airport_position,
    base_title,
    landing_words,
    short_airport_name,
    type_label,
)
from basewatch.store import Store

#: Colour per aircraft, in order of first arrival (Tableau 10, distinguishable when printed).
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip

_IDENTITIES = """
SELECT icao24, registration, type_code, type_desc, country, country_name, verdict, confidence
FROM aircraft_class WHERE list_contains($wanted, icao24) ORDER BY icao24
"""


@dataclass(frozen=True)
class ReportBuilder:
    """Settings of one report: the base (a name or a resolved base), the config, the period
    (open ends allowed) and the pause threshold; ``build(store)`` gathers the facts.
    ``save=False`` writes nothing: flights and classes as stored, ``visits`` left alone."""

    base: str | ResolvedBase
    config: Config
    since: datetime | None = None
    until: datetime | None = None
    analyzer: ActivityAnalyzer = field(default_factory=ActivityAnalyzer)
    save: bool = True
    resolved: ResolvedBase = field(init=False)

    def __post_init__(self) -> None:
        base = self.base
        resolved = base if isinstance(base, ResolvedBase) else resolve_base(base, self.config)
        object.__setattr__(self, "resolved", resolved)

    def build(self, store: Store) -> Report:
        """The report's facts (the base's ``visits`` rows are refreshed on the way)."""
        detector = VisitDetector(
            self.resolved, self.config, maintained=not self.save, save=self.save
        )
        rows = detector.detect(store).to_pylist()
        # seconds precision, as ``basewatch activity`` reads the visits: the same figures
        arrivals = [(r["arrival_time"].replace(microsecond=0), r["icao24"]) for r in rows]
        activity = self.analyzer.analyze(arrivals)
        inside = [r for r in rows if self._in_period(r["arrival_time"])]
        period = self._period(inside)
        aircraft = visiting_aircraft(store, inside)
        labels = {a.icao24: a.label for a in aircraft}
        wanted = [(i, "arrival", r["flight_id"]) for i, r in enumerate(inside, 1)]
        wanted += [
            (i, "departure", r["departure_flight_id"])
            for i, r in enumerate(inside, 1)
            if r["departure_flight_id"]
        ]
        b = self.resolved
        found = visit_positions(store, wanted, b.lat, b.lon)
        visits = tuple(
            visit_facts(i, r, labels, found, b, self.config) for i, r in enumerate(inside, 1)
        )
        base = base_facts(b, self.config)
        facts = headline.Facts(
            base, period, aircraft, visits, activity, self.analyzer, tuple(t for t, _ in arrivals)
        )
        return Report(
            base=base,
            period=period,
            pause_days=self.analyzer.pause_days,
            headline=headline.headline(facts),
            summary=headline.summary(facts),
            aircraft=aircraft,
            counts=headline.counts(facts),
            routes=itinerary.routes(store, aircraft, self.since, self.until, self.config),
            events=headline.events(facts),
            visits=visits,
            airports=visit_airports(b, inside, self.config),
            tracks=_tracks(found, inside, aircraft, b),
            activity=activity,
        )

    def _in_period(self, t: datetime) -> bool:
        return (self.since is None or t >= self.since) and (self.until is None or t <= self.until)

    def _period(self, rows: list[dict[str, Any]]) -> Period:
        """Open ends close on the period's first/last arrival (stay open without one)."""
        first = rows[0]["arrival_time"] if rows else None
        last = rows[-1]["arrival_time"] if rows else None
        return Period(self.since, self.until, self.since or first, self.until or last)


def base_facts(b: ResolvedBase, config: Config) -> BaseFacts:
    """The base with its display name (``Hmeimim``, ``Tartus naval base``)."""
    configured = config.base(b.name)
    if configured is not None:
        title = base_title(configured.name, configured.label)
    else:
        title = short_airport_name(b.icao, config) if b.icao else b.label
    return BaseFacts(b.name, title, b.label, b.icao, b.lat, b.lon, b.radius_km, b.watch)


def visiting_aircraft(store: Store, rows: list[dict[str, Any]]) -> tuple[Aircraft, ...]:
    """The visiting aircraft in order of first arrival, with identity and colour."""
    order = list(dict.fromkeys(r["icao24"] for r in rows))
    found = {
        r["icao24"]: r
        for r in store.con.sql(_IDENTITIES, params={"wanted": order}).to_arrow_table().to_pylist()
    }
    out = []
    for i, icao24 in enumerate(order):
        who = found.get(icao24, {})
        model = type_label(who.get("type_code"), who.get("type_desc"))
        out.append(
            Aircraft(
                icao24=icao24,
                registration=who.get("registration"),
                type=who.get("type_code"),
                type_label=model,
                label=aircraft_label(who.get("registration"), model, icao24),
                country=who.get("country"),
                country_name=who.get("country_name"),
                verdict=who.get("verdict"),
                class_confidence=who.get("confidence"),
                colour=PALETTE[i % len(PALETTE)],
            )
        )
    return tuple(out)


def visit_facts(
    number: int,
    row: dict[str, Any],
    labels: dict[str, str],
    found: VisitPositions,
    base: ResolvedBase,
    config: Config,
) -> VisitFacts:
    """One row of the evidence table: the visit as ``visits --json`` gives it, the positions
    behind it (``found``; empty for the web's list) and its numbered label."""
    record = visit_json(row)
    evidence = json.loads(row["evidence"]) if row["evidence"] else None
    at = base.icao or base.name
    return VisitFacts(
        number=number,
        icao24=row["icao24"],
        aircraft_label=labels[row["icao24"]],
        arrival_time=row["arrival_time"],
        departure_time=row["departure_time"],
        inferred=bool(row["inferred"]),
        confidence=row["confidence"],
        origin=row["origin"],
        destination=row["destination"],
        origin_name=airport_name(row["origin"], config),
        destination_name=airport_name(row["destination"], config) if row["destination"] else None,
        reasoning=landing_words(row, evidence, at),
        reasons=tuple(record["reasons"]),
        positions=found.used.get(number),
        sources=found.sources.get(number, ()),
        record=record,
    )


def visit_airports(
    b: ResolvedBase, rows: list[dict[str, Any]], config: Config
) -> tuple[Airport, ...]:
    """The base's field and every origin and next destination of the period's visits."""
    codes = {b.icao} if b.icao else set()
    codes |= {r[k] for r in rows for k in ("origin", "destination") if r[k]}
    out = []
    for icao in sorted(c for c in codes if c):
        where = airport_position(icao)
        if where is not None:
            out.append(Airport(icao, short_airport_name(icao, config), *where))
    return tuple(out)


def _tracks(
    found: VisitPositions,
    rows: list[dict[str, Any]],
    aircraft: tuple[Aircraft, ...],
    b: ResolvedBase,
) -> tuple[Track, ...]:
    colours = {a.icao24: a.colour for a in aircraft}
    out = []
    for visit, kind, flight_id, lats, lons in found.tracks:
        row = rows[visit - 1]
        gap = None
        if kind == "arrival" and row["inferred"] and row["evidence"]:
            ev = json.loads(row["evidence"])
            if ev.get("seen_lat") is not None:
                gap = (float(ev["seen_lat"]), float(ev["seen_lon"]), b.lat, b.lon)
        out.append(
            Track(
                visit=visit,
                kind=kind,
                flight_id=flight_id,
                icao24=row["icao24"],
                colour=colours[row["icao24"]],
                points=len(lats),
                lats=tuple(lats),
                lons=tuple(lons),
                dark_gap=gap,
            )
        )
    return tuple(out)
