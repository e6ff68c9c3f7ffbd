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

from basewatch.flights.geo import KT_TO_MS, haversine_m, pair_m, step_m

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

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

#: Fastest ground flag trusted: a landing or takeoff roll, not a cruise glitch.
GROUND_MAX_KT = 200.0

SET_ASIDE_SCHEMA = pa.schema(
    [
        ("icao24", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("reason", pa.string()),
    ]
)


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

    def segments(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Flights and ground-only sightings (``airborne`` false), and the positions set aside."""
        cols = _Columns.of(table)
        keep, reasons = _set_aside(cols, self)
        aside = _aside_table(table, keep, reasons)
        clean = cols if keep.all() else cols.take(np.flatnonzero(keep))
        starts = self._boundaries(clean)
        flights, noise_rows = _flights(clean, starts, self)
        if len(noise_rows):
            why = f"noise leg (< {self.min_duration_s:.0f} s and < {self.min_distance_km:g} km)"
            noise = [(clean.orig[noise_rows], why)]
            aside = pa.concat_tables([aside, _aside_table(table, keep, noise)])
        return flights, aside

    def _boundaries(self, c: _Columns) -> Ints:
        """Index of the first position of every segment (flights and ground-only pieces)."""
        n = len(c.time)
        if n == 0:
            return np.zeros(0, np.int64)
        dt = np.diff(c.time) / 1e6
        low = (c.alt < self.low_ft) | np.isnan(c.alt) | c.ground
        gap = (dt > self.gap_any_s) | ((dt > self.gap_low_s) & (low[1:] | low[:-1]))
        cut = np.ones(n, bool)
        cut[1:] = ~c.same_ac | gap | c.new_leg[1:]
        cut |= self._ground_stops(c, cut)
        return np.flatnonzero(cut)

    def _ground_stops(self, c: _Columns, cut: Bools) -> Bools:
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
        for s, e in zip(run_start[stops], run_end[stops], strict=True):
            pauses = np.diff(c.time[s : e + 1])
            at = (
                s + 1 + int(np.argmax(pauses))
                if pauses.max() >= self.stop_s * 1e6
                else (s + e + 1) // 2
            )
            out[at] = True
        return out


@dataclass
class _Columns:
    """The segmenter's view of sorted positions as numpy arrays (NaN for nulls).

    Strings stay in the original Arrow arrays; ``orig`` maps each row back to them, so that
    setting rows aside copies numbers only, and step distances are reused where rows stay
    neighbours."""

    icao24: pa.Array
    callsign: pa.Array
    orig: Ints
    ac: Ints
    time: Ints
    lat: Floats
    lon: Floats
    alt: Floats
    gs: Floats
    track: Floats
    vrate: Floats
    on_ground: Bools
    ground: Bools
    new_leg: Bools
    same_ac: Bools
    step: Floats

    @classmethod
    def of(cls, t: pa.Table) -> _Columns:
        def num(name: str) -> Floats:
            return np.asarray(t.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)

        def flag(name: str) -> Bools:
            arr = pc.fill_null(t.column(name), False)
            return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)

        icao = t.column("icao24").combine_chunks()
        n = len(icao)
        same = np.zeros(max(n - 1, 0), bool)
        if n > 1:
            same = np.asarray(
                pc.equal(icao.slice(1), icao.slice(0, n - 1)).to_numpy(zero_copy_only=False), bool
            )
        baro = num("alt_baro_ft")
        alt = np.where(np.isnan(baro), num("alt_geom_ft"), baro)
        gs = num("gs_kt")
        on_ground = flag("on_ground")
        unknown = np.asarray(t.column("on_ground").is_null().to_numpy(zero_copy_only=False), bool)
        # real on-ground flags are noisy: trust them only at landing-roll speeds and not high;
        # a feed with no flag (FR24) reports 0 ft and a crawl on the ground
        ground = (on_ground & ~(gs > GROUND_MAX_KT) & ~(alt > 15_000.0)) | (
            unknown & (alt <= 0) & (gs <= 50)
        )
        lat, lon = num("lat"), num("lon")
        return cls(
            icao24=icao,
            callsign=t.column("callsign").combine_chunks(),
            orig=np.arange(n),
            ac=np.concatenate(([0], np.cumsum(~same))) if n else np.zeros(0, np.int64),
            time=np.asarray(t.column("time").cast(pa.int64()).to_numpy(), dtype=np.int64),
            lat=lat,
            lon=lon,
            alt=alt,
            gs=gs,
            track=num("track_deg"),
            vrate=num("vrate_fpm"),
            on_ground=on_ground,
            ground=ground,
            new_leg=flag("new_leg"),
            same_ac=same,
            step=step_m(lat, lon) if n > 1 else np.zeros(0),
        )

    def take(self, idx: Ints) -> _Columns:
        """The rows at ``idx`` (sorted); neighbours' steps are kept where rows stay adjacent."""
        ac = self.ac[idx]
        lat, lon = self.lat[idx], self.lon[idx]
        step = np.zeros(max(len(idx) - 1, 0))
        if len(idx) > 1:
            adjacent = idx[1:] == idx[:-1] + 1
            step[adjacent] = self.step[idx[:-1][adjacent]]
            moved = np.flatnonzero(~adjacent)
            if len(moved):
                step[moved] = _pair_steps(lat, lon, moved)
        return _Columns(
            icao24=self.icao24,
            callsign=self.callsign,
            orig=self.orig[idx],
            ac=ac,
            time=self.time[idx],
            lat=lat,
            lon=lon,
            alt=self.alt[idx],
            gs=self.gs[idx],
            track=self.track[idx],
            vrate=self.vrate[idx],
            on_ground=self.on_ground[idx],
            ground=self.ground[idx],
            new_leg=self.new_leg[idx],
            same_ac=ac[1:] == ac[:-1],
            step=step,
        )


def _pair_steps(lat: Floats, lon: Floats, at: Ints) -> Floats:
    """Metres from row ``at`` to row ``at + 1``."""
    return pair_m(lat[at], lon[at], lat[at + 1], lon[at + 1])


def _set_aside(c: _Columns, s: Segmenter) -> tuple[Bools, list[tuple[Ints, str]]]:
    """Keep-mask and reasons: repeated times, stale repeated fixes, then spoofed jumps
    (impossible out and back)."""
    n = len(c.time)
    keep = np.ones(n, bool)
    reasons: list[tuple[Ints, str]] = []
    if n < 2:
        return keep, reasons
    repeat = np.zeros(n, bool)
    repeat[1:] = c.same_ac & (np.diff(c.time) == 0)
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


def _stale_repeats(c: _Columns, s: Segmenter) -> Bools:
    """Rows repeating the same latitude/longitude as the row that began the run but with an
    altitude more than ``stale_alt_ft`` away: a feed re-sending an old fix (OpenSky does) while
    the altitude field goes on changing or turns to junk."""
    n = len(c.time)
    same_pos = np.zeros(n, bool)
    same_pos[1:] = c.same_ac & (np.diff(c.lat) == 0) & (np.diff(c.lon) == 0)
    run_first = np.maximum.accumulate(np.where(same_pos, 0, np.arange(n)))
    base = c.alt[run_first]
    with np.errstate(invalid="ignore"):
        moved = np.abs(c.alt - base) > s.stale_alt_ft
    # or an altitude the fix never had (a ground fix re-sent with a cruise level)
    appeared = np.isnan(base) & ~np.isnan(c.alt)
    return np.asarray(same_pos & (moved | appeared))


def _impossible(c: _Columns, i: Ints, j: Ints, s: Segmenter) -> Bools:
    """True where going from row i to row j needs more than ``max_speed_kt``."""
    dist = haversine_m(c.lat[i], c.lon[i], c.lat[j], c.lon[j])
    dt = np.maximum((c.time[j] - c.time[i]) / 1e6, 0.5)
    return np.asarray((dist > s.spoof_min_km * 1000) & (dist / dt > s.max_speed_kt * KT_TO_MS))


def _spoofed(c: _Columns, s: Segmenter) -> Bools:
    """Rows of an excursion: between an impossible jump away and an impossible jump back when
    the rows around it agree with each other, or cut off at a track's end by a lone jump (the
    shorter side is the wrong one). Impossible jumps are rare, so the walk over them is short."""
    n = len(c.time)
    out = np.zeros(n, bool)
    if n < 3:
        return out
    dt = np.maximum(np.diff(c.time) / 1e6, 0.5)
    edge = np.zeros(n, bool)  # edge[i]: the step from i-1 to i is impossible
    edge[1:] = (
        c.same_ac & (c.step > s.spoof_min_km * 1000) & (c.step / dt > s.max_speed_kt * KT_TO_MS)
    )
    e = np.flatnonzero(edge)
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


def _aside_table(table: pa.Table, keep: Bools, reasons: list[tuple[Ints, str]]) -> pa.Table:
    parts = []
    for idx, why in reasons:
        if len(idx):
            rows = table.select(["icao24", "time", "lat", "lon"]).take(pa.array(idx))
            parts.append(rows.append_column("reason", pa.repeat(why, len(idx))))
    if not parts:
        return SET_ASIDE_SCHEMA.empty_table()
    return pa.concat_tables(parts).cast(SET_ASIDE_SCHEMA)


def _reduce(
    ufunc: np.ufunc, values: npt.NDArray[Any], starts: Ints, ends: Ints
) -> npt.NDArray[Any]:
    """``ufunc`` reduced over each [start, end] range alone (ranges may leave rows out between
    them, which a plain ``reduceat`` over the starts would fold into the previous range)."""
    if not len(starts):
        return np.zeros(0, values.dtype)
    padded = np.append(values, values[-1:])  # lets the last range end at len(values)
    bounds = np.empty(2 * len(starts), np.int64)
    bounds[0::2], bounds[1::2] = starts, ends + 1
    return np.asarray(ufunc.reduceat(padded, bounds)[0::2])


def _first_valid(valid: Bools, starts: Ints, ends: Ints) -> Ints:
    """Per segment, the index of its first row where ``valid`` holds, or -1."""
    n = len(valid)
    first = _reduce(np.minimum, np.where(valid, np.arange(n), n), starts, ends)
    return np.where(first <= ends, first, -1)


def _last_valid(valid: Bools, starts: Ints, ends: Ints) -> Ints:
    """Per segment, the index of its last row where ``valid`` holds, or -1."""
    last = _reduce(np.maximum, np.where(valid, np.arange(len(valid)), -1), starts, ends)
    return np.where(last >= starts, last, -1)


def _trend(c: _Columns, at: Ints, other: Ints) -> Floats:
    """Vertical rate at ``at`` (ft/min), else the altitude change towards ``other``."""
    dt = (c.time[at] - c.time[other]) / 6e7
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(dt != 0, (c.alt[at] - c.alt[other]) / dt, np.nan)
    return np.where(np.isnan(c.vrate[at]), slope, c.vrate[at])


def _flights(c: _Columns, starts: Ints, s: Segmenter) -> tuple[pa.Table, Ints]:
    """One row per segment that flew and is not noise (ground-only ones kept as sightings),
    and the rows of the noise legs dropped."""
    n = len(c.time)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return _flight_table(c, empty, empty, {}), empty
    ends = np.append(starts[1:], n) - 1
    step = np.zeros(n)
    step[1:] = c.step
    step[starts] = 0.0
    path_km = np.add.reduceat(step, starts) / 1000
    duration = (c.time[ends] - c.time[starts]) / 1e6
    airborne = np.add.reduceat((~c.ground).astype(np.int64), starts) > 0
    noise = (duration < s.min_duration_s) & (path_km < s.min_distance_km)
    # ground-only segments stay as sightings (where an aircraft reappeared); not flights
    keep = (airborne & ~noise & (ends > starts)) | ~airborne
    dropped = np.flatnonzero(~keep)
    noise_rows = (
        np.concatenate([np.arange(starts[i], ends[i] + 1) for i in dropped])
        if len(dropped)
        else np.zeros(0, np.int64)
    )
    # reduce over every segment first: reduceat spans from one start to the next
    max_alt = np.maximum.reduceat(np.where(np.isnan(c.alt), -np.inf, c.alt), starts)
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
        "first_trend": _trend(c, starts, np.minimum(starts + 1, ends)),
        "last_trend": _trend(c, ends, np.maximum(ends - 1, starts)),
    }
    return _flight_table(c, starts, ends, extra), noise_rows


def _times_at(c: _Columns, at: Floats | None) -> pa.Array:
    """Times at row indices (-1 = none) as a nullable timestamp column."""
    idx = np.zeros(0, np.int64) if at is None else at.astype(np.int64)
    values = c.time[np.maximum(idx, 0)] if len(c.time) else np.zeros(0, np.int64)
    return pa.array(values, pa.timestamp("us", tz="UTC"), mask=idx < 0)


def _flight_table(c: _Columns, starts: Ints, ends: Ints, extra: dict[str, Floats]) -> pa.Table:
    def pick(arr: Floats, at: Ints) -> pa.Array:
        return pa.array(arr[at], pa.float64(), mask=np.isnan(arr[at]))

    start_ts = pa.array(c.time[starts], pa.timestamp("us", tz="UTC"))
    icao = c.icao24.take(pa.array(c.orig[starts]))
    has_call = np.asarray(c.callsign.is_valid())[c.orig] if len(c.time) else np.zeros(0, bool)
    first_call = _first_valid(has_call, starts, ends) if len(c.time) else starts
    callsign = c.callsign.take(pa.array(c.orig[np.where(first_call >= 0, first_call, 0)]))
    callsign = pc.if_else(pa.array(first_call >= 0), callsign, pa.scalar(None, pa.string()))
    whole_s = pc.cast(start_ts, pa.timestamp("s", tz="UTC"), safe=False)
    flight_id = pc.binary_join_element_wise(icao, pc.strftime(whole_s, "%Y%m%dT%H%M%SZ"), "-")
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
        "max_alt_ft": pick(
            np.where(
                np.isinf(extra.get("max_alt_ft", np.zeros(0))),
                np.nan,
                extra.get("max_alt_ft", np.zeros(0)),
            ),
            np.arange(len(starts)),
        ),
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
        cols[f"{side}_track_deg"] = pick(
            np.append(c.track, np.nan), np.where(tat >= 0, tat, len(c.track))
        )
        cols[f"{side}_vrate_fpm"] = pick(
            extra.get(f"{side}_trend", np.zeros(0)), np.arange(len(at))
        )
        cols[f"{side}_ground"] = pa.array(c.ground[at], pa.bool_())
    return pa.table(cols)
