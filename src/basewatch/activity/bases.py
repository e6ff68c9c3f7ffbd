"""A base NAME is a key of ``bases:`` in the config, or an ICAO airport code (with a default
radius); both resolve to a position, the field elevation and the classes watched there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow.compute as pc

from basewatch.config import Config
from basewatch.errors import UsageError
from basewatch.flights.airports import airport_table

DEFAULT_RADIUS_KM = 10.0


@dataclass(frozen=True)
class ResolvedBase:
    """A watched base with its position: an airport (``icao``) or a point (a naval base)."""

    name: str
    label: str
    icao: str | None
    lat: float
    lon: float
    elevation_ft: float
    radius_km: float
    watch: tuple[str, ...]


def resolve_base(name: str, config: Config) -> ResolvedBase:
    """The base called ``name`` in the config, else the airport with that ICAO code."""
    base = config.base(name)
    if base is not None:
        airport = _airport(base.icao) if base.icao else None
        if base.icao and airport is None:
            raise UsageError(f"base {name!r}: ICAO code {base.icao!r} is not a known airport")
        lat = airport["lat"] if airport else base.lat
        lon = airport["lon"] if airport else base.lon
        assert lat is not None and lon is not None
        return ResolvedBase(
            name=base.name,
            label=base.label or (airport["name"] if airport else base.name),
            icao=base.icao,
            lat=float(lat),
            lon=float(lon),
            elevation_ft=float(airport["elevation_ft"]) if airport else 0.0,
            radius_km=base.radius_km,
            watch=base.watch,
        )
    airport = _airport(name.upper())
    if airport is None:
        known = ", ".join(b.name for b in config.bases) or "none configured"
        raise UsageError(
            f"unknown base {name!r}: not a base of {config.origin} ({known}) "
            "nor an ICAO airport code"
        )
    return ResolvedBase(
        name=name.upper(),
        label=str(airport["name"]),
        icao=name.upper(),
        lat=float(airport["lat"]),
        lon=float(airport["lon"]),
        elevation_ft=float(airport["elevation_ft"]),
        radius_km=DEFAULT_RADIUS_KM,
        watch=("state",),
    )


def _airport(icao: str) -> dict[str, Any] | None:
    table = airport_table()
    rows = table.filter(pc.equal(table.column("icao"), icao)).to_pylist()
    return rows[0] if rows else None
