"""The fast paths of the flights build give what the plain ones give: a store clustered by
aircraft and time (with or without positions ingested since) builds the same flights as one
never clustered; a head that is not in order is noticed; the vectorised airport rules equal the
original SQL; the candidate search, the track steps, the great-circle distances, the flight
ids' stamps and the stale-fix runs equal their plain definitions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basewatch import FlightBuilder, Store
from basewatch.flights import geo
from basewatch.flights.candidates import airport_index, hav_km, near
from basewatch.flights.endpoints import EndpointFinder
from basewatch.flights.geo import KT_TO_MS
from basewatch.flights.position_reader import ORDER, merged, sorted_tables, whole_aircraft
from basewatch.flights.segment import (
    COLUMNS,
    OutOfOrder,
    Segmenter,
    _first_valid,
    _first_valid_dense,
    _last_valid,
    _last_valid_dense,
    _reduce,
    _step_sums,
    _utc_stamps,
)
from basewatch.flights.set_aside import _stale_repeats, too_fast
from basewatch.flights.track_columns import TrackColumns
from basewatch.store.cluster import ARROW_ORDER, cluster_positions, clustered_rows, in_order
from tests.endpoints_reference import ReferenceEndpoints
from tests.track_store import insert, shuffled, table
from tests.tracks import Track, destination, field

State = tuple[list[tuple[object, ...]], list[tuple[object, ...]]]


def _tracks() -> list[pa.Table]:
    """Three aircraft: hops with ground stops, a dark approach seen again on the ground, dark
    both ways, a spoofed jump and a repeated time; as three ingests."""
    a = Track("15a3c2", "RFF7001").at("UUMU").taxi(3).hop("OSLK").taxi(3).park(90)
    a.taxi(3).hop("HLLB", dark_below_agl_ft=6_000).gap(240, move=False).appear()
    a.at("HLLB").taxi(3).hop("OSLK").taxi(2)
    b = Track("4b1805", "SWR18").at("LSZH").taxi(4).hop("LFPG").taxi(3)
    b.park(45).taxi(3).spoof(points=2).hop("LSZH").taxi(2)
    oslk = field("OSLK")
    lat, lon = destination(oslk.lat, oslk.lon, 270, 10)
    c = Track("aaaaaa").at("OSDI").taxi(3).hop("OSLK", dark_below_agl_ft=2_500)
    c.gap(40, move=False).at((lat, lon), alt_ft=oslk.elevation_ft + 2_500, heading=270)
    c.appear().climb(12_000, toward="OSDI").cruise(to="OSDI", stop_km=30).land("OSDI")
    rows = table([a, b, c])
    repeat = rows.slice(500, 3)  # the same times again, other positions: set aside
    at = repeat.schema.get_field_index("lat")
    moved = repeat.set_column(at, "lat", pc.add(repeat.column("lat"), 0.001))
    everything = shuffled(pa.concat_tables([rows, moved.cast(rows.schema)]), seed=3)
    third = everything.num_rows // 3
    return [everything.slice(0, third), everything.slice(third, third), everything.slice(2 * third)]


PARTS = _tracks()


def _state(store: Store) -> State:
    flights = store.con.execute("SELECT * FROM flights ORDER BY icao24, start_time").fetchall()
    aside = store.con.execute(
        "SELECT * FROM set_aside ORDER BY icao24, time, reason, lat, lon"
    ).fetchall()
    return flights, aside


def _plain() -> State:
    with Store.open(":memory:") as store:
        for part in PARTS:
            insert(store, part)
        FlightBuilder(cluster=False, workers=1).build(store)
        return _state(store)


PLAIN = _plain()


def test_the_tracks_make_flights_and_set_positions_aside() -> None:
    flights, aside = PLAIN
    assert len(flights) == 3 + 2 + 2  # the hops of a, b and c (c's dark one, then on)
    reasons = {row[-1] for row in aside}
    assert "duplicate time" in reasons
    assert any(r.startswith("impossible jump") for r in reasons)


@pytest.mark.parametrize("ingested_after", [0, 1, 2])
def test_a_clustered_store_builds_the_same_flights(ingested_after: int) -> None:
    """Clustered after the first ``3 - ingested_after`` ingests; the rest come after it and
    are merged in by the build."""
    with Store.open(":memory:") as store:
        for part in PARTS[: len(PARTS) - ingested_after]:
            insert(store, part)
        head = cluster_positions(store.con)
        for part in PARTS[len(PARTS) - ingested_after :]:
            insert(store, part)
        assert clustered_rows(store.con) == head
        assert store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0] > head or (
            not ingested_after
        )
        FlightBuilder(cluster=False, workers=2, bucket_positions=700).build(store)
        assert _state(store) == PLAIN
        assert clustered_rows(store.con) == head  # nothing found out of order


def test_a_build_clusters_a_store_that_mostly_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("basewatch.flights.build.UNCLUSTERED_MIN", 0)
    with Store.open(":memory:") as store:
        for part in PARTS:
            insert(store, part)
        FlightBuilder().build(store)
        total = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
        assert clustered_rows(store.con) == total
        assert _state(store) == PLAIN


@pytest.mark.parametrize("slice_positions", [10**9, 700])
def test_clustering_keeps_every_row_and_the_constraints(
    slice_positions: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In one sort or address range by address range, the same rows in ``ORDER``."""
    monkeypatch.setattr("basewatch.store.cluster.SLICE_POSITIONS", slice_positions)
    with Store.open(":memory:") as store:
        for part in PARTS:
            insert(store, part)
        con = store.con
        con.execute("CREATE TEMP TABLE before AS SELECT * FROM positions")
        ddl = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'positions'")
        ddl_before = ddl.fetchall()
        assert cluster_positions(con) == con.execute("SELECT count(*) FROM before").fetchall()[0][0]
        for a, b in (("positions", "before"), ("before", "positions")):
            assert not con.execute(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}").fetchall()
        assert (
            con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'positions'").fetchall()
            == ddl_before
        )
        by_rowid = con.execute("SELECT icao24, time FROM positions ORDER BY rowid").fetchall()
        assert (
            by_rowid
            == con.execute(f"SELECT icao24, time FROM positions ORDER BY {ORDER}").fetchall()
        )


