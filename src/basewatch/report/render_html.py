"""The report as one self-contained HTML file: inline CSS and inline SVG, no script, no external
URL, so it opens offline and can be published as it is."""

from __future__ import annotations

from html import escape

from basewatch.report import sections
from basewatch.report.facts import Report
from basewatch.report.svgmap import map_svg
from basewatch.report.timeline import timeline_svg

CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1d1d1d;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.5em; margin-bottom: 0.3em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1em; margin-bottom: 0.2em; }
p.headline { font-size: 1.25em; font-weight: bold; }
figure { margin: 1em 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #ccc; }
figcaption { font-size: 0.85em; color: #555; }
table.evidence { border-collapse: collapse; font-size: 0.82em; width: 100%; }
table.evidence th, table.evidence td { border: 1px solid #ccc; padding: 0.3em 0.45em;
       vertical-align: top; text-align: left; }
table.evidence th { background: #f2f2f2; }
td.sources { word-break: break-all; font-family: "DejaVu Sans Mono", monospace; }
dl.visit dt { font-weight: bold; }
dl.visit dd { margin: 0 0 0.4em 1.5em; }
ul.legs { font-size: 0.9em; color: #333; }
footer { margin-top: 2em; font-size: 0.85em; color: #555; }
"""


def render_html(report: Report) -> str:
    """The whole HTML document."""
    title = sections.title(report)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="headline">{escape(report.headline)}</p>',
        '<ul class="summary">',
        *(f"<li>{escape(s)}</li>" for s in report.summary),
        "</ul>",
        *_routes(report),
        "<h2>Map</h2>",
        "<figure>",
        map_svg(report, standalone=False).rstrip("\n"),
        "<figcaption>Arrival flights solid, departures dashed, the dark stretch of an inferred "
        f"arrival dotted; the circle is the base's {report.base.radius_km:g} km radius."
        "</figcaption>",
        "</figure>",
        "<h2>Timeline</h2>",
        "<figure>",
        timeline_svg(report, standalone=False).rstrip("\n"),
        "<figcaption>One mark per visit: filled when observed, hollow when inferred; the bar is "
        "the time on the ground; pauses shaded grey, surges orange.</figcaption>",
        "</figure>",
        "<h2>Evidence</h2>",
        *_evidence(report),
        "<footer>",
        "<h2>About this report</h2>",
        "<ul>",
        *(f"<li>{escape(line)}</li>" for line in sections.about_lines(report)),
        "</ul>",
        "</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"


def _routes(report: Report) -> list[str]:
    out = ["<h2>Routes</h2>"]
    if not report.routes:
        return [*out, "<p>No visiting aircraft in the period.</p>"]
    out.append('<ul class="routes">')
    for route in report.routes:
        legs = "".join(f"<li>{escape(line)}</li>" for line in sections.route_lines(route))
        out.append(f'<li>{escape(route.sentence)}<ul class="legs">{legs}</ul></li>')
    out.append("</ul>")
    return out


def _evidence(report: Report) -> list[str]:
    if not report.visits:
        return ["<p>No visits in the period, so no evidence to show.</p>"]
    head = "".join(f"<th>{escape(c)}</th>" for c in sections.EVIDENCE_COLUMNS)
    out = ['<table class="evidence">', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for v in report.visits:
        cells = sections.evidence_row(v)
        tds = "".join(f"<td>{escape(c)}</td>" for c in cells[:-1])
        out.append(
            f'<tr id="visit-{v.number}" class="visit">{tds}'
            f'<td class="sources">{escape(cells[-1])}</td></tr>'
        )
    out += ["</tbody>", "</table>"]
    for v in report.visits:
        out.append(f"<h3>{escape(sections.visit_heading(v))}</h3>")
        out.append('<dl class="visit">')
        for label, value in sections.visit_details(report, v):
            out.append(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>")
        out.append("</dl>")
    return out
