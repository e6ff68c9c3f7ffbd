"""Show the evidence: the evidence report (Markdown, HTML, JSON with a map and a timeline) and
exports of flights and visits (GeoJSON, KML, CSV, Parquet); never imports later stages."""

from basewatch.report.evidence import ReportBuilder
from basewatch.report.exports import EXPORT_FORMATS, export_flights, export_visits
from basewatch.report.facts import Report, report_document
from basewatch.report.render import REPORT_FORMATS, render

__all__ = [
    "EXPORT_FORMATS",
    "REPORT_FORMATS",
    "Report",
    "ReportBuilder",
    "export_flights",
    "export_visits",
    "render",
    "report_document",
]