def test_a_store_already_in_order_is_recorded_not_rewritten() -> None:
    """Rows inserted in ``ORDER`` (as per-aircraft files leave them) are only recorded."""
    with Store.open(":memory:") as store:
        rows = pa.concat_tables(PARTS)
        insert(store, rows.take(pc.sort_indices(rows, ARROW_ORDER, null_placement="at_end")))
        oid = "SELECT table_oid FROM duckdb_tables() WHERE table_name = 'positions'"
        before = store.con.execute(oid).fetchall()
        assert cluster_positions(store.con) == rows.num_rows
        assert store.con.execute(oid).fetchall() == before
        insert(store, PARTS[0])  # and a table out of order is rewritten
        cluster_positions(store.con)
        assert store.con.execute(oid).fetchall() != before


def test_a_head_out_of_order_is_noticed_and_read_sorted() -> None:
    """A head changed behind the record's back (a time moved) builds what a plain read of the
    same rows builds, and the record is dropped."""
    with Store.open(":memory:") as store, Store.open(":memory:") as plain:
        for part in PARTS:
            insert(store, part)
        cluster_positions(store.con)
        n = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
        store.con.execute(
            "UPDATE positions SET time = time - INTERVAL 3 HOUR "
            f"WHERE rowid = {n // 2} OR rowid = {n // 2 + 1}"
        )
        FlightBuilder(cluster=False, bucket_positions=500).build(store)
        assert clustered_rows(store.con) == 0
        rows = store.con.sql("SELECT * EXCLUDE (ingest_id) FROM positions").to_arrow_table()
        insert(plain, rows)
        FlightBuilder(cluster=False).build(plain)
        assert _state(store) == _state(plain)


