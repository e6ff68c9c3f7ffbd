"""The facts of an evidence report as frozen dataclasses, and their one JSON-able document.

Every renderer (Markdown, HTML, JSON) reads a ``Report`` and nothing else, so the three formats
state the same facts. Times are UTC; in JSON they are ISO 8601 with ``Z``; keys are snake_case.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from basewatch.report.words import iso

#: Field metadata for data the renderers draw but the JSON document leaves out (coordinates).
NOT_IN_JSON = {"json": False}


@dataclass(frozen=True)
class BaseFacts:
    """The watched base: where it is, how far it reaches, what is watched there."""

    name: str
    title: str
    label: str
    icao: str | None
    lat: float
    lon: float
    radius_km: float
    watch: tuple[str, ...]


@dataclass(frozen=True)
class Period:
    """The report's window: as asked (``since``/``until``, may be open) and as shown."""

    since: datetime | None
    until: datetime | None
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class Aircraft:
    """One visiting aircraft's identity and classification."""

    icao24: str
    registration: str | None
    type: str | None
    type_label: str | None
    label: str
    country: str | None
    country_name: str | None
    verdict: str | None
    class_confidence: float | None
    colour: str


@dataclass(frozen=True)
class DataSource:
    """A file or feed (row of ``ingests``) that holds positions a visit rests on."""

    ingest_id: int
    path: str
    format: str
    sha256: str
    positions: int


@dataclass(frozen=True)
class PositionsUsed:
    """The arrival flight's positions (those set aside excluded)."""

    first_seen: datetime
    last_seen: datetime
    count: int
    closest_km: float
    by_source: dict[str, int]
    #: positions of the flight's time span set aside by the flights stage, by reason
    set_aside: dict[str, int]


@dataclass(frozen=True)
class VisitFacts:
    """One arrival in the period with the evidence behind it; ``record`` is its
    ``basewatch visits --json`` object."""

    number: int
    icao24: str
    aircraft_label: str
    arrival_time: datetime
    departure_time: datetime | None
    inferred: bool
    confidence: float | None
    origin: str | None
    destination: str | None
    origin_name: str
    destination_name: str | None
    reasoning: str
    reasons: tuple[str, ...]
    positions: PositionsUsed | None
    sources: tuple[DataSource, ...]
    record: dict[str, Any]


@dataclass(frozen=True)
class AircraftCount:
    """How often one aircraft arrived in the period, and the sentence saying so."""

    icao24: str
    label: str
    arrivals: int
    first_arrival: datetime
    last_arrival: datetime
    sentence: str


@dataclass(frozen=True)
class Leg:
    """One flight of a route: from, to, and when."""

    flight_id: str
    origin: str | None
    destination: str | None
    origin_name: str
    destination_name: str
    takeoff_time: datetime | None
    landing_time: datetime | None
    first_seen: datetime
    last_seen: datetime
    landing_inferred: bool | None


@dataclass(frozen=True)
class Route:
    """A visiting aircraft's flights over the period, chained (``…`` where a leg is unseen)."""

    icao24: str
    label: str
    legs: tuple[Leg, ...]
    route: str
    sentence: str


@dataclass(frozen=True)
class Event:
    """A pause, resumption or surge touching the period, with its sentence."""

    kind: str
    start: datetime
    end: datetime
    days: float | None
    count: int | None
    baseline: float | None
    p_value: float | None
    icao24: str | None
    sentence: str


@dataclass(frozen=True)
class Airport:
    """A field on the map."""

    icao: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Track:
    """The positions of a visit's arrival (or departure) flight, for the map."""

    visit: int
    kind: str
    flight_id: str
    icao24: str
    colour: str
    points: int
    lats: tuple[float, ...] = field(metadata=NOT_IN_JSON)
    lons: tuple[float, ...] = field(metadata=NOT_IN_JSON)
    #: where an inferred arrival was last seen and the field it went dark heading for
    dark_gap: tuple[float, float, float, float] | None = field(default=None, metadata=NOT_IN_JSON)


@dataclass(frozen=True)
class Report:
    """Everything a report says about one base over one period."""

    base: BaseFacts
    period: Period
    pause_days: float
    headline: str
    summary: tuple[str, ...]
    aircraft: tuple[Aircraft, ...]
    counts: tuple[AircraftCount, ...]
    routes: tuple[Route, ...]
    events: tuple[Event, ...]
    visits: tuple[VisitFacts, ...]
    airports: tuple[Airport, ...]
    tracks: tuple[Track, ...]
    activity: dict[str, list[dict[str, Any]]]

    def colour_of(self, icao24: str) -> str:
        """The aircraft's colour on the map and the timeline."""
        return next((a.colour for a in self.aircraft if a.icao24 == icao24), "#555555")


def jsonable(value: Any) -> Any:
    """Dataclasses as dicts (fields marked ``NOT_IN_JSON`` left out), times as ISO 8601 Z,
    tuples as lists; dict and list contents converted likewise."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.metadata.get("json", True)
        }
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def report_document(report: Report) -> dict[str, Any]:
    """The report as one JSON-able document (what ``--format json`` writes)."""
    doc: dict[str, Any] = jsonable(report)
    for visit in doc["visits"]:
        visit.update(visit.pop("record"))  # the visits --json keys, at the top of each visit
    return {"format": "basewatch-report/1", **doc}
