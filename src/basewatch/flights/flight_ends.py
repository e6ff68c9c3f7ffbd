"""Both ends of every segment as one set of arrays: a takeoff is a landing with time reversed.

End ``2 i`` is segment ``i``'s landing, ``2 i + 1`` its takeoff; each end faces the other end
of the gap it borders (the next segment's takeoff, the previous one's landing), its *partner*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def _num(t: pa.Table, name: str) -> Floats:
    return np.asarray(t.column(name).to_numpy(), dtype=np.float64)


def _flag(t: pa.Table, name: str) -> Bools:
    return np.asarray(pc.fill_null(t.column(name), False).to_numpy(), dtype=bool)


def _micros(t: pa.Table, name: str) -> Ints:
    col = t.column(name).cast(pa.int64())
    return np.asarray(pc.fill_null(col, -1).to_numpy(), dtype=np.int64)


def _interleave(
    landing: npt.NDArray[np.generic], takeoff: npt.NDArray[np.generic]
) -> npt.NDArray[np.generic]:
    out = np.empty(2 * len(landing), landing.dtype)
    out[0::2], out[1::2] = landing, takeoff
    return out


@dataclass
class FlightEnds:
    """Ends of segments sorted by (icao24, start_time); NaN for unknown numbers."""

    segment: Ints
    takeoff: Bools
    airborne: Bools  # the end's segment flew
    partner: Ints  # -1 at an aircraft's first takeoff and last landing
    lat: Floats
    lon: Floats
    alt: Floats
    gs: Floats
    track: Floats  # a takeoff's track reversed, as if it were flown backwards to the field
    vrate: Floats  # a takeoff's vertical rate negated
    ground: Bools
    time: Ints
    ground_time: Ints  # touchdown / liftoff, -1 when not seen
    cos_lat: Floats

    @classmethod
    def of(cls, flights: pa.Table) -> FlightEnds:
        """The ends of ``flights`` (sorted by icao24, start_time)."""
        n = flights.num_rows
        icao = flights.column("icao24")
        same = np.zeros(max(n - 1, 0), bool)
        if n > 1:
            same = np.asarray(
                pc.equal(icao.slice(1), icao.slice(0, n - 1)).to_numpy(zero_copy_only=False), bool
            )
        seg = np.repeat(np.arange(n), 2)
        partner = np.full(2 * n, -1, np.int64)
        landing = np.flatnonzero(np.append(same, False))
        partner[2 * landing] = 2 * (landing + 1) + 1
        partner[2 * (landing + 1) + 1] = 2 * landing
        first_track = _num(flights, "first_track_deg")

        def both(last: str, first: str) -> Floats:
            return np.asarray(_interleave(_num(flights, last), _num(flights, first)), np.float64)

        lat = both("last_lat", "first_lat")
        return cls(
            segment=seg,
            takeoff=np.tile(np.array([False, True]), n),
            airborne=np.repeat(_flag(flights, "airborne"), 2),
            partner=partner,
            lat=lat,
            lon=both("last_lon", "first_lon"),
            alt=both("last_alt_ft", "first_alt_ft"),
            gs=both("last_gs_kt", "first_gs_kt"),
            track=np.asarray(
                _interleave(_num(flights, "last_track_deg"), np.fmod(first_track + 180, 360)),
                np.float64,
            ),
            vrate=np.asarray(
                _interleave(_num(flights, "last_vrate_fpm"), -_num(flights, "first_vrate_fpm")),
                np.float64,
            ),
            ground=np.asarray(
                _interleave(_flag(flights, "last_ground"), _flag(flights, "first_ground")), bool
            ),
            time=np.asarray(
                _interleave(_micros(flights, "end_time"), _micros(flights, "start_time")),
                np.int64,
            ),
            ground_time=np.asarray(
                _interleave(_micros(flights, "touchdown_time"), _micros(flights, "liftoff_time")),
                np.int64,
            ),
            cos_lat=np.cos(np.radians(lat)),
        )

    def __len__(self) -> int:
        return len(self.segment)

    def wanted(self) -> Bools:
        """Ends whose airport can matter: those of flights, and those of ground-only sightings
        facing a flight (where it was next seen, on the ground or dark)."""
        facing = np.zeros(len(self), bool)
        has = self.partner >= 0
        facing[has] = self.airborne[self.partner[has]]
        return np.asarray(self.airborne | facing)
