"""The report's text pieces shared by the Markdown and HTML renderers (plain strings, escaped by
each renderer): the title, route legs, the evidence table's rows, each visit's details, and
the notes on base, period and method."""

from __future__ import annotations

from pathlib import PurePath

from basewatch.report.facts import Leg, Report, Route, VisitFacts
from basewatch.report.headline import span
from basewatch.report.itinerary import SHOWN_LEGS
from basewatch.report.words import clock, day, duration, plural

EVIDENCE_COLUMNS = (
    "#",
    "Arrival (UTC)",
    "Aircraft",
    "From",
    "Then to",
    "Observed / inferred",
    "Positions used",
    "Closest approach",
    "Data sources (sha256)",
)
SOURCE_NAMES = {
    "adsb": "ADS-B",
    "mlat": "MLAT",
    "tisb": "TIS-B",
    "adsr": "ADS-R",
    "modes": "Mode S",
}


def title(report: Report) -> str:
    """``Hmeimim (OSLK): state arrivals between … and …``."""
    b = report.base
    name = f"{b.title} ({b.icao})" if b.icao else b.title
    watched = " or ".join(b.watch)
    when = span(report.period)
    return f"{name}: {watched} arrivals {when}".rstrip()


def leg_line(leg: Leg) -> str:
    """``Mon 27 Oct: Benina (HLLB) 06:02Z → Hmeimim (OSLK) 08:45Z (landing inferred)``."""
    off = leg.takeoff_time or leg.first_seen
    on = leg.landing_time or leg.last_seen
    note = " (landing inferred)" if leg.landing_inferred else ""
    return (
        f"{day(off, year=False)}: {leg.origin_name} {clock(off)} → "
        f"{leg.destination_name} {clock(on)}{note}"
    )


def route_lines(route: Route) -> list[str]:
    """One line per leg, the latest ``SHOWN_LEGS`` of them."""
    return [leg_line(leg) for leg in route.legs[-SHOWN_LEGS:]]


def sources_text(v: VisitFacts, full: bool = True) -> str:
    """``trace_full_154076.json (readsb_trace, sha256 ab12…)`` per file, ``; ``-separated."""
    return "; ".join(
        f"{PurePath(s.path).name} ({s.format}, sha256 {s.sha256 if full else s.sha256[:12]})"
        for s in v.sources
    )


def positions_text(v: VisitFacts) -> str:
    """``812 positions, 08:10:03Z–10:14:55Z (ADS-B 800, MLAT 12)``."""
    p = v.positions
    if p is None:
        return "none (every position of the flight was set aside)"
    kinds = ", ".join(f"{SOURCE_NAMES.get(k, k)} {n}" for k, n in p.by_source.items())
    text = (
        f"{plural(p.count, 'position')}, {p.first_seen.strftime('%H:%M:%SZ')}–"
        f"{p.last_seen.strftime('%H:%M:%SZ')} ({kinds})"
    )
    if p.set_aside:
        reasons = ", ".join(f"{n} {reason}" for reason, n in p.set_aside.items())
        text += f"; set aside, not used: {reasons}"
    return text


def how_text(v: VisitFacts) -> str:
    if v.inferred:
        conf = f" ({v.confidence:.2f})" if v.confidence is not None else ""
        return f"inferred{conf}"
    return "observed"


def evidence_row(v: VisitFacts) -> list[str]:
    """One row of the evidence table, cells in ``EVIDENCE_COLUMNS`` order."""
    closest = f"{v.positions.closest_km:.2f} km" if v.positions else "?"
    return [
        str(v.number),
        v.arrival_time.strftime("%Y-%m-%d %H:%MZ"),
        v.aircraft_label,
        v.origin_name,
        v.destination_name or "",
        how_text(v),
        positions_text(v),
        closest,
        sources_text(v),
    ]


def visit_heading(v: VisitFacts) -> str:
    return f"Visit {v.number}: {v.aircraft_label}, {day(v.arrival_time)} {clock(v.arrival_time)}"


def visit_details(report: Report, v: VisitFacts) -> list[tuple[str, str]]:
    """(label, text) pairs: the arrival's reasoning, positions, sources, stay, classification."""
    rec = v.record
    out = [("Arrival", v.reasoning)]
    if v.positions is not None:
        p = v.positions
        out.append(
            (
                "Positions used",
                f"{positions_text(v)}, first seen {p.first_seen.strftime('%Y-%m-%d %H:%M:%SZ')}, "
                f"closest approach {p.closest_km:.2f} km from the base; flight {rec['flight_id']}",
            )
        )
    for s in v.sources:
        out.append(
            ("Data source", f"{s.path} ({s.format}), sha256 {s.sha256}: "
             f"{plural(s.positions, 'position')}")
        )  # fmt: skip
    if v.departure_time is not None:
        stay = duration((v.departure_time - v.arrival_time).total_seconds())
        out.append(
            (
                "Departure",
                f"{day(v.departure_time)} {clock(v.departure_time)} after {stay} on the ground, "
                f"to {v.destination_name or '?'}; flight {rec['departure_flight_id']}",
            )
        )
    who = next(a for a in report.aircraft if a.icao24 == v.icao24)
    verdict = who.verdict or "unknown"
    if who.class_confidence is not None:
        verdict += f" (confidence {who.class_confidence:.2f})"
    if who.country_name:
        verdict += f", {who.country_name}"
    out.append(("Classification", "; ".join([verdict, *v.reasons])))
    return out


def about_lines(report: Report) -> list[str]:
    """What the report rests on: base, period, thresholds, data, basemap."""
    b = report.base
    where = f"{b.lat:.4f}°, {b.lon:.4f}°"
    period = span(report.period) or "all the data"
    return [
        f"Base: {b.title}{f' ({b.icao})' if b.icao else ''} at {where}, radius {b.radius_km:g} km; "
        f"watched: {', '.join(b.watch)}.",
        f"Period: {period} (UTC); {plural(len(report.visits), 'visit')} in it.",
        f"Pauses are gaps of more than {report.pause_days:g} days between arrivals, computed over "
        "every arrival of the base in the store, before the period too.",
        "Positions set aside by the flights stage (impossible jumps, repeats) are not counted.",
        "Basemap: Natural Earth 1:50m (public domain) via world-atlas 2.0.2; borders are de facto "
        "lines and imply nothing about sovereignty.",
    ]