def test_in_order_looks_at_address_time_and_the_tie_breakers() -> None:
    t = pa.table(
        {
            "icao24": ["a", "a", "a", "b", "b"],
            "time": pa.array([1, 2, 2, 1, 1], pa.timestamp("us", tz="UTC")),
            "lat": [0.0, 1.0, 2.0, 0.0, 0.0],
            "lon": [0.0] * 5,
            "alt_baro_ft": pa.array([1, 1, 1, 5, None], pa.int32()),
            "gs_kt": pa.array([1.0] * 5, pa.float32()),
        }
    )
    assert in_order(t)
    swap = [0, 2, 1, 3, 4]  # a tie out of order by latitude
    assert not in_order(t.take(pa.array(swap)))
    assert not in_order(t.take(pa.array([0, 1, 2, 4, 3])))  # NULLS LAST
    assert not in_order(t.take(pa.array([3, 4, 0, 1, 2])))  # addresses
    assert not in_order(t.take(pa.array([1, 0, 2, 3, 4])))  # times
    # the segmenter's check hands over the columns it holds: the same verdicts
    for rows in ([0, 1, 2, 3, 4], swap, [0, 1, 2, 4, 3], [3, 4, 0, 1, 2], [1, 0, 2, 3, 4]):
        u = t.take(pa.array(rows))
        icao = u.column("icao24").to_pylist()
        same = np.array([x == y for x, y in itertools.pairwise(icao)])
        dt = np.diff(np.asarray(u.column("time").cast(pa.int64()).to_numpy(), np.int64))
        assert in_order(u, same, dt) == in_order(u)


def test_the_segmenter_refuses_a_table_out_of_order_when_asked() -> None:
    """``verify_order`` raises ``OutOfOrder`` on a table whose times go back (the build then
    reads sorted), and changes nothing on a sorted one."""
    table = PARTS[0].sort_by(ARROW_ORDER).select(list(COLUMNS))
    flights, _ = Segmenter().segments(table, verify_order=True)
    assert flights.equals(Segmenter().segments(table)[0])
    n = table.num_rows
    with pytest.raises(OutOfOrder):
        Segmenter().segments(table.take(pa.array([*range(1, n), 0])), verify_order=True)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 30), st.booleans()), max_size=80),
    st.integers(1, 12),
    st.integers(1, 12),
)
def test_merged_head_and_tail_are_whole_aircraft_in_order(
    rows: list[tuple[str, int, bool]], head_rows: int, batch: int
) -> None:
    t = pa.table(
        {
            "icao24": pa.array([r[0] for r in rows], pa.string()),
            "time": pa.array([r[1] for r in rows], pa.timestamp("us", tz="UTC")),
            "lat": pa.array([float(i) for i in range(len(rows))], pa.float64()),
            "lon": pa.array([0.0] * len(rows), pa.float64()),
            "alt_baro_ft": pa.array([None] * len(rows), pa.int32()),
            "gs_kt": pa.array([None] * len(rows), pa.float32()),
            "tail": pa.array([r[2] for r in rows], pa.bool_()),
        }
    )

    def ordered(x: pa.Table) -> pa.Table:
        return x.take(pc.sort_indices(x, sort_keys=ARROW_ORDER, null_placement="at_end"))

    head = ordered(t.filter(pc.invert(t.column("tail"))))
    tail = ordered(t.filter(t.column("tail")))
    out = list(merged(whole_aircraft(head.to_batches(batch), head_rows), tail.to_batches(batch), 5))
    assert all(in_order(x) for x in out)
    seen: set[str] = set()
    for x in out:
        here = set(x.column("icao24").to_pylist())
        assert not here & seen  # an address in one table only
        seen |= here
    lats = [x for table in out for x in table.column("lat").to_pylist()]
    assert lats == ordered(t).column("lat").to_pylist()  # every row once, in order


