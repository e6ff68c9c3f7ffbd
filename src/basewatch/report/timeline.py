"""The report's timeline as SVG text: one lane per aircraft, one mark per visit (filled when
observed, hollow when inferred) with its time on the ground, the pauses shaded and labelled,
resumptions marked, surges shaded, and a date axis. Deterministic output."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from basewatch.report.facts import Event, Report
from basewatch.report.svg import num, svg_open, text
from basewatch.report.words import MONTHS, clock, day

WIDTH = 820.0
GUTTER = 180.0
RIGHT = 20.0
TOP = 62.0
LANE = 24.0
AXIS = 44.0
DAY = timedelta(days=1)
#: Tick spacings tried in order: (days, months); the first giving at most ten ticks wins.
TICKS = (
    (0.25, 0),
    (0.5, 0),
    (1, 0),
    (2, 0),
    (7, 0),
    (14, 0),
    (0, 1),
    (0, 2),
    (0, 3),
    (0, 6),
    (0, 12),
)


@dataclass(frozen=True)
class Scale:
    """Time → x over the plotting width."""

    start: datetime
    end: datetime

    def x(self, t: datetime) -> float:
        span = (self.end - self.start).total_seconds()
        share = (t - self.start).total_seconds() / span
        return GUTTER + share * (WIDTH - GUTTER - RIGHT)

    def clamp(self, t: datetime) -> datetime:
        return min(max(t, self.start), self.end)


def scale_of(report: Report) -> Scale | None:
    """Whole UTC days around the period (a day either side of a single instant)."""
    p = report.period
    start, end = p.start or p.end, p.end or p.start
    if start is None or end is None:
        return None
    first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    last = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + DAY
    if last - first <= DAY:
        first, last = first - DAY, last + DAY
    return Scale(first, last)


def timeline_svg(report: Report, standalone: bool = True) -> str:
    """The timeline as an SVG document (``standalone``) or an element to inline in HTML."""
    lanes = [a.icao24 for a in report.aircraft]
    height = TOP + max(len(lanes), 1) * LANE + AXIS
    label = f"Timeline of {len(report.visits)} visits to {report.base.title}"
    out = [svg_open("timeline", WIDTH, height, label, standalone)]
    out.append(f'<rect x="0" y="0" width="{num(WIDTH)}" height="{num(height)}" fill="#fff"/>\n')
    scale = scale_of(report)
    if scale is None:
        out.append(
            f'<text x="{num(WIDTH / 2)}" y="{num(height / 2)}" text-anchor="middle" '
            f'font-size="13">No arrivals to show</text>\n</svg>\n'
        )
        return "".join(out)
    bottom = TOP + max(len(lanes), 1) * LANE
    out += [_event(e, scale, bottom) for e in report.events]
    out += _lanes(report, lanes)
    out += [_visit(report, i, scale, lanes) for i in range(len(report.visits))]
    out.append(_axis(scale, bottom))
    out.append("</svg>\n")
    return "".join(out)


def _lanes(report: Report, lanes: list[str]) -> list[str]:
    out = ['<g class="lanes" font-size="11" fill="#222">\n']
    for i, a in enumerate(report.aircraft):
        y = TOP + i * LANE + LANE / 2
        out.append(
            f'<line x1="{num(GUTTER)}" y1="{num(y)}" x2="{num(WIDTH - RIGHT)}" y2="{num(y)}" '
            f'stroke="#e3e3e3"/><circle cx="10" cy="{num(y)}" r="4" fill="{a.colour}"/>'
            f'<text x="20" y="{num(y + 4)}">{text(a.label)}</text>\n'
        )
    if not lanes:
        out.append(f'<text x="20" y="{num(TOP + LANE / 2 + 4)}">no arrivals in the period</text>\n')
    out.append("</g>\n")
    return out


def _visit(report: Report, i: int, scale: Scale, lanes: list[str]) -> str:
    v = report.visits[i]
    y = TOP + lanes.index(v.icao24) * LANE + LANE / 2
    x = scale.x(v.arrival_time)
    colour = report.colour_of(v.icao24)
    how = f"inferred, confidence {v.confidence:.2f}" if v.inferred else "observed"
    title = (
        f"Visit {v.number}: {v.aircraft_label} arrived {day(v.arrival_time)} "
        f"{clock(v.arrival_time)} from {v.origin or '?'} ({how})"
    )
    out = ""
    if v.departure_time is not None:
        x2 = scale.x(scale.clamp(v.departure_time))
        out += (
            f'<rect class="dwell" data-visit="{v.number}" x="{num(x)}" y="{num(y - 2)}" '
            f'width="{num(max(x2 - x, 0.0))}" height="4" fill="{colour}" fill-opacity="0.35"/>'
        )
    fill = "#fff" if v.inferred else colour
    kind = "inferred" if v.inferred else "observed"
    return out + (
        f'<circle class="visit {kind}" data-visit="{v.number}" cx="{num(x)}" cy="{num(y)}" '
        f'r="5.5" fill="{fill}" stroke="{colour}" stroke-width="2"><title>{text(title)}</title>'
        "</circle>\n"
    )


def _event(e: Event, scale: Scale, bottom: float) -> str:
    """A pause or surge as a shaded band, a resumption as a line; labels above the lanes."""
    if e.kind == "resumption":
        x = scale.x(scale.clamp(e.start))
        name = f"resumption {day(e.start, year=False)}"
        room = x + 7 * len(name) < WIDTH - RIGHT
        where = f'x="{num(x + 3)}"' if room else f'x="{num(x - 3)}" text-anchor="end"'
        return (
            f'<g class="resumption"><line x1="{num(x)}" y1="{num(TOP - 10)}" x2="{num(x)}" '
            f'y2="{num(bottom)}" stroke="#d62728" stroke-width="1.5"/>'
            f'<text {where} y="{num(TOP - 13)}" font-size="11" fill="#d62728">'
            f"{text(name)}</text>"
            f"<title>{text(e.sentence)}</title></g>\n"
        )
    x0, x1 = scale.x(scale.clamp(e.start)), scale.x(scale.clamp(e.end))
    colour, y = ("#9e9e9e", 14.0) if e.kind == "pause" else ("#e07b00", 31.0)
    name = f"{e.days:.0f}-day pause" if e.kind == "pause" else f"surge: {e.count} arrivals"
    if x1 - x0 >= 7 * len(name):
        label = f'<text x="{num((x0 + x1) / 2)}" y="{num(y)}" text-anchor="middle"'
    elif e.end > scale.end or x1 > WIDTH - RIGHT - 7 * len(name):
        label = f'<text x="{num(x0 - 3)}" y="{num(y)}" text-anchor="end"'
    else:  # too narrow to hold its name: the name follows it, pointing back
        name = f"◂ {name}"
        label = f'<text x="{num(x1 + 3)}" y="{num(y)}"'
    return (
        f'<g class="{e.kind}"><rect class="{e.kind}" x="{num(x0)}" y="{num(TOP - 4)}" '
        f'width="{num(max(x1 - x0, 1.0))}" height="{num(bottom - TOP + 4)}" fill="{colour}" '
        f'fill-opacity="0.22"/>{label} font-size="11" fill="#444" class="{e.kind}-label">'
        f"{text(name)}</text><title>{text(e.sentence)}</title></g>\n"
    )


def ticks(scale: Scale) -> list[tuple[datetime, str]]:
    """Axis ticks at round times (midnights, Mondays, first days of months) with labels."""
    span_days = (scale.end - scale.start) / DAY
    days, months = next(((d, m) for d, m in TICKS if span_days / (d or 30.4 * m) <= 10), TICKS[-1])
    out: list[tuple[datetime, str]] = []
    if months:
        t = scale.start.replace(day=1)
        while t <= scale.end:
            if t >= scale.start and (t.month - 1) % months == 0:
                out.append((t, f"{MONTHS[t.month - 1]} {t.year}"))
            t = (t + timedelta(days=32)).replace(day=1)
        return out
    t = scale.start
    if days == 7 or days == 14:
        t += timedelta(days=(7 - t.weekday()) % 7)  # Mondays
    step = timedelta(days=days)
    while t <= scale.end:
        out.append((t, clock(t) if t.hour else day(t, year=False)))
        t += step
    return out


def _axis(scale: Scale, bottom: float) -> str:
    out = [
        f'<g class="axis" font-size="10" fill="#333"><line x1="{num(GUTTER)}" y1="{num(bottom)}" '
        f'x2="{num(WIDTH - RIGHT)}" y2="{num(bottom)}" stroke="#333"/>\n'
    ]
    for t, label in ticks(scale):
        x = scale.x(t)
        anchor = "end" if x + 3.5 * len(label) > WIDTH else "middle"
        out.append(
            f'<line x1="{num(x)}" y1="{num(bottom)}" x2="{num(x)}" y2="{num(bottom + 5)}" '
            f'stroke="#333"/><text x="{num(x)}" y="{num(bottom + 17)}" text-anchor="{anchor}">'
            f"{text(label)}</text>\n"
        )
    first, last = scale.start, scale.end - DAY
    out.append(
        f'<text x="{num(WIDTH - RIGHT)}" y="{num(bottom + 34)}" text-anchor="end" fill="#666">'
        f"UTC, {text(day(first))} to {text(day(last))}</text></g>\n"
    )
    return "".join(out)
