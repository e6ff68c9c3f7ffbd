"""Properties of the flight cut: the same flights whatever the row order and however rows are
repeated, on built itineraries with random parameters; junk positions never raise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basewatch import Store
from basewatch.flights import EndpointFinder, Segmenter
from basewatch.model import RAW_SCHEMA
from tests.track_store import flights_of, insert, set_aside_of, shuffled
from tests.tracks import T0, Track

#: Fields of the eastern Mediterranean, a few hundred km apart.
FIELDS = ("OSLK", "OSDI", "LCRA", "OLBA", "LLBG")
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def itineraries(draw: st.DrawFn) -> Track:
    """One aircraft flying 1-3 legs between real fields: random altitudes, ground stops,
    coverage holes, dark approaches, report spacing and start time."""
    legs = draw(st.integers(1, 3))
    route = [draw(st.sampled_from(FIELDS))]
    for _ in range(legs):
        route.append(draw(st.sampled_from([f for f in FIELDS if f != route[-1]])))
    start = T0 + draw(st.integers(0, 86_400 * 365))
    spacing = draw(st.sampled_from([(1.0, 10.0), (2.0, 20.0)]))
    t = Track(seed=draw(st.integers(0, 2**16)), start=start, spacing=spacing)
    t.at(route[0]).taxi(draw(st.floats(1, 5)))
    for to in route[1:]:
        dark = draw(st.sampled_from([None, 1_500.0, 3_000.0]))
        t.hop(to, cruise_ft=draw(st.integers(8, 35)) * 1_000, dark_below_agl_ft=dark)
        if dark is not None:
            t.gap(draw(st.floats(10, 300))).appear()
        t.taxi(draw(st.floats(1, 4))).park(draw(st.floats(0.5, 90)))
    return t


def _keys(flights: list[dict[str, Any]]) -> list[tuple[object, ...]]:
    return [
        (
            f["flight_id"],
            f["n_positions"],
            f["takeoff_airport"],
            f["landing_airport"],
            f["takeoff_inferred"],
            f["landing_inferred"],
            f["takeoff_confidence"],
            f["landing_confidence"],
        )
        for f in flights
    ]


def _build(*tables: pa.Table) -> tuple[list[dict[str, Any]], int]:
    with Store.open(":memory:") as store:
        insert(store, *tables)
        return flights_of(store), len(set_aside_of(store))


@SLOW
@given(itineraries(), st.integers(0, 2**16))
def test_flights_do_not_depend_on_row_order(track: Track, seed: int) -> None:
    rows = track.table()
    ordered, _ = _build(rows)
    assert ordered, "a built itinerary has at least one flight"
    assert _keys(_build(shuffled(rows, seed))[0]) == _keys(ordered)


@SLOW
@given(itineraries(), st.data())
def test_flights_do_not_depend_on_repeated_rows(track: Track, data: st.DataObject) -> None:
    rows = track.table()
    ordered, aside = _build(rows)
    picks = data.draw(st.lists(st.integers(0, rows.num_rows - 1), min_size=1, max_size=200))
    again = rows.take(pa.array(picks, pa.int64()))
    repeated, aside_repeated = _build(shuffled(pa.concat_tables([rows, again])))
    assert _keys(repeated) == _keys(ordered)
    assert aside_repeated == aside + len(picks)


def _sorted(t: pa.Table) -> pa.Table:
    return t.sort_by([("icao24", "ascending"), ("time", "ascending")])


@SLOW
@given(itineraries(), st.data())
def test_segmenter_alone_is_order_and_repeat_invariant(track: Track, data: st.DataObject) -> None:
    """Without the store: the segmenter on sorted input gives the same flight table (every
    column) for any permutation with repeated rows, once sorted."""
    rows = track.table()
    picks = data.draw(st.lists(st.integers(0, rows.num_rows - 1), max_size=50))
    mixed = shuffled(pa.concat_tables([rows, rows.take(pa.array(picks, pa.int64()))]))
    flights, aside = Segmenter().segment(_sorted(rows))
    flights2, aside2 = Segmenter().segment(_sorted(mixed))
    assert flights2.equals(flights)
    assert aside2.num_rows == aside.num_rows + len(picks)


# -- junk ------------------------------------------------------------------------------------
def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


JUNK_ROW = st.fixed_dictionaries(
    {
        "time": st.integers(0, 36 * 3600).map(
            lambda s: datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
        ),
        "icao24": st.sampled_from(["15a3c2", "4d2271", "~1a2b3c", "000000"]),
        "callsign": _maybe(st.sampled_from(["RFF7001", "X", ""])),
        "lat": st.one_of(st.floats(-90, 90), st.sampled_from([-90.0, 90.0, 0.0])),
        "lon": st.one_of(st.floats(-180, 180), st.sampled_from([-180.0, 180.0, 0.0])),
        "alt_baro_ft": _maybe(st.integers(-2_000, 80_000)),
        "alt_geom_ft": _maybe(st.integers(-2_000, 80_000)),
        "gs_kt": _maybe(st.floats(0, 2_000, width=32)),
        "track_deg": _maybe(st.floats(0, 360, width=32, exclude_max=True)),
        "vrate_fpm": _maybe(st.floats(-20_000, 20_000, width=32)),
        "on_ground": _maybe(st.booleans()),
        "squawk": st.none(),
        "pos_source": st.just("adsb"),
        "new_leg": _maybe(st.booleans()),
        "stale": _maybe(st.booleans()),
    }
)
#: Junk close together near Hmeimim (ground runs, jumps, repeated times), with far outliers.
NEAR_ROW = JUNK_ROW.flatmap(
    lambda row: st.fixed_dictionaries(
        {
            **{k: st.just(v) for k, v in row.items()},
            "time": st.integers(0, 1_800).map(
                lambda s: datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=s)
            ),
            "icao24": st.sampled_from(["15a3c2", "4d2271"]),
            "lat": st.one_of(st.floats(35.3, 35.5), st.floats(-90, 90)),
            "lon": st.one_of(st.floats(35.85, 36.05), st.floats(-180, 180)),
            "gs_kt": _maybe(st.floats(0, 60, width=32)),
            "alt_baro_ft": _maybe(st.integers(0, 3_000)),
        }
    )
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(JUNK_ROW, NEAR_ROW), max_size=80))
def test_junk_positions_never_raise(rows: list[dict[str, Any]]) -> None:
    table = _sorted(pa.Table.from_pylist(rows, schema=RAW_SCHEMA))
    flights, aside = Segmenter().segment(table)
    assert aside.num_rows <= table.num_rows
    assert (pc.sum(flights.column("n_positions")).as_py() or 0) <= table.num_rows
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    out = EndpointFinder().attribute(con, flights)
    assert out.num_rows <= flights.num_rows
    for column in ("takeoff_confidence", "landing_confidence"):
        values = [v for v in out.column(column).to_pylist() if v is not None]
        assert all(0 < v <= 1 for v in values)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(JUNK_ROW, NEAR_ROW), max_size=80))
def test_junk_positions_build_in_a_store(rows: list[dict[str, Any]]) -> None:
    with Store.open(":memory:") as store:
        insert(store, pa.Table.from_pylist(rows, schema=RAW_SCHEMA))
        flights = flights_of(store)
        stored = store.con.execute("SELECT count(*) FROM flights").fetchall()[0][0]
    assert stored == len(flights)
