"""The report's sentences, each a fact in plain words: the headline (a resumption when the period
has one, else a count of arrivals, else their absence), per-aircraft counts, and the pauses,
resumptions and surges touching the period. Nothing here reads the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from basewatch.activity import ActivityAnalyzer
from basewatch.report.facts import Aircraft, AircraftCount, BaseFacts, Event, Period, VisitFacts
from basewatch.report.words import adjective, clock, day, listing, plural, times

DAY_S = 86_400.0


@dataclass(frozen=True)
class Facts:
    """What the sentences are made from."""

    base: BaseFacts
    period: Period
    aircraft: tuple[Aircraft, ...]
    visits: tuple[VisitFacts, ...]
    activity: dict[str, list[dict[str, Any]]]
    analyzer: ActivityAnalyzer
    #: every arrival at the base (not only the period's), seconds precision, in order
    arrivals: tuple[datetime, ...]

    @property
    def kind(self) -> str:
        """The watched class in words: ``state``, ``military``, ``watched`` or nothing."""
        watch = set(self.base.watch)
        if "all" in watch:
            return ""
        if watch <= {"state", "military"}:
            return "state" if "state" in watch else "military"
        return "watched"

    def label(self, icao24: str) -> str:
        return next((a.label for a in self.aircraft if a.icao24 == icao24), icao24)

    def in_period(self, t: datetime) -> bool:
        p = self.period
        return (p.since is None or t >= p.since) and (p.until is None or t <= p.until)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        p = self.period
        return (p.since is None or end >= p.since) and (p.until is None or start <= p.until)

    def adjective_of(self, visits: list[VisitFacts]) -> str | None:
        countries = {a.icao24: a.country for a in self.aircraft}
        return adjective([countries.get(v.icao24) for v in visits])


def parse(value: str) -> datetime:
    """An ISO 8601 ``Z`` time of the activity document."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _subject(adj: str | None, kind: str, noun: str) -> str:
    words = " ".join(w for w in (adj, kind, noun) if w)
    return words[:1].upper() + words[1:]


def span(period: Period, year: bool = True) -> str:
    """``between Fri 24 Oct 2025 and Wed 29 Oct 2025``, ``since …``, ``until …`` or nothing."""
    start, end = period.start, period.end
    if start is not None and end is not None:
        if start.date() == end.date():
            return f"on {day(start, year)}"
        return f"between {day(start, year)} and {day(end, year)}"
    if start is not None:
        return f"since {day(start, year)}"
    return f"until {day(end, year)}" if end is not None else ""


def headline(f: Facts) -> str:
    """One sentence: the latest resumption in the period, else the arrivals, else none."""
    resumptions = [r for r in f.activity["resumptions"] if f.in_period(parse(r["time"]))]
    if resumptions:
        return _resumed(f, resumptions[-1])
    where = f.base.title
    if f.visits:
        who = list(dict.fromkeys(v.aircraft_label for v in f.visits))
        noun = "arrival" if len(f.visits) == 1 else "arrivals"
        words = (str(len(f.visits)), f.adjective_of(list(f.visits)), f.kind, noun)
        subject = " ".join(w for w in words if w)
        return f"{subject} at {where} {span(f.period)}, by {listing(who)}."
    kind = f"{f.kind} " if f.kind else ""
    if not f.arrivals:
        return f"No {kind}arrivals at {where} in the store."
    text = f"No {kind}arrivals at {where} {span(f.period)}"
    before = [t for t in f.arrivals if f.period.start is not None and t < f.period.start]
    after = [t for t in f.arrivals if f.period.end is not None and t > f.period.end]
    if before:
        text += f"; the last before was on {day(before[-1])}"
    if after:
        text += f"; the next came on {day(after[0])}"
    return text + "."


def _resumed(f: Facts, resumption: dict[str, Any]) -> str:
    t = parse(resumption["time"])
    later = [parse(r["time"]) for r in f.activity["resumptions"] if parse(r["time"]) > t]
    stop = min(later) if later else None
    group = [
        v
        for v in f.visits
        if v.arrival_time.replace(microsecond=0) >= t and (stop is None or v.arrival_time < stop)
    ]
    who = []
    for label in dict.fromkeys(v.aircraft_label for v in group):
        mine = [v.arrival_time for v in group if v.aircraft_label == label]
        if len(mine) > 1:  # "An-124 RA-82038 (3 arrivals, Fri 24 Oct to Wed 29 Oct)"
            label += f" ({len(mine)} arrivals, {day(mine[0], False)} to {day(mine[-1], False)})"
        who.append(label)
    subject = _subject(f.adjective_of(group), f.kind, "flights")
    return (
        f"{subject} to {f.base.title} resumed on {day(t)} after a "
        f"{resumption['after_days']:.0f}-day pause: {listing(who)}."
    )


