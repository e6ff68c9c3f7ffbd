"""Positions set aside before segmentation, each with its reason: repeated times, stale fixes
re-sent with another altitude, and impossible excursions (spoofing, bad CPR decodes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from basewatch.flights.geo import KT_TO_MS, haversine_m
from basewatch.flights.track_columns import Bools, Ints, TrackColumns

if TYPE_CHECKING:
    from basewatch.flights.segment import Segmenter

SET_ASIDE_SCHEMA = pa.schema(
    [
        ("icao24", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("reason", pa.string()),
    ]
)


def set_aside(c: TrackColumns, s: Segmenter) -> tuple[Bools, list[tuple[Ints, str]]]:
    """Keep-mask and reasons: repeated times, stale repeated fixes, then spoofed jumps
    (impossible out and back)."""
    n = len(c.time)
    keep = np.ones(n, bool)
    reasons: list[tuple[Ints, str]] = []
    if n < 2:
        return keep, reasons
    repeat = np.zeros(n, bool)
    repeat[1:] = c.same_ac & (c.dt == 0)
    keep &= ~repeat
    reasons.append((np.flatnonzero(repeat), "duplicate time"))
    stale = _stale_repeats(c, s) & keep
    keep &= ~stale
    reasons.append((np.flatnonzero(stale), "repeated position with another altitude (stale fix)"))
    idx = np.flatnonzero(keep)
    sub = c if len(idx) == n else c.take(idx)
    spoofed = _spoofed(sub, s)
    keep[idx[spoofed]] = False
    reasons.append((idx[spoofed], f"impossible jump (> {s.max_speed_kt:.0f} kt out and back)"))
    return keep, reasons


def _stale_repeats(c: TrackColumns, s: Segmenter) -> Bools:
    """Rows repeating the same latitude/longitude as the row that began the run but with an
    altitude more than ``stale_alt_ft`` away: a feed re-sending an old fix (OpenSky does) while
    the altitude field goes on changing or turns to junk."""
    n = len(c.time)
    same_pos = np.zeros(n, bool)
    # a repeated fix has a zero step (the few zero steps are then compared exactly)
    still = np.flatnonzero(c.step == 0)
    same_pos[still + 1] = (
        c.same_ac[still] & (c.lat[still + 1] == c.lat[still]) & (c.lon[still + 1] == c.lon[still])
    )
    out = np.zeros(n, bool)
    rows = np.flatnonzero(same_pos)  # few: only these rows can be stale
    if not len(rows):
        return out
    # the row that began each run: the last row at or before it not repeating its predecessor
    starts = np.flatnonzero(~same_pos)
    base = c.alt[starts[np.searchsorted(starts, rows, "right") - 1]]
    alt = c.alt[rows]
    with np.errstate(invalid="ignore"):
        moved = np.abs(alt - base) > s.stale_alt_ft
    # or an altitude the fix never had (a ground fix re-sent with a cruise level)
    appeared = np.isnan(base) & ~np.isnan(alt)
    out[rows] = moved | appeared
    return out


def too_fast(c: TrackColumns, s: Segmenter) -> Bools:
    """Per step (row i to i + 1 of one aircraft), True where it is longer than
    ``spoof_min_km`` and faster than ``max_speed_kt`` (a step taking at least half a second):
    the distance against the distance allowed, no division."""
    allowed = np.multiply(np.maximum(c.dt, 500_000), s.max_speed_kt * KT_TO_MS / 1e6)
    fast = c.step > allowed
    fast &= c.step > s.spoof_min_km * 1000
    fast &= c.same_ac
    return np.asarray(fast)


def _impossible(c: TrackColumns, i: Ints, j: Ints, s: Segmenter) -> Bools:
    """True where going from row i to row j needs more than ``max_speed_kt``."""
    dist = haversine_m(c.lat[i], c.lon[i], c.lat[j], c.lon[j])
    dt = np.maximum((c.time[j] - c.time[i]) / 1e6, 0.5)
    return np.asarray((dist > s.spoof_min_km * 1000) & (dist / dt > s.max_speed_kt * KT_TO_MS))


def _spoofed(c: TrackColumns, s: Segmenter) -> Bools:
    """Rows of an excursion: between an impossible jump away and an impossible jump back when
    the rows around it agree with each other, or cut off at a track's end by a lone jump (the
    shorter side is the wrong one). Impossible jumps are rare, so the walk over them is short."""
    n = len(c.time)
    out = np.zeros(n, bool)
    if n < 3:
        return out
    e = np.flatnonzero(too_fast(c, s)) + 1  # edge e: the step from e - 1 to e is impossible
    if not len(e):
        return out
    track_start = np.flatnonzero(np.concatenate(([True], ~c.same_ac)))
    track_end = np.append(track_start[1:], n)
    i = 0
    while i < len(e):
        a = int(e[i])
        k = int(np.searchsorted(track_start, a, side="right")) - 1
        lo, hi = int(track_start[k]), int(track_end[k])
        b = int(e[i + 1]) if i + 1 < len(e) else hi
        if (
            b < hi
            and b - a <= s.spoof_max_points
            and a - 1 >= lo
            and not _impossible(c, np.array([a - 1]), np.array([b]), s)[0]
        ):
            out[a:b] = True  # an excursion a..b-1 and back
            i += 2
            continue
        if a - lo <= s.spoof_max_points and a - lo < hi - a and (i == 0 or e[i - 1] < lo):
            out[lo:a] = True  # the track starts with a few impossible points
        elif b >= hi and hi - a <= s.spoof_max_points and hi - a < a - lo:
            out[a:hi] = True  # the track ends with a few impossible points
        i += 1
    return out


def aside_table(table: pa.Table, keep: Bools, reasons: list[tuple[Ints, str]]) -> pa.Table:
    parts = []
    for idx, why in reasons:
        if len(idx):
            rows = table.select(["icao24", "time", "lat", "lon"]).take(pa.array(idx))
            parts.append(rows.append_column("reason", pa.repeat(why, len(idx))))
    if not parts:
        return SET_ASIDE_SCHEMA.empty_table()
    return pa.concat_tables(parts).cast(SET_ASIDE_SCHEMA)