def test_the_airport_rules_equal_the_original_sql(store: Store) -> None:
    """Every column of every flight, evidence included, for the tracks above and a few of
    the airport tests' shapes (overflight, go-around, takeoff first seen climbing out)."""
    for part in PARTS:
        insert(store, part)
    o = field("OSLK")
    lat, lon = destination(o.lat, o.lon, 270, 10)
    more = [
        Track("bbbbbb").at((lat, lon), alt_ft=o.elevation_ft + 2_500, heading=270).climb(9_000),
        Track("cccccc")
        .at("OSDI")
        .taxi(3)
        .takeoff(toward="OSLK")
        .climb(12_000, toward="OSLK")
        .cruise(to="OSLK", stop_km=60)
        .descend(o.elevation_ft + 200, toward="OSLK", gs=250)
        .cruise(to="OSLK", stop_km=2, gs=250)
        .go_dark()
        .cruise(minutes=1, gs=250)
        .climb(9_000, rate=2_500, gs=300)
        .gap(2)
        .appear()
        .cruise(minutes=10),
        Track("dddddd").at("LSZH").taxi(3).takeoff().climb(3_000).go_around("LSZH").land("LSZH"),
    ]
    insert(store, table(more))
    segments = pa.concat_tables(
        [Segmenter().segments(t)[0] for t in sorted_tables(store.con, 1_000_000)]
    )
    ours = EndpointFinder().attribute(store.con, segments)
    reference = ReferenceEndpoints().attribute(store.con, segments)
    assert ours.num_rows == reference.num_rows > 10
    assert ours.schema == reference.schema
    for name in reference.column_names:
        assert ours.column(name).to_pylist() == reference.column(name).to_pylist(), name
    assert pc.sum(ours.column("landing_inferred")).as_py() >= 1


def test_airports_near_a_point_are_those_a_brute_force_finds() -> None:
    ix = airport_index()
    rng = np.random.default_rng(5)
    lat = np.concatenate([rng.uniform(-89.9, 89.9, 300), [89.99, -89.99, 51.0, -33.9]])
    lon = np.concatenate([rng.uniform(-180, 180, 300), [0.0, 170.0, 179.99, -179.99]])
    lat = np.concatenate([lat, ix.lat[::500] + rng.normal(0, 0.2, len(ix.lat[::500]))])
    lon = np.concatenate([lon, ix.lon[::500] + rng.normal(0, 0.2, len(ix.lon[::500]))])
    lon = (lon + 180) % 360 - 180
    for radius in (8.0, 80.0):
        p, a, _ = near(ix, lat, lon, radius)
        got = set(zip(p.tolist(), a.tolist(), strict=True))
        want = set()
        for i in range(len(lat)):
            lat1 = np.full(len(ix.lat), lat[i])
            dist = hav_km(
                lat1,
                np.full(len(ix.lat), lon[i]),
                ix.lat,
                ix.lon,
                np.cos(np.radians(lat1)),
                ix.cos_lat,
            )
            want |= {(i, int(j)) for j in np.flatnonzero(dist <= radius)}
        assert got == want
        assert len(want) > 10  # not a vacuous comparison


def test_track_steps_equal_the_equirectangular_definition_bit_for_bit() -> None:
    """``geo.step_m`` is the plain formula (degrees, longitude steps wrapped into ±180°,
    cosine of the mean latitude in single precision) bit for bit, and within 3e-6 of the
    double-precision ``hypot`` in radians."""
    rng = np.random.default_rng(2)
    lat = rng.uniform(-89, 89, 20_000)
    lon = rng.uniform(-180, 180, 20_000)
    lon[::5], lon[1::5], lon[2::11] = 179.9999, -179.9999, 180.0
    dlat = lat[1:] - lat[:-1]
    step = lon[1:] - lon[:-1]
    dlon = np.where(np.abs(step) > 180, (step + 180.0) % 360.0 - 180.0, step)
    assert (np.abs(step) > 180).sum() > 1000  # many steps cross the antimeridian
    mean = (lat[:-1].astype(np.float32) + lat[1:].astype(np.float32)) * np.float32(np.pi / 360)
    plain = np.sqrt(dlat**2 + (dlon * np.cos(mean)) ** 2) * (geo.EARTH_RADIUS_M * np.pi / 180)
    assert np.array_equal(geo.step_m(lat, lon), plain)
    rlat, rlon = np.radians(dlat), np.radians(dlon)
    double = geo.EARTH_RADIUS_M * np.hypot(rlat, rlon * np.cos(np.radians(lat[:-1]) + rlat / 2))
    assert np.allclose(plain, double, rtol=3e-6, atol=0)  # worst near the poles


