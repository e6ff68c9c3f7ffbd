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


# -- the watcher's shortcut: new positions appended to a still-running flight ----------------

State = tuple[list[tuple[object, ...]], list[tuple[object, ...]]]
#: Column of ``path_km`` in ``flights``: an extended flight adds the new steps to the stored
#: sum, a batch build sums them all at once (numpy's pairwise order), so the last bits differ.
PATH_KM = 9


def _batch_of(rows: pa.Table) -> State:
    with Store.open(":memory:") as store:
        insert(store, rows)
        FlightBuilder().build(store)
        return _state(store)


def _extended(parts: list[pa.Table], each: bool = False) -> tuple[State, int]:
    """Each part stored, then extend where it can and recompute the rest (as the watch
    pipeline does); the state and how many flights were extended. ``each``: after every part,
    the state must equal a batch build of the parts so far (a flight extended wrongly may be
    recomputed whole later, when it lands, and the error gone by the end)."""
    extended = 0
    with Store.open(":memory:") as store:
        updater = FlightUpdater()
        for k, part in enumerate(parts):
            if part.num_rows == 0:
                continue
            insert(store, part)
            flights, rest = updater.extend(store, _touched(part))
            extended += flights.num_rows
            updater.update(store, rest)
            if each and flights.num_rows:
                _assert_equal(_state(store), _batch_of(pa.concat_tables(parts[: k + 1])))
        return _state(store), extended


def _assert_equal(got: State, want: State) -> None:
    """Equal row for row; ``path_km`` to 1e-12 (the order of one sum)."""
    assert got[1] == want[1]
    assert len(got[0]) == len(want[0])
    for g, w in zip(got[0], want[0], strict=True):
        assert g[:PATH_KM] + g[PATH_KM + 1 :] == w[:PATH_KM] + w[PATH_KM + 1 :]
        assert g[PATH_KM] == pytest.approx(w[PATH_KM], rel=1e-12)


def test_extending_a_live_feed_equals_the_batch() -> None:
    state, extended = _extended(_split_by_time([i / 20 for i in range(1, 20)]), each=True)
    assert extended >= 10  # the shortcut is taken: cruise, climb and descent continue flights
    _assert_equal(state, BATCH)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(0.01, 0.99), min_size=1, max_size=12))
def test_extending_any_split_equals_the_batch(fractions: list[float]) -> None:
    _assert_equal(_extended(_split_by_time(fractions))[0], BATCH)


def test_extending_late_data_equals_the_batch() -> None:
    parts = _split_by_time([0.3, 0.7])
    state, extended = _extended([parts[0], parts[2], parts[1]])
    assert extended == 0  # the late third comes before flights' ends: nothing continues
    _assert_equal(state, BATCH)


def _cruise(event: str) -> pa.Table:
    """Twenty minutes of cruise, one thing the segmenter acts on, twenty more minutes."""
    t = Track("3c6444", "DLH4AB", seed=3).at((48.0, 9.0), alt_ft=30_000, heading=90)
    t.cruise(minutes=20)
    if event == "excursion":  # impossible jumps away and back: set aside
        t.spoof(points=3).cruise(minutes=20)
    elif event == "spoofed end":  # the track ends spoofed for a while, then goes on
        t.spoof(points=25).cruise(minutes=0.5).cruise(minutes=20)
    elif event == "new leg":
        t.new_leg().cruise(minutes=20)
    elif event == "low gap":  # long enough, low enough to have landed: a new flight
        t.descend(6_000).gap(8).cruise(minutes=20)
    elif event == "landing":
        t.hop("EDDM").taxi(2).park(5).taxi(2).hop("LOWW")
    return table([t])


@pytest.mark.parametrize("event", ["excursion", "spoofed end", "new leg", "low gap", "landing"])
def test_extension_leaves_what_the_segmenter_acts_on_to_a_recompute(event: str) -> None:
    rows = _cruise(event).sort_by("time")
    want = _batch_of(rows)
    n = rows.num_rows
    # cut every few positions around the event (it starts after 20 min): some part then ends
    # inside it, and the parts before it continue the flight
    times = rows.column("time").cast(pa.int64()).to_pylist()
    start = next(i for i, t in enumerate(times) if t - times[0] > 1_140_000_000)
    cuts = [0, *range(start, min(n, start + 60), 5), n]
    parts = [rows.slice(a, b - a) for a, b in itertools.pairwise(cuts)]
    state, extended = _extended(parts, each=True)
    assert extended > 0
    _assert_equal(state, want)
