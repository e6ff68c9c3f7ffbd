"""Airports of the scenario (position and elevation from ``airportsdata``) and their runways.

The runway headings are the true headings of the real runways, rounded (the ``airportsdata``
reference point stands in for the runway's midpoint); every field is flown as one runway.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

#: True heading of each field's (main) runway, degrees, the lower-numbered direction.
RUNWAY_HEADING = {
    "OSLK": 176.0,  # Bassel Al-Assad / Hmeimim 17/35
    "OSDI": 51.0,  # Damascus 05/23
    "UUMU": 123.0,  # Chkalovsky 12/30
    "UUEM": 68.0,  # Tver Migalovo 07/25
    "UWOO": 81.0,  # Orenburg 08/26
    "UWLW": 22.0,  # Ulyanovsk Vostochny 02/20
    "UUWW": 13.0,  # Vnukovo 01/19
    "UUDD": 136.0,  # Domodedovo 14/32
    "HLLB": 148.0,  # Benina 15/33
    "OMSJ": 121.0,  # Sharjah 12/30
    "OEJN": 158.0,  # Jeddah 16/34
    "ORBI": 151.0,  # Baghdad 15/33
    "ORER": 177.0,  # Erbil 18/36
}
RUNWAY_M = {"UWLW": 5000.0, "UUEM": 2500.0, "OSLK": 2800.0, "OSDI": 3600.0}
DEFAULT_RUNWAY_M = 3000.0
#: Which side of the runway (seen along its heading) the apron lies on.
APRON_SIDE = {"OSLK": 1.0, "OSDI": -1.0, "UUMU": -1.0, "HLLB": 1.0, "UUEM": -1.0}


@dataclass(frozen=True)
class Field:
    """An airport as the simulator flies it: reference point, elevation, one runway."""

    icao: str
    name: str
    lat: float
    lon: float
    elevation_ft: float
    runway_deg: float
    runway_m: float
    apron_side: float


@cache
def _airports() -> dict[str, Any]:
    import airportsdata

    return dict(airportsdata.load("ICAO"))


def field(icao: str) -> Field:
    """The airport ``icao`` (KeyError for a field the scenario does not know)."""
    row = _airports()[icao]
    return Field(
        icao=icao,
        name=str(row["name"]),
        lat=float(row["lat"]),
        lon=float(row["lon"]),
        elevation_ft=float(row["elevation"] or 0.0),
        runway_deg=RUNWAY_HEADING[icao],
        runway_m=RUNWAY_M.get(icao, DEFAULT_RUNWAY_M),
        apron_side=APRON_SIDE.get(icao, 1.0),
    )
