"""Incremental flights equal a full rebuild over the same positions, wherever the new data
starts: mid-flight, between flights, on the ground, during a dark approach, or out of order."""

from __future__ import annotations

import itertools

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basewatch import FlightBuilder, Store
from basewatch.flights.incremental import FlightUpdater
from tests.track_store import insert, table
from tests.tracks import Track


def _tracks() -> pa.Table:
    a = Track("15a3c2", "RFF7001").at("UUMU").taxi(3).hop("OSLK").taxi(3).park(90)
    a.taxi(3).hop("HLLB", dark_below_agl_ft=6_000).gap(240, move=False).appear()
    a.at("HLLB").taxi(3).hop("OSLK").taxi(2).park(30)
    a.taxi(2).hop("UUMU").taxi(2)
    b = Track("4b1805", "SWR18").at("LSZH").taxi(4).hop("LFPG").taxi(3)
    b.park(45).taxi(3).hop("LSZH").taxi(2)
    return table([a, b])


TRACKS = _tracks()


def _state(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    flights = store.con.execute("SELECT * FROM flights ORDER BY icao24, start_time").fetchall()
    aside = store.con.execute(
        "SELECT * FROM set_aside ORDER BY icao24, time, reason, lat, lon"
    ).fetchall()
    return flights, aside


def _batch() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with Store.open(":memory:") as store:
        insert(store, TRACKS)
        FlightBuilder().build(store)
        return _state(store)


BATCH = _batch()


def _touched(part: pa.Table) -> pa.Table:
    grouped = part.group_by("icao24").aggregate([("time", "min")])
    return pa.table({"icao24": grouped["icao24"], "since": grouped["time_min"]})


def _incremental(
    parts: list[pa.Table],
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with Store.open(":memory:") as store:
        updater = FlightUpdater()
        for part in parts:
            if part.num_rows == 0:
                continue
            insert(store, part)
            updater.update(store, _touched(part))
        return _state(store)


def _split_by_time(fractions: list[float]) -> list[pa.Table]:
    times = pc.sort_indices(TRACKS, [("time", "ascending")])
    ordered = TRACKS.take(times)
    n = ordered.num_rows
    cuts = [0, *sorted(int(f * n) for f in fractions), n]
    return [ordered.slice(a, b - a) for a, b in itertools.pairwise(cuts)]


def test_batch_has_several_flights_per_aircraft() -> None:
    flights, _ = BATCH
    assert len(flights) >= 6  # the scenario means something


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.62, 0.9])
def test_one_update_equals_the_batch(fraction: float) -> None:
    assert _incremental(_split_by_time([fraction])) == BATCH


def test_a_live_feed_of_small_batches_equals_the_batch() -> None:
    assert _incremental(_split_by_time([i / 40 for i in range(1, 40)])) == BATCH


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(0.01, 0.99), min_size=1, max_size=6))
def test_any_split_in_time_order_equals_the_batch(fractions: list[float]) -> None:
    assert _incremental(_split_by_time(fractions)) == BATCH


def test_late_data_for_an_early_flight_equals_the_batch() -> None:
    parts = _split_by_time([0.3, 0.7])
    # the middle third arrives last (a feed that caught up late)
    assert _incremental([parts[0], parts[2], parts[1]]) == BATCH


def test_updater_builds_everything_when_nothing_was_built() -> None:
    with Store.open(":memory:") as store:
        insert(store, TRACKS)
        FlightUpdater().update(store, _touched(TRACKS))
        assert _state(store) == BATCH
