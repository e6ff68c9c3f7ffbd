"""Show the evidence: exports of flights and visits (GeoJSON, KML, CSV, Parquet) that maps and
Google Earth open, built from the stored tables; never imports later stages."""

from basewatch.report.exports import EXPORT_FORMATS, export_flights, export_visits

__all__ = ["EXPORT_FORMATS", "export_flights", "export_visits"]
