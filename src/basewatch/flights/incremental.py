"""Incremental flights: when positions arrive for some aircraft, recompute only their recent
flights, from a cut chosen so the result equals a full rebuild over the same positions.

New positions can change the flight they fall in or follow (A: the last one starting before the
earliest of them) and what comes after it; A's takeoff looks back at the flight before it (P).
So positions are re-segmented from P's start and flights replaced from A's start. Earlier
flights keep their ends: what follows them (A's first position) does not move.

``extend`` is the watcher's shortcut for an aircraft still flying its last flight: the new
positions are appended to the stored flight from a short window (its last positions and the new
ones) when that window shows nothing the segmenter could act on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.flights.build import ORDER, FlightBuilder, fingerprint
from basewatch.flights.segment import COLUMNS, SET_ASIDE_SCHEMA, TREND_POINTS, Segmenter
from basewatch.flights.set_aside import too_fast
from basewatch.flights.track_columns import Bools, TrackColumns
from basewatch.store import Store, transaction

log = logging.getLogger(__name__)

#: Per touched aircraft: where to replace flights from (A) and where to re-read positions (P);
#: null means "from the beginning".
_CUTS = """
WITH fl AS (
    SELECT f.icao24, f.start_time,
        row_number() OVER (PARTITION BY f.icao24 ORDER BY f.start_time) AS k
    FROM flights f SEMI JOIN bw_touched t USING (icao24)
),
a AS (
    SELECT t.icao24, max(fl.k) FILTER (WHERE fl.start_time <= t.since) AS ka
    FROM bw_touched t LEFT JOIN fl USING (icao24) GROUP BY t.icao24
)
SELECT a.icao24, r.start_time AS replace_from, c.start_time AS compute_from
FROM a
LEFT JOIN fl r ON r.icao24 = a.icao24 AND r.k = a.ka
LEFT JOIN fl c ON c.icao24 = a.icao24 AND c.k = a.ka - 1
"""


@dataclass(frozen=True)
class FlightUpdater:
    """Keeps ``flights`` and ``set_aside`` current as positions arrive (the watcher's path)."""

    builder: FlightBuilder = field(default_factory=FlightBuilder)

    def update(self, store: Store, touched: pa.Table, complete: bool = True) -> pa.Table:
        """Recompute the flights of ``touched`` aircraft (columns ``icao24``, ``since``: their
        earliest new position); returns their flights that were replaced or added.

        ``complete``: no other aircraft has new positions waiting, so the stored flights now
        match the positions (else the next ``FlightBuilder.ensure`` rebuilds them all)."""
        con = store.con
        if not _has_table(store, "flights_build"):
            return self.builder.build(store)
        con.register("bw_touched", touched.select(["icao24", "since"]))
        try:
            cuts = con.sql(_CUTS).to_arrow_table()
        finally:
            con.unregister("bw_touched")
        con.register("bw_cuts", cuts)
        try:
            flights, aside = self._recompute(store)
            self._replace(store, flights, aside, complete)
        finally:
            con.unregister("bw_cuts")
        return flights

    def extend(self, store: Store, touched: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Append the new positions of ``touched`` aircraft to their last stored flight where
        that equals a recompute; returns the flights extended and the ``touched`` rows left
        for ``update``. Only ``path_km`` may then differ from a batch build, in its last bits
        (a sum in another order), so the stored flights are marked incomplete."""
        if not _has_table(store, "flights_build"):  # nothing to extend: update builds
            return pa.table({"icao24": pa.array([], pa.string())}), touched
        if not touched.num_rows:
            return _empty_flights(store), touched
        return _TailExtension(self.builder, store).run(touched)

    def _recompute(self, store: Store) -> tuple[pa.Table, pa.Table]:
        con = store.con
        cols = ", ".join(f"p.{c}" for c in COLUMNS)
        table = con.sql(
            f"SELECT {cols} FROM positions p JOIN bw_cuts c USING (icao24) "
            f"WHERE c.compute_from IS NULL OR p.time >= c.compute_from "
            f"ORDER BY {', '.join('p.' + o for o in ORDER.split(', '))}"
        ).to_arrow_table()
        segments, aside = self.builder.segmenter.segments(table)
        found = self.builder.endpoints.attribute(con, segments)
        con.register("bw_found", found)
        con.register("bw_found_aside", aside.cast(SET_ASIDE_SCHEMA))
        try:
            flights = con.sql(
                "SELECT f.* FROM bw_found f JOIN bw_cuts c USING (icao24) "
                "WHERE c.replace_from IS NULL OR f.start_time >= c.replace_from "
                "ORDER BY f.icao24, f.start_time"
            ).to_arrow_table()
            kept_aside = con.sql(
                "SELECT a.* FROM bw_found_aside a JOIN bw_cuts c USING (icao24) "
                "WHERE c.replace_from IS NULL OR a.time >= c.replace_from"
            ).to_arrow_table()
        finally:
            con.unregister("bw_found")
            con.unregister("bw_found_aside")
        return flights, kept_aside

    def _replace(self, store: Store, flights: pa.Table, aside: pa.Table, complete: bool) -> None:
        con = store.con
        with transaction(con, bw_new_flights=flights, bw_new_aside=aside):
            for table, column in (("flights", "start_time"), ("set_aside", "time")):
                con.execute(
                    f"DELETE FROM {table} t USING bw_cuts c WHERE t.icao24 = c.icao24 "
                    f"AND (c.replace_from IS NULL OR t.{column} >= c.replace_from)"
                )
            con.execute("INSERT INTO flights SELECT * FROM bw_new_flights")
            con.execute("INSERT INTO set_aside SELECT * FROM bw_new_aside")
            con.execute(
                "CREATE OR REPLACE TABLE flights_build AS SELECT ? AS fingerprint",
                [fingerprint(store, self.builder) if complete else "incomplete"],
            )


def _has_table(store: Store, name: str) -> bool:
    rows = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])


#: Per touched aircraft whose new positions all follow its last stored flight, which ended
#: airborne, has no set-aside position near its end and is long enough that the segmenter's
#: "track starts with impossible points" rule is settled: the window to re-read (a few of the
#: flight's last positions and every new one).
_TAILS = """
WITH last AS (
    SELECT f.icao24, f.start_time, f.end_time, f.n_positions, f.airborne, f.last_ground,
        row_number() OVER (PARTITION BY f.icao24 ORDER BY f.start_time DESC) AS r
    FROM flights f SEMI JOIN bw_touched t USING (icao24)
),
tails AS (
    SELECT l.icao24, l.start_time, l.end_time,
        greatest(l.start_time, l.end_time - to_microseconds(greatest($margin_us,
            $lead * (epoch_us(l.end_time) - epoch_us(l.start_time)) / (l.n_positions - 1)
        )::BIGINT)) AS window_from
    FROM last l JOIN bw_touched t USING (icao24)
    WHERE l.r = 1 AND t.since > l.end_time AND l.airborne AND NOT l.last_ground
        AND l.n_positions >= $min_positions
)
SELECT * FROM tails ANTI JOIN (
    SELECT DISTINCT a.icao24 FROM set_aside a JOIN tails t
        ON a.icao24 = t.icao24 AND a.time >= t.window_from
) USING (icao24)
ORDER BY icao24
"""

#: The stored flight with the window's segment appended: its start, first fix and takeoff
#: stay; its end, size and path grow.
_MERGED = """
SELECT w.* REPLACE (
    l.flight_id AS flight_id, coalesce(l.callsign, w.callsign) AS callsign,
    l.start_time AS start_time, l.n_positions + n.new_positions AS n_positions,
    l.liftoff_time AS liftoff_time, l.path_km + n.new_m / 1000 AS path_km,
    greatest(l.max_alt_ft, w.max_alt_ft) AS max_alt_ft,
    l.first_lat AS first_lat, l.first_lon AS first_lon, l.first_alt_ft AS first_alt_ft,
    l.first_gs_kt AS first_gs_kt,
    coalesce(l.first_track_deg, w.first_track_deg) AS first_track_deg,
    l.first_vrate_fpm AS first_vrate_fpm, l.first_ground AS first_ground,
    coalesce(w.last_track_deg, l.last_track_deg) AS last_track_deg)
FROM bw_window_segments w JOIN bw_tail_news n USING (icao24)
JOIN flights l ON l.icao24 = n.icao24 AND l.start_time = n.start_time
ORDER BY icao24
"""

_TAKEOFF = ", ".join(
    f"l.takeoff_{c} AS takeoff_{c}"
    for c in ("airport", "time", "inferred", "confidence", "evidence")
)


@dataclass(frozen=True)
class _TailExtension:
    """Appends new positions to aircraft's last flights where the segmenter would only have
    extended them: in the window (the flight's last ``TREND_POINTS`` + 1 positions or more,
    and the new ones) every position is airborne and every step continues the flight (no
    repeated time or fix, no gap long enough to have landed, no new leg, no impossible jump).
    Then the batch segmenter, fed every position, cuts and sets aside exactly what it did."""

    builder: FlightBuilder
    store: Store
    #: the window reaches back this many mean position intervals, and at least ``margin_s``
    lead: float = 8.0
    margin_s: float = 10.0

    def run(self, touched: pa.Table) -> tuple[pa.Table, pa.Table]:
        """The flights extended, and the rows of ``touched`` left for a recompute."""
        con = self.store.con
        seg = self.builder.segmenter
        con.register("bw_touched", touched.select(["icao24", "since"]))
        try:
            tails = con.sql(
                _TAILS,
                params={
                    "margin_us": int(self.margin_s * 1e6),
                    "lead": self.lead,
                    # settled: no impossible jump within spoof_max_points of the track's start
                    # can change side as the track grows (see set_aside._spoofed)
                    "min_positions": 2 * seg.spoof_max_points + 2,
                },
            ).to_arrow_table()
        finally:
            con.unregister("bw_touched")
        flights = _empty_flights(self.store)
        if tails.num_rows:
            window, new = self._window(tails)
            news = self._news(window, new, tails)
            merged = self._merge(window, news) if news.num_rows else None
            if merged is not None:
                self._write(merged)
                flights = merged
        done = pc.is_in(touched.column("icao24"), flights.column("icao24"))
        return flights, touched.filter(pc.invert(done))

    def _window(self, tails: pa.Table) -> tuple[pa.Table, Bools]:
        """The positions of the tails' windows, sorted as the segmenter wants them, and which
        of them are new (after the stored flight's end)."""
        con = self.store.con
        cols = ", ".join(f"p.{c}" for c in COLUMNS)
        con.register("bw_tails", tails)
        try:
            table = con.sql(
                f"SELECT {cols}, p.time > t.end_time AS bw_new FROM positions p "
                "JOIN bw_tails t USING (icao24) "
                # the constant bound lets the scan skip row groups by their time range
                "WHERE p.time >= t.window_from AND p.time >= $lo "
                f"ORDER BY {', '.join('p.' + o for o in ORDER.split(', '))}",
                params={"lo": pc.min(tails.column("window_from")).as_py()},
            ).to_arrow_table()
        finally:
            con.unregister("bw_tails")
        new = np.asarray(table.column("bw_new").to_numpy(zero_copy_only=False), bool)
        return table.drop_columns(["bw_new"]), new

    def _news(self, window: pa.Table, new: Bools, tails: pa.Table) -> pa.Table:
        """Per aircraft whose window only continues its flight: how many positions are new
        and the metres they add (the step onto the first of them included)."""
        c = TrackColumns.of(window)
        groups = int(c.ac[-1]) + 1 if len(c.ac) else 0
        bad = _breaks(c, self.builder.segmenter)
        count = np.bincount
        old_n = count(c.ac, weights=~new, minlength=groups)
        new_n = count(c.ac, weights=new, minlength=groups)
        bad_n = count(c.ac, weights=bad, minlength=groups)
        into_new = c.same_ac & new[1:]
        new_m = count(c.ac[1:][into_new], weights=c.step[into_new], minlength=groups)
        # the window's last old position must be the stored flight's end
        last_old = np.full(groups, -1, np.int64)
        np.maximum.at(last_old, c.ac[~new], c.time[~new])
        first_row = np.searchsorted(c.ac, np.arange(groups))
        icao = c.icao24.take(pa.array(c.source(first_row)))
        ends = pc.index_in(icao, tails.column("icao24").combine_chunks())
        end_us = tails.column("end_time").cast(pa.int64()).take(ends).to_numpy()
        ok = (bad_n == 0) & (old_n > TREND_POINTS) & (new_n > 0) & (last_old == end_us)
        keep = np.flatnonzero(ok)
        return pa.table(
            {
                "icao24": icao.take(pa.array(keep)),
                "start_time": tails.column("start_time").take(ends).take(pa.array(keep)),
                "new_positions": pa.array(new_n[keep].astype(np.int64)),
                "new_m": pa.array(new_m[keep]),
            }
        )

    def _merge(self, window: pa.Table, news: pa.Table) -> pa.Table | None:
        """The extended flights in the ``flights`` table's shape, landings attributed again."""
        con = self.store.con
        mine = window.filter(pc.is_in(window.column("icao24"), news.column("icao24")))
        # a window can be short: it is not a noise leg, it continues a flight that is not
        segmenter = replace(self.builder.segmenter, min_duration_s=0.0, min_distance_km=0.0)
        segments, aside = segmenter.segments(mine)
        if aside.num_rows or segments.num_rows != news.num_rows:  # _breaks missed a cut
            log.warning("a continuing window was cut: recomputing those flights instead")
            return None
        con.register("bw_window_segments", segments)
        con.register("bw_tail_news", news)
        try:
            merged = con.sql(_MERGED).to_arrow_table()
            attributed = self.builder.endpoints.attribute(con, merged)
            con.register("bw_attributed", attributed)
            # the takeoff looks back at the flight before; neither it nor the first fix moved
            out: pa.Table = con.sql(
                f"SELECT m.* REPLACE ({_TAKEOFF}) FROM bw_attributed m "
                "JOIN flights l USING (icao24, start_time) ORDER BY icao24"
            ).to_arrow_table()
        finally:
            for name in ("bw_window_segments", "bw_tail_news", "bw_attributed"):
                con.unregister(name)
        return out

    def _write(self, flights: pa.Table) -> None:
        con = self.store.con
        with transaction(con, bw_extended=flights):
            con.execute(
                "DELETE FROM flights f USING bw_extended e "
                "WHERE f.icao24 = e.icao24 AND f.start_time = e.start_time"
            )
            con.execute("INSERT INTO flights SELECT * FROM bw_extended")
            con.execute(
                "CREATE OR REPLACE TABLE flights_build AS SELECT 'incomplete' AS fingerprint"
            )


def _breaks(c: TrackColumns, s: Segmenter) -> Bools:
    """Per position, True where the segmenter could act: on the ground, or (from an aircraft's
    second window position on) a repeated time or fix, a gap long enough to have landed, a new
    leg, an impossible jump."""
    bad = c.ground.copy()
    if len(c.time) < 2:
        return bad
    dt_s = c.dt / 1e6
    low = (c.alt < s.low_ft) | np.isnan(c.alt) | c.ground
    gap = (dt_s > s.gap_any_s) | ((dt_s > s.gap_low_s) & (low[1:] | low[:-1]))
    same_fix = (np.diff(c.lat) == 0) & (np.diff(c.lon) == 0)
    pair = (dt_s <= 0) | same_fix | gap | c.new_leg[1:] | too_fast(c, s)
    bad[1:] |= c.same_ac & pair
    return bad


def _empty_flights(store: Store) -> pa.Table:
    table: pa.Table = store.con.sql("SELECT * FROM flights LIMIT 0").to_arrow_table()
    return table
