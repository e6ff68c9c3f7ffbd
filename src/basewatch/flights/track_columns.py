"""Sorted positions as the segmenter's numpy columns: numbers copied once, strings left in
Arrow and reached through ``orig``, step distances kept where rows stay neighbours."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.flights.geo import pair_m, step_m

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

#: Fastest ground flag trusted: a landing or takeoff roll, not a cruise glitch.
GROUND_MAX_KT = 200.0


@dataclass
class TrackColumns:
    """The segmenter's view of sorted positions as numpy arrays (NaN for nulls).

    Strings stay in the original Arrow arrays; ``orig`` maps each row back to them, so that
    setting rows aside copies numbers only, and step distances are reused where rows stay
    neighbours."""

    icao24: pa.Array
    callsign: pa.Array
    #: row of the original table each row comes from; None while they are the same rows
    orig: Ints | None
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
    #: µs from each row to the next (n - 1 values), which most rules look at
    dt: Ints
    _ac: Ints | None = field(default=None, repr=False)

    @property
    def ac(self) -> Ints:
        """Aircraft number of each row (0, 1, ... in order): counted on first use, as most
        tables never need it."""
        if self._ac is None:
            n = len(self.time)
            self._ac = (
                np.concatenate(([0], np.cumsum(~self.same_ac))) if n else np.zeros(0, np.int64)
            )
        return self._ac

    @classmethod
    def of(cls, t: pa.Table) -> TrackColumns:
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
        baro, geom = t.column("alt_baro_ft"), t.column("alt_geom_ft")
        if baro.type != geom.type or pa.types.is_floating(baro.type):  # hand-built tables
            values = floats(baro)  # NaN counts as missing, as null does
            baro = pa.array(values, pa.float64(), mask=np.isnan(values))
            geom = pc.cast(geom, pa.float64())
        alt = floats(pc.coalesce(baro, geom))
        gs = floats(t.column("gs_kt"))
        on_ground = flag("on_ground")
        unknown = np.asarray(t.column("on_ground").is_null().to_numpy(zero_copy_only=False), bool)
        # real on-ground flags are noisy: trust them only at landing-roll speeds and not high;
        # a feed with no flag (FR24) reports 0 ft and a crawl on the ground
        ground = (on_ground & ~(gs > GROUND_MAX_KT) & ~(alt > 15_000.0)) | (
            unknown & (alt <= 0) & (gs <= 50)
        )
        lat, lon = floats(t.column("lat")), floats(t.column("lon"))
        time = np.asarray(t.column("time").cast(pa.int64()).to_numpy(), dtype=np.int64)
        return cls(
            icao24=icao,
            callsign=t.column("callsign").combine_chunks(),
            orig=None,
            time=time,
            lat=lat,
            lon=lon,
            alt=alt,
            gs=gs,
            track=floats(t.column("track_deg")),
            vrate=floats(t.column("vrate_fpm")),
            on_ground=on_ground,
            ground=ground,
            new_leg=flag("new_leg"),
            same_ac=same,
            step=step_m(lat, lon) if n > 1 else np.zeros(0),
            dt=np.diff(time),
        )

    def source(self, at: Ints) -> Ints:
        """The rows of the original table that rows ``at`` come from."""
        return at if self.orig is None else self.orig[at]

    def take(self, idx: Ints) -> TrackColumns:
        """The rows at ``idx`` (sorted); neighbours' steps are kept where rows stay adjacent."""
        ac = self.ac[idx]
        lat, lon, time = self.lat[idx], self.lon[idx], self.time[idx]
        step = np.zeros(max(len(idx) - 1, 0))
        if len(idx) > 1:
            adjacent = idx[1:] == idx[:-1] + 1
            step[adjacent] = self.step[idx[:-1][adjacent]]
            moved = np.flatnonzero(~adjacent)
            if len(moved):
                step[moved] = _pair_steps(lat, lon, moved)
        return TrackColumns(
            icao24=self.icao24,
            callsign=self.callsign,
            orig=self.source(idx),
            time=time,
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
            dt=np.diff(time),
            _ac=ac,
        )


def floats(column: pa.ChunkedArray | pa.Array) -> Floats:
    """A numeric column as float64 with NaN for nulls (Arrow casts and fills in one pass each;
    numpy's own null handling costs several)."""
    filled = pc.fill_null(pc.cast(column, pa.float64()), np.nan)
    return np.asarray(filled.to_numpy(), np.float64)


def _pair_steps(lat: Floats, lon: Floats, at: Ints) -> Floats:
    """Metres from row ``at`` to row ``at + 1``."""
    return pair_m(lat[at], lon[at], lat[at + 1], lon[at + 1])
