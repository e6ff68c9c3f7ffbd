"""The takeoff/landing rules over (flight end, nearby airport) candidates, vectorised.

Each function is one step of the rules ``endpoints.py`` documents, in numpy over candidate rows;
the arithmetic follows the original SQL term for term (same operations in the same order).
Most candidates fail a rule on distance and height alone (a field 40 km away from an end on
the ground): heading and next sighting are measured only for rows a rule may accept.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from basewatch.flights.candidates import AirportIndex, bearing_deg, hav_km, near
from basewatch.flights.flight_ends import FlightEnds

if TYPE_CHECKING:
    from basewatch.flights.endpoints import EndpointFinder

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: next_seen codes (0: none of them, the end cannot be there)
NEVER, THERE, ELSEWHERE, SEEN_ON_GROUND, DARK_BOTH = 1, 2, 3, 4, 5
NEXT_SEEN = (
    None,
    "never",
    "there",
    "elsewhere-later",
    "there (seen on the ground)",
    "there (dark both ways)",
)
#: observed codes
ON_GROUND, LOW = 1, 2
OBSERVED = (None, "on the ground", "low over the field")


def _decimal_product(a: float, b: float) -> float:
    """``a * b`` as the SQL computed it: exactly, on decimal literals."""
    from decimal import Decimal

    return float(Decimal(repr(a)) * Decimal(repr(b)))


@dataclass
class Candidates:
    """One row per (end, airport near it): the measures the rules compare and the row's own
    verdicts (next sighting, observed, confidence). ``herr``, ``other_km`` and ``other_s`` are
    NaN until measured (``measured``); rows no rule can take are never measured."""

    end: Ints
    airport: Ints
    dist: Floats
    agl: Floats
    herr: Floats
    other_km: Floats
    other_s: Floats
    measured: Bools
    seen: Ints
    obs: Ints
    conf: Floats

    @classmethod
    def measure(
        cls,
        ends: FlightEnds,
        ix: AirportIndex,
        found: tuple[Ints, Ints, Floats],
        s: EndpointFinder,
    ) -> Candidates:
        """Rows for (end, airport, distance) triples, judged. A field more than
        ``ceiling_agl_ft`` below the end counts only when the end is on the ground within
        ``observed_km`` (no rule takes it otherwise), so those rows are left out."""
        end, airport, dist = found
        agl = ends.alt[end] - ix.elevation_ft[airport]
        keep = ~(agl > s.ceiling_agl_ft) | (ends.ground[end] & (dist <= s.observed_km))
        end, airport, dist, agl = end[keep], airport[keep], dist[keep], agl[keep]
        n = len(end)
        nan = np.full(n, np.nan)
        zeros = np.zeros(n, np.int64)
        c = cls(
            end,
            airport,
            dist,
            agl,
            nan,
            nan.copy(),
            nan.copy(),
            np.zeros(n, bool),
            zeros,
            zeros.copy(),
            nan.copy(),
        )
        vrate = ends.vrate[end]
        agl0 = np.nan_to_num(agl)
        close = dist <= s.observed_km
        on_ground = close & ends.ground[end]
        with np.errstate(invalid="ignore"):
            low = close & (agl <= s.observed_agl_ft) & (np.nan_to_num(vrate) <= 500)
            plausible = (
                ~ends.ground[end]
                & (agl0 <= s.ceiling_agl_ft)
                & (dist <= 60)
                & (np.where(np.isnan(vrate), -200, vrate) < 300)
            )
        dark = _dark_shape(c, vrate, s)
        rows = np.flatnonzero(low | dark | plausible)
        c.fill(ends, ix, rows)
        c.seen[rows] = next_seen(c, ends, ix, s, rows)
        c.obs[:] = np.where(on_ground, ON_GROUND, np.where(low & (c.seen > 0), LOW, 0))
        c.conf[:] = np.where(on_ground, 0.95, np.where(c.obs == LOW, 0.85, np.nan))
        inferred = rows[(c.obs[rows] == 0) & dark[rows]]
        c.conf[inferred] = confidence(c, ends, ix, s, inferred)
        return c

    def fill(self, ends: FlightEnds, ix: AirportIndex, rows: Ints) -> None:
        """Measure heading error and next sighting on ``rows`` (those not measured yet)."""
        rows = rows[~self.measured[rows]]
        end, airport = self.end[rows], self.airport[rows]
        a_lat, a_lon, a_cos = ix.lat[airport], ix.lon[airport], ix.cos_lat[airport]
        lat, lon, cos = ends.lat[end], ends.lon[end], ends.cos_lat[end]
        bearing = bearing_deg(lat, lon, a_lat, a_lon, cos, a_cos)
        self.herr[rows] = np.abs(np.fmod(ends.track[end] - bearing + 540, 360) - 180)
        partner = ends.partner[end]
        has = np.flatnonzero(partner >= 0)
        q = partner[has]
        self.other_km[rows[has]] = hav_km(
            ends.lat[q], ends.lon[q], a_lat[has], a_lon[has], ends.cos_lat[q], a_cos[has]
        )
        self.other_s[rows[has]] = np.abs(ends.time[q] / 1e6 - ends.time[end[has]] / 1e6)
        self.measured[rows] = True

    def __len__(self) -> int:
        return len(self.end)

    def __add__(self, other: Candidates) -> Candidates:
        """The rows of both."""
        joined: list[npt.NDArray[Any]] = [
            np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)
        ]
        return Candidates(*joined)


def search(ends: FlightEnds, ix: AirportIndex, s: EndpointFinder) -> Candidates:
    """The candidates that can matter. A flight's end: every field within ``search_km``. A
    ground-only sighting's end facing a flight counts only where it was observed (within
    ``observed_km``) or as the far side of a dark gap at a field the flight's end may have
    gone dark at (``dark_eligible``), so only those fields are measured for it."""
    reachable = ends.ground | ~(ends.alt - ix.max_elevation_ft > s.ceiling_agl_ft)
    wanted = ends.wanted() & reachable
    flown = np.flatnonzero(wanted & ends.airborne)
    p, airport, dist = near(ix, ends.lat[flown], ends.lon[flown], s.search_km)
    c = Candidates.measure(ends, ix, (flown[p], airport, dist), s)
    facing = np.flatnonzero(wanted & ~ends.airborne)
    p, airport, dist = near(ix, ends.lat[facing], ends.lon[facing], s.observed_km)
    end, fields_, dists = [facing[p]], [airport], [dist]
    rows = np.flatnonzero(dark_eligible(c, ends, s) & (ends.partner[c.end] >= 0))
    q = ends.partner[c.end[rows]]
    across = ~ends.airborne[q] & wanted[q]
    q, a = q[across], c.airport[rows[across]]
    d = hav_km(ends.lat[q], ends.lon[q], ix.lat[a], ix.lon[a], ends.cos_lat[q], ix.cos_lat[a])
    far = (d > s.observed_km) & (d <= s.search_km)  # the near ones are found above
    end.append(q[far])
    fields_.append(a[far])
    dists.append(d[far])
    found = (np.concatenate(end), np.concatenate(fields_), np.concatenate(dists))
    return c + Candidates.measure(ends, ix, found, s)


def _dark_shape(c: Candidates, vrate: Floats, s: EndpointFinder) -> Bools:
    """Rows low enough, descending (or near and low) and at a flyable slope for the field:
    the conditions of a dark end that need neither heading nor next sighting."""
    agl, dist = c.agl, c.dist
    agl0 = np.nan_to_num(agl)
    with np.errstate(invalid="ignore"):
        descending = (
            (vrate < -100)
            | ((agl < 3000) & (dist <= 15))
            | (np.isnan(vrate) & (agl < 5000) & (dist <= 30))
            | (np.isnan(agl) & (dist <= 5))
        )
        slope = np.maximum(agl0, 0) <= s.max_ft_per_nm * np.maximum(dist / 1.852, 1)
        not_too_low = np.isnan(agl) | (agl >= s.min_ft_per_nm * dist / 1.852 - 300)
    return np.asarray((agl0 <= s.ceiling_agl_ft) & descending & slope & not_too_low)


def next_seen(
    c: Candidates, ends: FlightEnds, ix: AirportIndex, s: EndpointFinder, rows: Ints
) -> Ints:
    """Where the aircraft was seen next (before, for a takeoff), if the end can be at the
    field: never, there, elsewhere late enough to have landed first; 0 when too soon."""
    partner = ends.partner[c.end[rows]]
    has = partner >= 0
    q = np.maximum(partner, 0)
    o_ground = ends.ground[q]
    approach = _decimal_product(s.approach_kt, 1.852)
    cruise = _decimal_product(s.cruise_kt, 1.852) / 3600
    stop = np.where(o_ground, 0.0, s.min_stop_s)
    other_km, other_s, dist = c.other_km[rows], c.other_s[rows], c.dist[rows]
    with np.errstate(invalid="ignore"):
        soon = other_s < (dist + other_km) / approach * 3600 + stop
        o_agl = ends.alt[q] - ix.elevation_ft[c.airport[rows]]
        there = (other_km <= s.reappear_km) & (o_ground | (np.nan_to_num(o_agl) <= 3000))
        later = other_s >= other_km / cruise + s.turnaround_s
    code = np.where(there, THERE, np.where(later, ELSEWHERE, 0))
    return np.asarray(np.where(~has, NEVER, np.where(soon, 0, code)), np.int64)


def confidence(
    c: Candidates, ends: FlightEnds, ix: AirportIndex, s: EndpointFinder, rows: Ints
) -> Floats:
    """Confidence of a dark end (``rows`` of the right shape, not observed): by the next
    sighting, distance and heading when heading near the field (or turning onto it, or over
    it); NaN when not."""
    vrate, dist, herr = ends.vrate[c.end[rows]], c.dist[rows], c.herr[rows]
    seen = c.seen[rows]
    with np.errstate(invalid="ignore"):
        heading = (
            (herr <= s.max_heading_error)
            | (dist <= 5)
            | ((herr <= 120) & (dist <= 40) & (vrate < -300))
        )
    base = np.where(seen == THERE, 0.9, np.where(seen == NEVER, 0.6, 0.45))
    turn = np.where(dist <= 5, 0, np.minimum(np.where(np.isnan(herr), 90, herr), 90) / 90)
    no_iata = ix.no_iata[c.airport[rows]]
    dark = base * (1 - 0.4 * dist / s.search_km) * (1 - 0.3 * turn) * np.where(no_iata, 0.8, 1)
    return np.asarray(np.where(heading & (seen > 0), dark, np.nan))


def dark_eligible(c: Candidates, ends: FlightEnds, s: EndpointFinder) -> Bools:
    """Rows that may pair across a gap ("dark both ways"): not observed, and either confident
    or near, low and not climbing away, whatever the heading."""
    vrate = ends.vrate[c.end]
    with np.errstate(invalid="ignore"):
        plausible = (
            ~ends.ground[c.end]
            & (np.nan_to_num(c.agl) <= s.ceiling_agl_ft)
            & (c.dist <= 60)
            & (np.where(np.isnan(vrate), -200, vrate) < 300)
            & (c.seen > 0)
        )
    return np.asarray((c.obs == 0) & (~np.isnan(c.conf) | plausible))
