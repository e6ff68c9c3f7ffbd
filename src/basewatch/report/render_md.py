"""The report as Markdown; the map and timeline are sibling SVG files it links relatively."""

from __future__ import annotations

from basewatch.report import sections
from basewatch.report.facts import Report


def cell(value: str) -> str:
    """A table cell: pipes escaped, no line breaks."""
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report, map_file: str, timeline_file: str) -> str:
    """Markdown text; ``map_file`` and ``timeline_file`` are the SVGs' relative names."""
    b = report.base
    out = [f"# {sections.title(report)}", "", f"**{report.headline}**", ""]
    out += [f"- {s}" for s in report.summary]
    out += ["", "## Routes", ""]
    if not report.routes:
        out.append("No visiting aircraft in the period.")
    for route in report.routes:
        out.append(f"- {route.sentence}")
        out += [f"  - {line}" for line in sections.route_lines(route)]
    circle = f"the base's {b.radius_km:g} km circle"
    out += [
        "",
        "## Map",
        "",
        f"![Map: arrival (solid) and departure (dashed) tracks of the visits, {circle}]"
        f"({map_file})",
        "",
        "## Timeline",
        "",
        f"![Timeline: one mark per visit (hollow when inferred), pauses shaded]({timeline_file})",
        "",
        "## Evidence",
        "",
    ]
    out += _evidence(report)
    out += ["", "## About this report", ""]
    out += [f"- {line}" for line in sections.about_lines(report)]
    return "\n".join(out) + "\n"


def _evidence(report: Report) -> list[str]:
    if not report.visits:
        return ["No visits in the period, so no evidence to show."]
    columns = sections.EVIDENCE_COLUMNS
    out = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    out += [
        "| " + " | ".join(cell(c) for c in sections.evidence_row(v)) + " |" for v in report.visits
    ]
    for v in report.visits:
        out += ["", f"### {sections.visit_heading(v)}", ""]
        out += [f"- **{label}**: {value}" for label, value in sections.visit_details(report, v)]
    return out