def test_great_circle_distances_equal_the_sql_formula_bit_for_bit() -> None:
    """``hav_km`` works in place: the same floats as ``bw_hav_km`` written out plainly."""
    rng = np.random.default_rng(3)
    lat1, lon1 = rng.uniform(-90, 90, 20_000), rng.uniform(-180, 180, 20_000)
    lat2, lon2 = lat1 + rng.normal(0, 0.5, 20_000), lon1 + rng.normal(0, 0.5, 20_000)
    lat2[::7] = rng.uniform(-90, 90, len(lat2[::7]))
    cos1, cos2 = np.cos(np.radians(lat1)), np.cos(np.radians(lat2))
    a = (
        np.sin(np.radians(lat2 - lat1) / 2) ** 2
        + cos1 * cos2 * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    plain = 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(1.0, a)))
    assert np.array_equal(hav_km(lat1, lon1, lat2, lon2, cos1, cos2), plain)


def test_flight_id_stamps_are_those_strftime_writes() -> None:
    """The flight id's UTC stamp, built as digits, equals Arrow's strftime of the whole second
    (leap days, year ends, before 1970 and beyond 9999 included)."""
    rng = np.random.default_rng(4)
    us = np.concatenate(
        [
            rng.integers(0, 253_402_300_799_999_999, 5_000),
            [0, 951_782_400_000_000, 951_868_799_999_999, 1_735_689_599_999_999],
        ]
    )
    for values in (us, np.array([-5_000_001, 10]), np.array([253_402_300_800_000_000])):
        whole_s = pc.cast(
            pa.array(values, pa.timestamp("us", tz="UTC")), pa.timestamp("s", tz="UTC"), safe=False
        )
        want = pc.strftime(whole_s, "%Y%m%dT%H%M%SZ")
        assert _utc_stamps(values).equals(want)


def test_stale_fixes_are_found_as_the_run_definition_finds_them() -> None:
    """Rows repeating their run's first fix with an altitude far from (or absent at) that
    first row: the same rows as the whole-array definition, on runs of every shape."""
    rng = np.random.default_rng(8)
    n = 5_000
    lat = np.round(rng.normal(50, 0.01, n), 2)  # coarse: many repeated fixes
    lon = np.where(rng.random(n) < 0.6, 8.0, rng.normal(8, 0.01, n))
    lat[rng.random(n) < 0.5] = 50.0
    alt = np.where(rng.random(n) < 0.2, np.nan, rng.choice([0.0, 900.0, 5_000.0], n))
    t = pa.table(
        {
            "icao24": np.repeat(["abc123", "abc124", "abc125"], [2_000, 1, 2_999]),
            "time": pa.array(np.arange(n) * 1_000_000, pa.timestamp("us", tz="UTC")),
            "lat": lat,
            "lon": lon,
            "alt_baro_ft": pa.array(alt, pa.float64(), mask=np.isnan(alt)),
            "alt_geom_ft": pa.nulls(n, pa.float64()),
            "gs_kt": np.full(n, 100.0),
            "track_deg": np.zeros(n),
            "vrate_fpm": np.zeros(n),
            "on_ground": pa.nulls(n, pa.bool_()),
            "new_leg": pa.nulls(n, pa.bool_()),
            "callsign": pa.nulls(n, pa.string()),
        }
    )
    c, s = TrackColumns.of(t), Segmenter()
    same_pos = np.zeros(n, bool)
    same_pos[1:] = c.same_ac & (np.diff(c.lat) == 0) & (np.diff(c.lon) == 0)
    base = c.alt[np.maximum.accumulate(np.where(same_pos, 0, np.arange(n)))]
    with np.errstate(invalid="ignore"):
        moved = np.abs(c.alt - base) > s.stale_alt_ft
    want = same_pos & (moved | (np.isnan(base) & ~np.isnan(c.alt)))
    assert want.sum() > 50 and (~want & same_pos).sum() > 50  # both kinds of repeat occur
    assert np.array_equal(_stale_repeats(c, s), want)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=60), st.data())
