"""Cut tracks into flights: one vectorised pass over positions sorted by (icao24, time).

A flight ends at a change of aircraft, readsb's new-leg flag, a ground stop, a gap long enough to
have landed (> ``gap_low_s`` below ``low_ft``, > ``gap_any_s`` anywhere). Duplicated times and
physically impossible jumps are set aside with a reason first; tiny legs are dropped as noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.flights.set_aside import SET_ASIDE_SCHEMA, aside_table, set_aside
from basewatch.flights.track_columns import Bools, Floats, Ints, TrackColumns
from basewatch.store.cluster import in_order

__all__ = ["COLUMNS", "SET_ASIDE_SCHEMA", "OutOfOrder", "Segmenter"]

#: An end's trend is taken over this many positions: 100-ft (Gillham) altitudes 3-5 s apart
#: often repeat, so the last pair alone says "level" on a 3-degree descent.
TREND_POINTS = 5

#: Columns the segmenter reads, in the order ``SEGMENT_SQL`` selects them.
COLUMNS = (
    "icao24",
    "time",
    "lat",
    "lon",
    "alt_baro_ft",
    "alt_geom_ft",
    "gs_kt",
    "track_deg",
    "vrate_fpm",
    "on_ground",
    "new_leg",
    "callsign",
)


class OutOfOrder(ValueError):
    """A position table handed over as sorted by (icao24, time) is not."""


@dataclass(frozen=True)
class Segmenter:
    """Thresholds of the flight cut; the defaults are those of the issue."""

    gap_low_s: float = 300.0
    gap_any_s: float = 36_000.0
    low_ft: float = 10_000.0
    stop_s: float = 60.0
    ground_max_kt: float = 30.0
    ground_max_ft: float = 15_000.0
    max_speed_kt: float = 1_000.0
    spoof_min_km: float = 3.0
    spoof_max_points: int = 30
    stale_alt_ft: float = 1_000.0
    min_duration_s: float = 180.0
    min_distance_km: float = 5.0

    def segment(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Flights (one row each) and the positions set aside, from a sorted position table."""
        segments, aside = self.segments(table)
        return segments.filter(segments.column("airborne")), aside

    def segments(self, table: pa.Table, verify_order: bool = False) -> tuple[pa.Table, pa.Table]:
        """Flights and ground-only sightings (``airborne`` false), and the positions set aside.
        ``verify_order`` checks the table's order first (from the columns the cut computes
        anyway) and raises ``OutOfOrder`` when it is not sorted."""
        cols = TrackColumns.of(table)
        if verify_order and not in_order(table, cols.same_ac, cols.dt):
            raise OutOfOrder("positions handed over as sorted by (icao24, time) are not")
        keep, reasons = set_aside(cols, self)
        aside = aside_table(table, keep, reasons)
        clean = cols if keep.all() else cols.take(np.flatnonzero(keep))
        starts = self._boundaries(clean)
        flights, noise_rows = _flights(clean, starts, self)
        if len(noise_rows):
            why = f"noise leg (< {self.min_duration_s:.0f} s and < {self.min_distance_km:g} km)"
            noise = [(clean.source(noise_rows), why)]
            aside = pa.concat_tables([aside, aside_table(table, keep, noise)])
        return flights, aside

    def _boundaries(self, c: TrackColumns) -> Ints:
        """Index of the first position of every segment (flights and ground-only pieces)."""
        n = len(c.time)
        if n == 0:
            return np.zeros(0, np.int64)
        dt = c.dt / 1e6
        low = (c.alt < self.low_ft) | np.isnan(c.alt) | c.ground
        gap = (dt > self.gap_any_s) | ((dt > self.gap_low_s) & (low[1:] | low[:-1]))
        cut = np.ones(n, bool)
        cut[1:] = ~c.same_ac | gap | c.new_leg[1:]
        cut |= self._ground_stops(c, cut)
        return np.flatnonzero(cut)

    def _ground_stops(self, c: TrackColumns, cut: Bools) -> Bools:
        """A cut inside every ground run lasting ``stop_s`` or more (at its longest pause, or
        its middle), so that landing roll and next takeoff roll go to their own flights."""
        n = len(c.time)
        change = np.ones(n, bool)
        change[1:] = cut[1:] | (c.ground[1:] != c.ground[:-1])
        run_start = np.flatnonzero(change)
        run_end = np.append(run_start[1:], n) - 1
        is_ground = c.ground[run_start]
        # a stop is time spent slow (taxiing, parked), not a landing roll at speed
        slow = c.ground & ~(c.gs > self.ground_max_kt)
        first_slow = _first_valid(slow, run_start, run_end)
        last_slow = _last_valid(slow, run_start, run_end)
        slow_s = np.where(first_slow >= 0, (c.time[last_slow] - c.time[first_slow]) / 1e6, 0.0)
        stops = np.flatnonzero(is_ground & (slow_s >= self.stop_s) & (run_end > run_start))
        out = np.zeros(n, bool)
        if not len(stops):
            return out
        # the pauses of each stop are dt[first..last]
        first, last = run_start[stops], run_end[stops] - 1
        dt = c.dt
        longest = _reduce(np.maximum, dt, first, last)
        # where each stop's longest pause is: the first row of the stop holding its maximum
        span = last - first + 1
        rows = np.repeat(first - np.cumsum(span) + span, span) + np.arange(span.sum())
        is_top = np.zeros(n - 1, bool)
        is_top[rows] = dt[rows] == np.repeat(longest, span)
        top = _first_valid(is_top, first, last)
        at = np.where(longest >= self.stop_s * 1e6, top + 1, (first + last + 2) // 2)
        out[at] = True
        return out


def _reduce(
    ufunc: np.ufunc, values: npt.NDArray[Any], starts: Ints, ends: Ints
) -> npt.NDArray[Any]:
    """``ufunc`` reduced over each [start, end] range alone (ranges may leave rows out between
    them, which a plain ``reduceat`` over the starts would fold into the previous range)."""
    if not len(starts):
        return np.zeros(0, values.dtype)
    bounds = np.empty(2 * len(starts), np.int64)
    bounds[0::2], bounds[1::2] = starts, ends + 1
    if bounds[-1] >= len(values):  # a last range to the end: reduceat runs it there alone
        bounds = bounds[:-1]
    return np.asarray(ufunc.reduceat(values, bounds)[0::2])


def _step_sums(step: Floats, starts: Ints, ends: Ints) -> Floats:
    """Per segment, the sum of its steps (step j joins rows j and j + 1: steps starts..ends-1),
    0 for a one-row segment; reduced in place over ``step`` (no zero-padded copy)."""
    if not len(starts):
        return np.zeros(0)
    bounds = np.empty(2 * len(starts), np.int64)
    bounds[0::2], bounds[1::2] = starts, ends
    sums = np.zeros(len(starts))
    # bounds do not decrease: those past the last step are dropped (the range before runs on
    # to the end, as it should)
    cut = int(np.searchsorted(bounds, len(step)))
    if cut:
        sums[: (cut + 1) // 2] = np.add.reduceat(step, bounds[:cut])[0::2]
    return np.where(ends > starts, sums, 0.0)


def _first_valid(valid: Bools, starts: Ints, ends: Ints) -> Ints:
    """Per segment, the index of its first row where ``valid`` holds, or -1."""
    if 2 * np.count_nonzero(valid) > len(valid):
        return _first_valid_dense(valid, starts, ends)
    idx = np.flatnonzero(valid)
    if not len(idx):
        return np.full(len(starts), -1, np.int64)
    pos = np.searchsorted(idx, starts, "left")
    first = idx[np.minimum(pos, len(idx) - 1)]
    return np.asarray(np.where((pos < len(idx)) & (first <= ends), first, -1), np.int64)


def _last_valid(valid: Bools, starts: Ints, ends: Ints) -> Ints:
    """Per segment, the index of its last row where ``valid`` holds, or -1."""
    if 2 * np.count_nonzero(valid) > len(valid):
        return _last_valid_dense(valid, starts, ends)
    idx = np.flatnonzero(valid)
    if not len(idx):
        return np.full(len(starts), -1, np.int64)
    pos = np.searchsorted(idx, ends, "right") - 1
    last = idx[np.maximum(pos, 0)]
    return np.asarray(np.where((pos >= 0) & (last >= starts), last, -1), np.int64)


def _first_valid_dense(valid: Bools, starts: Ints, ends: Ints) -> Ints:
    """``_first_valid`` for a mostly true ``valid``: a start that is not valid opens a run of
    invalid rows, and the row after that run is the first valid one (runs found among the
    few invalid rows, not the many valid ones)."""
    bad = np.flatnonzero(~valid)
    at = np.asarray(starts, np.int64).copy()
    pos = np.searchsorted(bad, starts)
    hit = np.flatnonzero(pos < len(bad))
    hit = hit[bad[pos[hit]] == starts[hit]]
    if len(hit):
        run_last = np.append(np.flatnonzero(np.diff(bad) != 1), len(bad) - 1)
        at[hit] = bad[run_last[np.searchsorted(run_last, pos[hit])]] + 1
    return np.asarray(np.where(at <= ends, at, -1), np.int64)


def _last_valid_dense(valid: Bools, starts: Ints, ends: Ints) -> Ints:
    """``_last_valid`` for a mostly true ``valid``: ``_first_valid_dense`` over the rows in
    reverse."""
    last = len(valid) - 1
    first = _first_valid_dense(valid[::-1], last - ends, last - starts)
    return np.asarray(np.where(first >= 0, last - first, -1), np.int64)


def _trend(c: TrackColumns, at: Ints, other: Ints) -> Floats:
    """Vertical rate at ``at`` (ft/min), else the altitude change towards ``other``."""
    dt = (c.time[at] - c.time[other]) / 6e7
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(dt != 0, (c.alt[at] - c.alt[other]) / dt, np.nan)
    return np.where(np.isnan(c.vrate[at]), slope, c.vrate[at])


def _flights(c: TrackColumns, starts: Ints, s: Segmenter) -> tuple[pa.Table, Ints]:
    """One row per segment that flew and is not noise (ground-only ones kept as sightings),
    and the rows of the noise legs dropped."""
    n = len(c.time)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return _flight_table(c, empty, empty, {}), empty
    ends = np.append(starts[1:], n) - 1
    path_km = _step_sums(c.step, starts, ends) / 1000
    duration = (c.time[ends] - c.time[starts]) / 1e6
    airborne = np.logical_or.reduceat(~c.ground, starts)
    noise = (duration < s.min_duration_s) & (path_km < s.min_distance_km)
    # ground-only segments stay as sightings (where an aircraft reappeared); not flights
    keep = (airborne & ~noise & (ends > starts)) | ~airborne
    dropped = np.flatnonzero(~keep)
    span = ends[dropped] - starts[dropped] + 1  # the rows of each dropped leg, in order
    noise_rows = np.repeat(starts[dropped] - np.cumsum(span) + span, span) + np.arange(span.sum())
    # reduce over every segment first: reduceat spans from one start to the next
    max_alt = np.fmax.reduceat(c.alt, starts)  # NaN only where no altitude at all
    starts, ends = starts[keep], ends[keep]
    airborne_at = ~c.ground
    first_air = _first_valid(airborne_at, starts, ends)
    last_air = _last_valid(airborne_at, starts, ends)
    extra = {
        "airborne": airborne[keep].astype(np.float64),
        # liftoff: the last ground position before the first airborne one (if seen on ground);
        # touchdown: the first ground position after the last airborne one
        "liftoff": np.where(first_air > starts, first_air - 1, -1).astype(np.float64),
        "touchdown": np.where((last_air >= 0) & (last_air < ends), last_air + 1, -1).astype(
            np.float64
        ),
        "path_km": path_km[keep],
        "max_alt_ft": max_alt[keep],
        "first_trend": _trend(c, starts, np.minimum(starts + TREND_POINTS, ends)),
        "last_trend": _trend(c, ends, np.maximum(ends - TREND_POINTS, starts)),
    }
    return _flight_table(c, starts, ends, extra), noise_rows


def _times_at(c: TrackColumns, at: Floats | None) -> pa.Array:
    """Times at row indices (-1 = none) as a nullable timestamp column."""
    idx = np.zeros(0, np.int64) if at is None else at.astype(np.int64)
    values = c.time[np.maximum(idx, 0)] if len(c.time) else np.zeros(0, np.int64)
    return pa.array(values, pa.timestamp("us", tz="UTC"), mask=idx < 0)


def _utc_stamps(us: Ints) -> pa.Array:
    """Microseconds since the epoch as "%Y%m%dT%H%M%SZ" strings (the whole second), as
    ``pc.strftime`` writes them but built as digits in numpy: strftime costs a few µs each."""
    if len(us) and (us.min() < 0 or us.max() >= 253_402_300_800_000_000):  # outside 1970-9999
        stamps = pa.array(us, pa.timestamp("us", tz="UTC"))
        whole_s = pc.cast(stamps, pa.timestamp("s", tz="UTC"), safe=False)
        return pc.strftime(whole_s, "%Y%m%dT%H%M%SZ")
    sec = (us // 1_000_000).astype("datetime64[s]")
    day = sec.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    of_day = (sec - day).astype(np.int64)
    parts: tuple[tuple[Ints, int] | str, ...] = (
        (month.astype("datetime64[Y]").astype(np.int64) + 1970, 4),
        (month.astype(np.int64) % 12 + 1, 2),
        ((day - month).astype(np.int64) + 1, 2),
        "T",
        (of_day // 3600, 2),
        (of_day // 60 % 60, 2),
        (of_day % 60, 2),
        "Z",
    )
    chars = np.empty((len(us), 16), np.uint8)
    col = 0
    for part in parts:
        if isinstance(part, str):
            chars[:, col] = ord(part)
            col += 1
            continue
        value, width = part
        for k in range(width):  # most significant digit first
            chars[:, col + k] = ord("0") + value // 10 ** (width - 1 - k) % 10
        col += width
    offsets = np.arange(0, 16 * len(us) + 1, 16, dtype=np.int32)
    return pa.StringArray.from_buffers(len(us), pa.py_buffer(offsets), pa.py_buffer(chars))


def _flight_table(c: TrackColumns, starts: Ints, ends: Ints, extra: dict[str, Floats]) -> pa.Table:
    def pick(arr: Floats, at: Ints) -> pa.Array:
        return pa.array(arr[at], pa.float64(), mask=np.isnan(arr[at]))

    start_ts = pa.array(c.time[starts], pa.timestamp("us", tz="UTC"))
    icao = c.icao24.take(pa.array(c.source(starts)))
    has_call = np.asarray(c.callsign.is_valid()) if len(c.time) else np.zeros(0, bool)
    if c.orig is not None:  # rows were set aside: ``orig`` maps the kept ones
        has_call = has_call[c.orig]
    first_call = _first_valid(has_call, starts, ends) if len(c.time) else starts
    callsign = c.callsign.take(pa.array(c.source(np.where(first_call >= 0, first_call, 0))))
    callsign = pc.if_else(pa.array(first_call >= 0), callsign, pa.scalar(None, pa.string()))
    flight_id = pc.binary_join_element_wise(icao, _utc_stamps(c.time[starts]), "-")
    cols: dict[str, pa.Array] = {
        "flight_id": flight_id,
        "icao24": icao,
        "callsign": callsign,
        "start_time": start_ts,
        "end_time": pa.array(c.time[ends], pa.timestamp("us", tz="UTC")),
        "n_positions": pa.array(ends - starts + 1, pa.int64()),
        "airborne": pa.array(extra.get("airborne", np.zeros(len(starts))) > 0, pa.bool_()),
        "liftoff_time": _times_at(c, extra.get("liftoff")),
        "touchdown_time": _times_at(c, extra.get("touchdown")),
        "path_km": pa.array(extra.get("path_km", np.zeros(0)), pa.float64()),
        "max_alt_ft": pick(extra.get("max_alt_ft", np.zeros(0)), np.arange(len(starts))),
    }
    has_track = ~np.isnan(c.track)
    track_at = {
        # the track nearest each end (position-only points carry none)
        "first": _first_valid(has_track, starts, ends) if len(c.time) else starts,
        "last": _last_valid(has_track, starts, ends) if len(c.time) else ends,
    }
    for side, at in (("first", starts), ("last", ends)):
        cols[f"{side}_lat"] = pa.array(c.lat[at], pa.float64())
        cols[f"{side}_lon"] = pa.array(c.lon[at], pa.float64())
        cols[f"{side}_alt_ft"] = pick(c.alt, at)
        cols[f"{side}_gs_kt"] = pick(c.gs, at)
        tat = track_at[side]
        track = c.track[np.maximum(tat, 0)] if len(c.time) else np.zeros(0)
        track[tat < 0] = np.nan
        cols[f"{side}_track_deg"] = pa.array(track, pa.float64(), mask=np.isnan(track))
        cols[f"{side}_vrate_fpm"] = pick(
            extra.get(f"{side}_trend", np.zeros(0)), np.arange(len(at))
        )
        cols[f"{side}_ground"] = pa.array(c.ground[at], pa.bool_())
    return pa.table(cols)
