"""Where a feed looks: a base of the config or an ICAO airport code as a position, and a bounding
box around it. Read from ``airportsdata`` directly, as sources may not import later stages."""

from __future__ import annotations

import math
from functools import cache

from basewatch.config import Config
from basewatch.errors import ConfigError

NM_PER_DEG_LAT = 60.0


@cache
def _airports() -> dict[str, tuple[float, float]]:
    import airportsdata  # loaded on first use only: nothing happens at import

    return {
        code: (float(a["lat"]), float(a["lon"])) for code, a in airportsdata.load("ICAO").items()
    }


def point_position(name: str, config: Config) -> tuple[float, float]:
    """(lat, lon) of a base of the config (its airport, else its lat/lon) or an ICAO code."""
    base = config.base(name)
    icao = base.icao if base is not None else name.upper()
    if icao and icao in _airports():
        return _airports()[icao]
    if base is not None and base.lat is not None and base.lon is not None:
        return base.lat, base.lon
    known = ", ".join(b.name for b in config.bases) or "none configured"
    raise ConfigError(
        f"feed point {name!r} is neither a base of {config.origin} ({known}) "
        "nor a known ICAO airport code"
    )


def bbox_around(lat: float, lon: float, radius_nm: float) -> tuple[float, float, float, float]:
    """(lamin, lomin, lamax, lomax) of the box holding the circle, clipped to the globe."""
    dlat = radius_nm / NM_PER_DEG_LAT
    cos = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, radius_nm / (NM_PER_DEG_LAT * cos))
    return (
        max(-90.0, lat - dlat),
        max(-180.0, lon - dlon),
        min(90.0, lat + dlat),
        min(180.0, lon + dlon),
    )