def test_first_and_last_valid_rows_are_those_a_scan_finds(
    flags: list[bool], data: st.DataObject
) -> None:
    """Per segment, the first and last row where a mask holds (-1 where none): the dense path
    (mostly true masks) and the sparse one agree with a plain scan."""
    valid = np.array(flags)
    n = len(valid)
    cuts = sorted(data.draw(st.sets(st.integers(1, n - 1), max_size=n - 1)) if n > 1 else [])
    starts = np.array([0, *cuts], np.int64)
    ends = np.append(starts[1:], n) - 1
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=len(starts), max_size=len(starts))))
    starts, ends = starts[keep], ends[keep]  # segments may leave rows out between them
    want_first = [
        next((i for i in range(a, b + 1) if valid[i]), -1)
        for a, b in zip(starts, ends, strict=True)
    ]
    want_last = [
        next((i for i in range(b, a - 1, -1) if valid[i]), -1)
        for a, b in zip(starts, ends, strict=True)
    ]
    for first, last in ((_first_valid, _last_valid), (_first_valid_dense, _last_valid_dense)):
        assert first(valid, starts, ends).tolist() == want_first
        assert last(valid, starts, ends).tolist() == want_last


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=0, max_size=60), st.data())
def test_step_sums_are_each_segments_own_steps(steps: list[float], data: st.DataObject) -> None:
    """A segment's path is the sum of the steps between its rows (none for one row), the
    last segments included: against a plain sum per segment."""
    step = np.array(steps)
    n = len(step) + 1
    cuts = sorted(data.draw(st.sets(st.integers(1, n - 1), max_size=n - 1)) if n > 1 else [])
    starts = np.array([0, *cuts], np.int64)
    ends = np.append(starts[1:], n) - 1
    want = [math.fsum(step[a:b]) for a, b in zip(starts, ends, strict=True)]
    assert np.allclose(_step_sums(step, starts, ends), want, rtol=1e-12, atol=0)


