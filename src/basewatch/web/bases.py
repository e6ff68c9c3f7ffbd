"""A base's page: its visits with the report's own sentences (headline, counts, pauses,
resumptions, surges) and timeline, built from the stored flights without reading positions —
the positions behind a visit are fetched when it is opened (``evidence.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from basewatch.activity import ActivityAnalyzer, ResolvedBase, visit_json
from basewatch.config import Config
from basewatch.report import headline, sections
from basewatch.report.evidence import base_facts, visit_airports, visit_facts, visiting_aircraft
from basewatch.report.facts import Period, Report, jsonable
from basewatch.report.positions import VisitPositions
from basewatch.report.svg import FONT
from basewatch.report.timeline import timeline_svg
from basewatch.store import Store
from basewatch.web.context import Context
from basewatch.web.params import iso

NO_POSITIONS = VisitPositions(used={}, sources={}, tracks=[])


def light_report(
    store: Store,
    base: ResolvedBase,
    config: Config,
    rows: list[dict[str, Any]],
    since: datetime | None,
    until: datetime | None,
) -> Report:
    """The report of ``ReportBuilder.build`` without what needs positions (per-visit positions
    and sources, tracks) or routes: the same headline, sentences, events and timeline."""
    analyzer = ActivityAnalyzer()
    arrivals = [(r["arrival_time"].replace(microsecond=0), r["icao24"]) for r in rows]
    activity = analyzer.analyze(arrivals)
    inside = [
        r
        for r in rows
        if (since is None or r["arrival_time"] >= since)
        and (until is None or r["arrival_time"] <= until)
    ]
    first = inside[0]["arrival_time"] if inside else None
    last = inside[-1]["arrival_time"] if inside else None
    period = Period(since, until, since or first, until or last)
    aircraft = visiting_aircraft(store, inside) if inside else ()  # no classes needed for no visit
    labels = {a.icao24: a.label for a in aircraft}
    visits = tuple(
        visit_facts(i, r, labels, NO_POSITIONS, base, config) for i, r in enumerate(inside, 1)
    )
    facts = headline.Facts(
        base_facts(base, config), period, aircraft, visits, activity, analyzer,
        tuple(t for t, _ in arrivals),
    )  # fmt: skip
    return Report(
        base=facts.base,
        period=period,
        pause_days=analyzer.pause_days,
        headline=headline.headline(facts),
        summary=headline.summary(facts),
        aircraft=aircraft,
        counts=headline.counts(facts),
        routes=(),
        events=headline.events(facts),
        visits=visits,
        airports=visit_airports(base, inside, config),
        tracks=(),
        activity=activity,
    )


def base_doc(
    ctx: Context, store: Store, name: str, since: datetime | None, until: datetime | None
) -> tuple[dict[str, Any], Report]:
    """The base page's JSON document and the light report behind it."""
    base = ctx.base(name)
    rows = ctx.visit_rows(store, base)
    report = light_report(store, base, ctx.config, rows, since, until)
    by_flight = {r["flight_id"]: r for r in rows}
    query = urlencode({k: iso(v) for k, v in (("since", since), ("until", until)) if v})
    suffix = f"?{query}" if query else ""
    notes, _ = ctx.status(store)
    doc = {
        "base": jsonable(report.base),
        "title": sections.title(report),
        "period": jsonable(report.period),
        "headline": report.headline,
        "summary": list(report.summary),
        "events": jsonable(report.events),
        "counts": jsonable(report.counts),
        "aircraft": jsonable(report.aircraft),
        "activity": report.activity,
        "pause_days": report.pause_days,
        "visits": [
            _visit_item(base, v.number, by_flight[v.record["flight_id"]], report)
            for v in report.visits
        ],
        "airports": jsonable(report.airports),
        "notes": notes,
        "downloads": {
            fmt: f"/bases/{base.name}/report.{fmt}{suffix}" for fmt in ("html", "json", "md")
        },
    }
    return doc, report


def _visit_item(
    base: ResolvedBase, number: int, row: dict[str, Any], report: Report
) -> dict[str, Any]:
    """One row of the visit table: the ``visits --json`` record, its number, words and links."""
    v = report.visits[number - 1]
    return {
        "number": number,
        **visit_json(row),
        "aircraft_label": v.aircraft_label,
        "colour": report.colour_of(v.icao24),
        "origin_name": v.origin_name,
        "destination_name": v.destination_name,
        "reasoning": v.reasoning,
        "arrival_lat": row["arrival_lat"],
        "arrival_lon": row["arrival_lon"],
        "evidence_url": f"/api/bases/{base.name}/visits/{row['flight_id']}",
    }


def timeline_html(report: Report) -> str:
    """The report's timeline as an element to inline (its font comes from the page's CSS: the
    page's content security policy allows no inline style)."""
    return timeline_svg(report, standalone=False).replace(f' style="{FONT}"', "", 1)
