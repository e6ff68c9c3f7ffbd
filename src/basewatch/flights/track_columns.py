"""Sorted positions as the segmenter's numpy columns: numbers copied once, strings left in
Arrow and reached through ``orig``, step distances kept where rows stay neighbours."""

from __future__ import annotations

from dataclasses import dataclass

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
    def of(cls, t: pa.Table) -> TrackColumns:
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

    def take(self, idx: Ints) -> TrackColumns:
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
        return TrackColumns(
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