def counts(f: Facts) -> tuple[AircraftCount, ...]:
    """Per aircraft: ``An-124 RA-82038 arrived 3 times between Fri 24 Oct and Wed 29 Oct``."""
    years = {v.arrival_time.year for v in f.visits}
    out = []
    for a in f.aircraft:
        mine = [v.arrival_time for v in f.visits if v.icao24 == a.icao24]
        first, last, n = mine[0], mine[-1], len(mine)
        year = len(years) > 1
        if n == 1:
            text = f"{a.label} arrived once, on {day(first, year)}."
        elif first.date() == last.date():
            text = f"{a.label} arrived {times(n)} on {day(first, year)}."
        else:
            text = f"{a.label} arrived {times(n)} between {day(first, year)} and {day(last, year)}."
        out.append(AircraftCount(a.icao24, a.label, n, first, last, text))
    return tuple(out)


def events(f: Facts) -> tuple[Event, ...]:
    """Pauses and surges overlapping the period and resumptions inside it, in time order."""
    kind = f"{f.kind} " if f.kind else ""
    where = f.base.title
    out: list[tuple[datetime, int, Event]] = []
    for p in f.activity["pauses"]:
        start, end = parse(p["start"]), parse(p["end"])
        if f.overlaps(start, end):
            text = (
                f"{p['days']:.0f}-day pause: after the {kind}arrival on {day(start)}, "
                f"none at {where} until {day(end)}."
            )
            out.append(
                (start, 0, Event("pause", start, end, p["days"], None, None, None, None, text))
            )
    for r in f.activity["resumptions"]:
        t = parse(r["time"])
        if f.in_period(t):
            text = (
                f"Resumption: {f.label(r['icao24'])} on {day(t)} at {clock(t)} was the first "
                f"{kind}arrival at {where} in {r['after_days']:.0f} days."
            )
            event = Event("resumption", t, t, r["after_days"], None, None, None, r["icao24"], text)
            out.append((t, 1, event))
    for s in f.activity["surges"]:
        start, end = parse(s["start"]), parse(s["end"])
        if f.overlaps(start, end):
            event = Event(
                "surge", start, end, None, s["count"], s["baseline"], s["p_value"], None,
                _surge_words(f, s, start, end),
            )  # fmt: skip
            out.append((start, 2, event))
    return tuple(e for _, _, e in sorted(out, key=lambda x: (x[0], x[1])))


def _surge_words(f: Facts, s: dict[str, Any], start: datetime, end: datetime) -> str:
    """``Surge between …: 6 state arrivals against 0.3 expected at the rate of the 90 days
    before (Poisson tail probability 1e-06); as many as 5 within 7 days``: the span's figures
    are the analysis's own, the peak is counted here."""
    a = f.analyzer
    kind = f"{f.kind} " if f.kind else ""
    inside = [t for t in f.arrivals if start <= t < end]
    window = timedelta(days=a.window_days)
    peak = max((sum(1 for u in inside if t <= u < t + window) for t in inside), default=0)
    if s["baseline"] == 0:
        against = f"none in the {a.baseline_days} days before"
    else:
        against = (
            f"{s['baseline']:g} expected at the rate of the {a.baseline_days} days before "
            f"(Poisson tail probability {s['p_value']:.2g})"
        )
    last = end - timedelta(days=1)
    when = f"on {day(start)}" if last <= start else f"between {day(start)} and {day(last)}"
    words = f"Surge {when}: {plural(s['count'], kind + 'arrival')} against {against}"
    if peak < s["count"]:
        words += f"; as many as {peak} within {a.window_days} days"
    return words + "."


#: Inferred arrivals described in the summary; the evidence table has every one.
SHOWN_DARK = 5


def summary(f: Facts) -> tuple[str, ...]:
    """The sentences under the headline: how arrivals were seen, per-aircraft counts, events,
    and a pause still running at the end of the period."""
    out: list[str] = []
    if f.visits:
        seen = sum(1 for v in f.visits if not v.inferred)
        dark = [v for v in f.visits if v.inferred]
        text = f"{plural(seen, 'arrival')} observed, {len(dark) or 'none'} inferred"
        if dark:
            shown = "; ".join(_dark_words(v) for v in dark[:SHOWN_DARK])
            more = len(dark) - SHOWN_DARK
            text += f" ({shown}; {more} more in the evidence table)" if more > 0 else f" ({shown})"
        out.append(text + ".")
    out += [c.sentence for c in counts(f)]
    out += [e.sentence for e in events(f)]
    ongoing = _ongoing(f)
    if ongoing:
        out.append(ongoing)
    return tuple(out)


def _dark_words(v: VisitFacts) -> str:
    """``Il-76MD RF-78820 on Mon 27 Oct: went dark on the approach, confidence 0.85``."""
    how = v.record.get("how")
    what = "went dark on the approach" if how == "landing at the field" else "track ended low"
    conf = f", confidence {v.confidence:.2f}" if v.confidence is not None else ""
    return f"{v.aircraft_label} on {day(v.arrival_time, year=False)}: {what}{conf}"


def _ongoing(f: Facts) -> str | None:
    """``No state arrival at Hmeimim since …`` when the period ends inside a pause."""
    until = f.period.until
    before = [t for t in f.arrivals if until is not None and t <= until]
    if until is None or not before:
        return None
    gap = (until - before[-1]).total_seconds() / DAY_S
    if gap <= f.analyzer.pause_days:
        return None
    kind = f"{f.kind} " if f.kind else ""
    return (
        f"No {kind}arrival at {f.base.title} since {day(before[-1])}: "
        f"{gap:.0f} days by {day(until)}."
    )
