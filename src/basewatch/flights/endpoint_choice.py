"""The rules that look across a gap, and the choice of one field per flight end.

``paired``: both ends of a dark gap point at the same field; ``anchored``: the other side of the
gap was seen at the field; ``choose``: an observed field first, else the most confident one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from basewatch.flights.candidates import AirportIndex
from basewatch.flights.endpoint_rules import (
    DARK_BOTH,
    SEEN_ON_GROUND,
    Bools,
    Candidates,
    Floats,
    Ints,
    dark_eligible,
)
from basewatch.flights.flight_ends import FlightEnds

if TYPE_CHECKING:
    from basewatch.flights.endpoints import EndpointFinder


def penalty_km(c: Candidates, ix: AirportIndex, rows: Ints) -> Floats:
    """Among observed fields, nearer wins; a field without IATA code or a heliport less so."""
    airport = c.airport[rows]
    return np.asarray(np.where(ix.no_iata[airport], 2, 0) + np.where(ix.heliport[airport], 5, 0))


def paired(c: Candidates, ends: FlightEnds, ix: AirportIndex, s: EndpointFinder) -> Floats:
    """Went dark on the way down and reappeared climbing out (or the reverse), both ends
    pointing at the same field: both raised, however weak each alone; NaN elsewhere."""
    eligible = np.flatnonzero(dark_eligible(c, ends, s))
    out = np.full(len(c), np.nan)
    if not len(eligible):
        return out
    # rows of the same gap and field meet under one key: (the gap's landing end, field)
    gap_end = c.end[eligible] - ends.takeoff[c.end[eligible]] * (
        c.end[eligible] - np.maximum(ends.partner[c.end[eligible]], 0)
    )
    key = gap_end * len(ix.lat) + c.airport[eligible]
    has_partner = ends.partner[c.end[eligible]] >= 0
    eligible, key = eligible[has_partner], key[has_partner]
    order = np.argsort(key, kind="stable")
    eligible, key = eligible[order], key[order]
    pair = np.flatnonzero(key[1:] == key[:-1])  # one landing row and one takeoff row
    a, b = eligible[pair], eligible[pair + 1]
    weak = 0.5 * np.maximum(0, 1 - c.dist / 60) * np.where(ix.no_iata[c.airport], 0.3, 1)
    mine = np.where(np.isnan(c.conf), weak, c.conf)
    out[a] = np.minimum(0.9, 1 - (1 - mine[a]) * (1 - mine[b]) + 0.2)
    out[b] = np.minimum(0.9, 1 - (1 - mine[b]) * (1 - mine[a]) + 0.2)
    return out


def anchored(c: Candidates, ends: FlightEnds, ix: AirportIndex, s: EndpointFinder) -> Floats:
    """Went dark, and the next takeoff (previous landing) was seen at this field: this field,
    whatever the last heading or a nearer strip says; NaN elsewhere."""
    seen_at = np.full(len(ends) + 1, -1, np.int64)  # per end: the field it was observed at
    o = np.flatnonzero(c.obs > 0)
    if len(o):
        key = c.dist[o] + penalty_km(c, ix, o)
        o = o[np.lexsort((ix.rank[c.airport[o]], key, c.end[o]))]
        first = np.ones(len(o), bool)
        first[1:] = c.end[o][1:] != c.end[o][:-1]
        seen_at[c.end[o][first]] = c.airport[o][first]
    partner = ends.partner[c.end]  # -1 reads the sentinel at the end: never observed
    ok = (c.obs == 0) & (np.nan_to_num(c.agl) <= s.ceiling_agl_ft) & (seen_at[partner] == c.airport)
    herr = np.where(np.isnan(c.herr), 180, c.herr)
    value = 0.9 * (1 - 0.3 * c.dist / s.search_km) * (1 - 0.2 * herr / 180)
    return np.asarray(np.where(ok, value, np.nan))


def choose(
    c: Candidates, ends: FlightEnds, ix: AirportIndex, s: EndpointFinder
) -> tuple[Ints, Floats, Ints]:
    """Per end of a flight, the candidate row kept (an observed field, nearest, IATA and
    non-heliport preferred; else the most confident), its confidence and next sighting."""
    ground = anchored(c, ends, ix, s)
    both = paired(c, ends, ix, s)
    has_ground, has_both = ~np.isnan(ground), ~np.isnan(both)
    conf = np.where(has_ground, ground, np.where(has_both, both, c.conf))
    seen = np.where(has_ground, SEEN_ON_GROUND, np.where(has_both, DARK_BOTH, c.seen))
    rows = np.flatnonzero(~np.isnan(conf) & ends.airborne[c.end])
    dark: Bools = c.obs[rows] == 0
    key = np.where(dark, -conf[rows], c.dist[rows] + penalty_km(c, ix, rows))
    rows = rows[np.lexsort((ix.rank[c.airport[rows]], key, dark, c.end[rows]))]
    first = np.ones(len(rows), bool)
    first[1:] = c.end[rows][1:] != c.end[rows][:-1]
    best = rows[first]
    c.fill(ends, ix, best)  # their evidence
    return np.asarray(best, np.int64), conf[best], np.asarray(seen[best], np.int64)