def test_too_fast_is_the_implied_speed_rule() -> None:
    """``too_fast`` (distance against the distance allowed) flags the steps whose implied speed
    (at least half a second a step) exceeds the limit and that are long enough, within one
    aircraft: the division the rule is written as, on tracks with many of each."""
    rng = np.random.default_rng(7)
    n = 50_000
    t = pa.table(
        {
            "icao24": np.repeat(["a", "b", "c", "d"], n // 4),
            "time": pa.array(
                np.cumsum(rng.integers(0, 20_000_000, n)), pa.timestamp("us", tz="UTC")
            ),
            "lat": 40 + np.cumsum(rng.normal(0, 0.05, n)),
            "lon": np.cumsum(rng.normal(0, 0.05, n)),
            "alt_baro_ft": pa.array(rng.integers(0, 40_000, n), pa.int32()),
            "alt_geom_ft": pa.array([None] * n, pa.int32()),
            "gs_kt": pa.array(rng.uniform(0, 500, n), pa.float32()),
            "track_deg": pa.array(rng.uniform(0, 360, n), pa.float32()),
            "vrate_fpm": pa.array(rng.uniform(-2000, 2000, n), pa.float32()),
            "on_ground": pa.array([False] * n),
            "new_leg": pa.array([None] * n, pa.bool_()),
            "callsign": pa.array([None] * n, pa.string()),
        }
    )
    c = TrackColumns.of(t)
    s = Segmenter()
    seconds = np.maximum(c.dt / 1e6, 0.5)
    want = c.same_ac & (c.step > s.spoof_min_km * 1000) & (c.step / seconds > 1000 * KT_TO_MS)
    got = too_fast(c, s)
    assert np.array_equal(got, want)
    assert 100 < want.sum() < len(want) - 100  # both kinds, and aircraft changes in between


def test_a_head_table_out_of_order_that_takes_tail_rows_is_noticed() -> None:
    """An address moved into a later head table that takes tail rows (sorted together there,
    so the segmenter sees them in order) is still noticed: the build equals a plain one."""
    with Store.open(":memory:") as store, Store.open(":memory:") as plain:
        for part in PARTS[:2]:
            insert(store, part)
        head = cluster_positions(store.con)
        insert(store, PARTS[2])
        ranges = store.con.execute(
            f"SELECT icao24, min(rowid), max(rowid) FROM positions WHERE rowid < {head} "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        moved = (ranges[-1][1] + ranges[-1][2]) // 2  # a row amid the last aircraft's
        store.con.execute(f"UPDATE positions SET icao24 = '{ranges[1][0]}' WHERE rowid = {moved}")
        FlightBuilder(cluster=False, bucket_positions=500, workers=2).build(store)
        assert clustered_rows(store.con) == 0
        rows = store.con.sql("SELECT * EXCLUDE (ingest_id) FROM positions").to_arrow_table()
        insert(plain, rows)
        FlightBuilder(cluster=False).build(plain)
        assert _state(store) == _state(plain)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=40), st.data())
def test_reduce_is_each_ranges_own_reduction(values: list[int], data: st.DataObject) -> None:
    """``_reduce`` over [start, end] ranges that may leave rows out between them and may end at
    the last value: against a plain reduction per range."""
    v = np.array(values, np.int64)
    n = len(v)
    cuts = sorted(data.draw(st.sets(st.integers(0, n), min_size=2, max_size=n + 1)))
    pairs = [(a, b - 1) for a, b in itertools.pairwise(cuts)]
    keep = data.draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    pairs = [p for p, k in zip(pairs, keep, strict=True) if k]
    starts = np.array([a for a, _ in pairs], np.int64)
    ends = np.array([b for _, b in pairs], np.int64)
    want = [v[a : b + 1].max() for a, b in pairs]
    assert _reduce(np.maximum, v, starts, ends).tolist() == want


def test_a_fix_across_the_antimeridian_is_not_a_repeated_fix() -> None:
    """Longitudes 180 and -180 make a zero step, but not the same fix: no stale repeat."""
    t = pa.table(
        {
            "icao24": ["abc123"] * 3,
            "time": pa.array([0, 1_000_000, 2_000_000], pa.timestamp("us", tz="UTC")),
            "lat": [10.0, 10.0, 10.0],
            "lon": [180.0, -180.0, 180.0],
            "alt_baro_ft": pa.array([1_000, 9_000, 1_000], pa.int32()),
            "alt_geom_ft": pa.nulls(3, pa.int32()),
            "gs_kt": pa.array([100.0] * 3, pa.float32()),
            "track_deg": pa.array([90.0] * 3, pa.float32()),
            "vrate_fpm": pa.array([0.0] * 3, pa.float32()),
            "on_ground": [False] * 3,
            "new_leg": pa.nulls(3, pa.bool_()),
            "callsign": pa.nulls(3, pa.string()),
        }
    )
    c = TrackColumns.of(t)
    assert c.step.tolist() == [0.0, 0.0]
    assert not _stale_repeats(c, Segmenter()).any()
