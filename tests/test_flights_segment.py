"""Cutting tracks into flights, one rule of issue 5 per test, on built tracks at real airports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from basewatch import Store
from basewatch.flights import FlightBuilder, Segmenter
from basewatch.flights.geo import haversine_m
from tests.track_store import flights_of, insert, set_aside_of, shuffled
from tests.tracks import Row, Track, destination


def _flights(store: Store, *tracks: Track | pa.Table) -> list[Row]:
    insert(store, *tracks)
    return flights_of(store)


def _ends(flights: list[Row]) -> list[tuple[str | None, str | None]]:
    return [(f["takeoff_airport"], f["landing_airport"]) for f in flights]


def _true_path_km(rows: list[Row]) -> float:
    lat = np.array([r["lat"] for r in rows])
    lon = np.array([r["lon"] for r in rows])
    return float(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum() / 1000)


# -- gaps -------------------------------------------------------------------------------------
def _low_level(gap_minutes: float) -> Track:
    """Hmeimim → Akrotiri at 6,000 ft with a hole in coverage half-way."""
    t = Track().at("OSLK").taxi(3).takeoff(toward="LCRA").climb(6_000, toward="LCRA")
    t.cruise(minutes=10).gap(gap_minutes).cruise(minutes=10)
    return t.cruise(to="LCRA", stop_km=30).land("LCRA").taxi(2)


def _high_level(gap_minutes: float, move: bool = True) -> Track:
    """Hmeimim → Benina at FL350 with a hole in coverage in cruise."""
    t = Track().at("OSLK").taxi(3).takeoff(toward="HLLB").climb(35_000, toward="HLLB")
    t.cruise(minutes=10).gap(gap_minutes, move=move).cruise(minutes=10)
    t.cruise(to="HLLB", stop_km=200).descend(3_000, toward="HLLB")
    return t.land("HLLB").taxi(2)


def test_gap_over_5_min_below_10000_ft_splits(store: Store) -> None:
    flights = _flights(store, _low_level(6))
    assert len(flights) == 2
    assert _ends(flights) == [("OSLK", None), (None, "LCRA")]
    assert flights[1]["start_time"] > flights[0]["end_time"]


def test_gap_under_5_min_below_10000_ft_does_not_split(store: Store) -> None:
    assert _ends(_flights(store, _low_level(4.5))) == [("OSLK", "LCRA")]


@pytest.mark.parametrize("minutes", [5.5, 40, 9.5 * 60])
def test_gap_at_fl350_under_10_h_does_not_split(store: Store, minutes: float) -> None:
    # a 9.5 h hole is flown standing still, so that no jump is implied either
    flights = _flights(store, _high_level(minutes, move=minutes < 60))
    assert _ends(flights) == [("OSLK", "HLLB")]


def test_gap_over_10_h_splits_anywhere(store: Store) -> None:
    flights = _flights(store, _high_level(10.5 * 60, move=False))
    assert _ends(flights) == [("OSLK", None), (None, "HLLB")]


def test_gap_thresholds_are_settings(store: Store) -> None:
    insert(store, _low_level(6))
    assert len(FlightBuilder().build(store)) == 2
    assert len(FlightBuilder(segmenter=Segmenter(gap_low_s=600)).build(store)) == 1


# -- ground stops, touch-and-go, go-around -----------------------------------------------------
def test_ground_stop_makes_two_flights_with_the_field_at_both_ends(store: Store) -> None:
    t = Track().at("OSLK").taxi(3).hop("OSDI").taxi(3).park(20).taxi(3).hop("LCRA").taxi(2)
    flights = _flights(store, t)
    assert _ends(flights) == [("OSLK", "OSDI"), ("OSDI", "LCRA")]
    assert not any(f["takeoff_inferred"] or f["landing_inferred"] for f in flights)
    assert flights[0]["end_time"] < flights[1]["start_time"]


def test_ground_stop_times_are_touchdown_and_liftoff(store: Store) -> None:
    """An arrival at a base is reported with the landing and takeoff times: they must be
    when the wheels touched and left the ground, not somewhere inside the 20 minutes parked."""
    t = Track().at("OSLK").taxi(3).hop("OSDI").taxi(3).park(20).taxi(3).hop("LCRA").taxi(2)
    flights = _flights(store, t)
    changes = [
        (b["time"], b["on_ground"])
        for a, b in zip(t.rows, t.rows[1:], strict=False)
        if a["on_ground"] != b["on_ground"]
    ]
    # liftoff at OSLK, touchdown at OSDI, liftoff at OSDI, touchdown at LCRA
    assert [g for _, g in changes] == [False, True, False, True]
    touchdown, liftoff = changes[1][0], changes[2][0]
    assert abs((flights[0]["landing_time"] - touchdown).total_seconds()) <= 90
    assert abs((flights[1]["takeoff_time"] - liftoff).total_seconds()) <= 90


def test_landing_time_is_touchdown_also_when_a_blip_follows(store: Store) -> None:
    """Landed, taxied in, and an hour later a 30-second airborne blip (dropped as noise): the
    landing is still timed at the touchdown, and the blip does not lend the flight its values."""
    t = Track().at("OSLK").taxi(3).hop("OSDI").taxi(6)
    touchdown = next(
        b["time"]
        for a, b in zip(t.rows, t.rows[1:], strict=False)
        if b["on_ground"] and not a["on_ground"]
    )
    t.gap(60).at((33.0, 36.0), alt_ft=3_000, heading=0).cruise(minutes=0.5, gs=150)
    [f] = _flights(store, t)
    assert (f["takeoff_airport"], f["landing_airport"]) == ("OSLK", "OSDI")
    assert abs((f["landing_time"] - touchdown).total_seconds()) <= 90
    assert f["max_alt_ft"] == 24_000
    assert f["last_track_deg"] != 0.0  # the blip flies north; the taxi never does


def test_short_ground_pause_under_a_minute_is_not_a_stop(store: Store) -> None:
    t = Track().at("OSLK").taxi(3).hop("OSDI").park(0.5, every_s=5).hop("LCRA").taxi(2)
    assert _ends(_flights(store, t)) == [("OSLK", "LCRA")]


@pytest.mark.parametrize("slowest_kt", [110.0, 45.0])
def test_touch_and_go_is_one_flight(store: Store, slowest_kt: float) -> None:
    t = Track().at("OSLK").taxi(3).takeoff(toward="OSDI").climb(8_000, toward="OSDI")
    t.cruise(to="OSDI", stop_km=50).descend(5_000, toward="OSDI")
    t.touch_and_go("OSDI", ground_s=25, slowest_kt=slowest_kt).climb(8_000)
    t.hop("OSLK").taxi(2)
    slow = [r for r in t.rows if r["on_ground"] and r["gs_kt"] <= slowest_kt + 1]
    [flight] = _flights(store, t)
    assert (flight["takeoff_airport"], flight["landing_airport"]) == ("OSLK", "OSLK")
    assert flight["start_time"] < slow[len(slow) // 2]["time"] < flight["end_time"]


def test_go_around_is_one_flight(store: Store) -> None:
    t = Track().at("OSLK").taxi(3).takeoff(toward="OSDI").climb(16_000, toward="OSDI")
    t.cruise(to="OSDI", stop_km=100).descend(5_000, toward="OSDI")
    t.go_around("OSDI", min_agl_ft=150).cruise(minutes=3).land("OSDI").taxi(2)
    assert _ends(_flights(store, t)) == [("OSLK", "OSDI")]


# -- bad positions ---------------------------------------------------------------------------
def _benina(**spoof: object) -> Track:
    t = Track().at("OSLK").taxi(3).takeoff(toward="HLLB").climb(30_000, toward="HLLB")
    t.cruise(minutes=10).spoof(**spoof).cruise(minutes=10)  # type: ignore[arg-type]
    t.cruise(to="HLLB", stop_km=200).descend(3_000, toward="HLLB")
    return t.land("HLLB").taxi(2)


@pytest.mark.parametrize("points", [1, 3])
def test_spoofed_jump_is_set_aside_and_does_not_split(store: Store, points: int) -> None:
    clean = _benina(points=0)
    t = _benina(km=600.0, course=90.0, points=points)
    flights = _flights(store, t)
    assert _ends(flights) == [("OSLK", "HLLB")]
    aside = set_aside_of(store)
    assert len(aside) == points
    assert all("impossible" in a["reason"] for a in aside)
    # the set-aside rows are the displaced ones (600 km from the true track)
    true_at = {r["time"]: r for r in clean.rows}
    for a in aside:
        here = true_at[a["time"]]
        off = haversine_m(*map(np.array, ([here["lat"]], [here["lon"]], [a["lat"]], [a["lon"]])))
        assert 590_000 < off[0] < 610_000
    assert flights[0]["path_km"] == pytest.approx(_true_path_km(clean.rows), rel=0.02)


def test_repeated_spoofing_to_one_place_keeps_the_true_points_between(store: Store) -> None:
    """GPS spoofing in the eastern Mediterranean puts aircraft at one fixed place (here Beirut
    airport) again and again: only the points at that place are wrong."""
    beirut = (33.8209, 35.4884)
    t = Track().at("OSLK").taxi(3).takeoff(toward="HLLB").climb(30_000, toward="HLLB")
    t.cruise(minutes=10).spoof(to=beirut, points=1).cruise(minutes=1)
    t.spoof(to=beirut, points=1).cruise(minutes=10)
    t.cruise(to="HLLB", stop_km=200).descend(3_000, toward="HLLB").land("HLLB").taxi(2)
    flights = _flights(store, t)
    assert _ends(flights) == [("OSLK", "HLLB")]
    aside = set_aside_of(store)
    assert {(a["lat"], a["lon"]) for a in aside} == {beirut}
    assert len(aside) == 2


def _displaced(table: pa.Table, index: int, km: float) -> pa.Table:
    lat, lon = table.column("lat").to_pylist(), table.column("lon").to_pylist()
    lat[index], lon[index] = destination(lat[index], lon[index], 0.0, km)
    table = table.set_column(table.schema.get_field_index("lat"), "lat", pa.array(lat))
    return table.set_column(table.schema.get_field_index("lon"), "lon", pa.array(lon))


@pytest.mark.parametrize("where", ["last", "first"])
def test_impossible_point_at_an_end_of_the_track_is_set_aside(store: Store, where: str) -> None:
    """Issue 5: a jump of 1,000 km in 10 s is set aside — also when the bad point is the first
    or last one of the track (no jump back follows)."""
    t = Track().at("OSLK").taxi(3).hop("OSDI", dark_below_agl_ft=2_500)  # ends in the air
    if where == "first":  # starts in the air, climbing out of Hmeimim
        t = Track().at((35.40, 35.83), alt_ft=2_700, heading=270).climb(16_000)
        t.cruise(to="LCRA", stop_km=80).descend(3_000, toward="LCRA").land("LCRA").taxi(2)
    clean = _flights(store, t)
    with Store.open(":memory:") as other:
        bad = _flights(other, _displaced(t.table(), -1 if where == "last" else 0, 1_000))
        aside = set_aside_of(other)
    assert len(aside) == 1
    assert "impossible" in aside[0]["reason"]
    assert _ends(bad) == _ends(clean)
    assert bad[0]["path_km"] == pytest.approx(clean[0]["path_km"], rel=0.01)


def test_duplicated_rows_give_the_same_flights_and_are_set_aside(store: Store) -> None:
    t = Track().at("OSLK").taxi(3).hop("OSDI").taxi(3).park(20).taxi(3).hop("LCRA").taxi(2)
    once = _flights(store, t)
    with Store.open(":memory:") as other:
        twice = _flights(other, t.table(), t.table())
        aside = set_aside_of(other)
    assert _keys(twice) == _keys(once)
    assert len(aside) == len(t.rows)
    assert {a["reason"] for a in aside} == {"duplicate time"}


def _keys(flights: list[Row]) -> list[tuple[object, ...]]:
    return [
        (
            f["flight_id"],
            f["n_positions"],
            f["takeoff_airport"],
            f["landing_airport"],
            f["takeoff_inferred"],
            f["landing_inferred"],
            round(f["path_km"], 6),
        )
        for f in flights
    ]


def test_out_of_order_input_gives_the_same_flights(store: Store) -> None:
    t = Track().at("OSLK").taxi(3).hop("OSDI").taxi(3).park(20).taxi(3).hop("LCRA").taxi(2)
    ordered = _flights(store, t)
    with Store.open(":memory:") as other:
        assert _keys(_flights(other, shuffled(t.table(), seed=7))) == _keys(ordered)


def test_two_aircraft_interleaved_are_kept_apart(store: Store) -> None:
    a = Track("aaaaaa", "RFF7001").at("OSLK").taxi(3).hop("OSDI").taxi(2)
    b = Track("bbbbbb", "RFF7002", seed=1).at("OSDI").taxi(3).hop("OSLK").taxi(2)
    flights = _flights(store, shuffled(pa.concat_tables([a.table(), b.table()])))
    assert [(f["icao24"], f["callsign"]) for f in flights] == [
        ("aaaaaa", "RFF7001"),
        ("bbbbbb", "RFF7002"),
    ]
    assert _ends(flights) == [("OSLK", "OSDI"), ("OSDI", "OSLK")]


# -- the rest of the rules -------------------------------------------------------------------
def test_midnight_crossing_is_one_flight(store: Store) -> None:
    start = datetime(2024, 3, 1, 23, 20, tzinfo=UTC).timestamp()
    t = Track(start=start).at("OSLK").taxi(3).hop("HLLB", cruise_ft=31_000).taxi(2)
    [flight] = _flights(store, t)
    assert (flight["takeoff_airport"], flight["landing_airport"]) == ("OSLK", "HLLB")
    assert flight["start_time"].date() < flight["end_time"].date()


def test_readsb_new_leg_flag_splits(store: Store) -> None:
    t = Track().at("OSLK").taxi(3).takeoff(toward="HLLB").climb(30_000, toward="HLLB")
    t.cruise(minutes=10).new_leg().cruise(to="HLLB", stop_km=200)
    t.descend(3_000, toward="HLLB").land("HLLB").taxi(2)
    flights = _flights(store, t)
    assert _ends(flights) == [("OSLK", None), (None, "HLLB")]
    flagged = next(r["time"] for r in t.rows if r["new_leg"])
    assert flights[1]["start_time"] == flagged


def test_noise_legs_are_dropped(store: Store) -> None:
    blip = Track("15a3c2", "BLIP").at((34.5, 35.0), alt_ft=3_000, heading=90)
    blip.cruise(minutes=0.5, gs=150)  # 30 s, ~2 km
    real = Track(start=blip.t + 7_200).at("OSLK").taxi(3).hop("OSDI").taxi(2)
    flights = _flights(store, blip, real)
    assert _ends(flights) == [("OSLK", "OSDI")]
    # dropped as a flight, never lost: its positions are set aside with the reason
    aside = set_aside_of(store)
    assert len(aside) == len(blip.rows)
    assert all(a["reason"].startswith("noise leg") for a in aside)


def test_short_but_long_distance_legs_are_not_noise(store: Store) -> None:
    # 2 minutes at 450 kt is 28 km: a real piece of a flight seen briefly
    brief = Track("15a3c2", "BRIEF").at((34.5, 33.0), alt_ft=33_000, heading=90)
    brief.cruise(minutes=2, gs=450)
    real = Track(start=brief.t + 7_200).at("OSLK").taxi(3).hop("OSDI").taxi(2)
    flights = _flights(store, brief, real)
    assert [f["callsign"] for f in flights] == ["BRIEF", "RFF7001"]


def test_ground_only_presence_is_not_a_flight(store: Store) -> None:
    t = Track().at("OSLK").taxi(5).park(60).taxi(5)
    assert _flights(store, t) == []


def test_max_altitude_is_the_flights_own(store: Store) -> None:
    """A flight's max_alt_ft must not include positions after it that are not part of it
    (a dropped noise leg here, of another aircraft sorted after it)."""
    low = Track("aaaaaa").at("OSLK").taxi(3).takeoff(toward="OSDI").climb(5_000, toward="OSDI")
    low.cruise(to="OSDI", stop_km=30).land("OSDI").taxi(2)
    noise = Track("bbbbbb").at((34.0, 35.0), alt_ft=37_000).cruise(minutes=0.4)
    [flight] = _flights(store, low, noise)
    assert flight["icao24"] == "aaaaaa"
    assert flight["max_alt_ft"] == max(r["alt_baro_ft"] or 0 for r in low.rows) == 5_000


def test_flight_columns_describe_the_flight(store: Store) -> None:
    t = Track().at("OSLK").taxi(3).hop("OSDI").taxi(3)
    [f] = _flights(store, t)
    assert f["flight_id"] == f"15a3c2-{f['start_time']:%Y%m%dT%H%M%SZ}"
    assert f["callsign"] == "RFF7001"
    assert t.rows[0]["time"] <= f["start_time"] < f["end_time"] <= t.rows[-1]["time"]
    inside = [r for r in t.rows if f["start_time"] <= r["time"] <= f["end_time"]]
    assert f["n_positions"] == len(inside)
    assert f["path_km"] == pytest.approx(_true_path_km(inside), rel=1e-6)
    assert f["max_alt_ft"] == 24_000


def test_conflicting_rows_at_one_time_give_one_answer_whatever_the_order() -> None:
    """Two feeds reporting the same aircraft at the same second, 200 m apart: which row is
    kept must not depend on the order they were stored in (same flights on every run)."""
    rows = Track().at("OSLK").taxi(3).hop("OSDI").taxi(3).table()
    lat = rows.schema.field("lat")
    other = rows.set_column(rows.schema.get_field_index("lat"), lat, pc.add(rows["lat"], 0.002))
    results = set()
    for seed in range(4):
        with Store.open(":memory:") as s:
            flights = _flights(s, shuffled(pa.concat_tables([rows, other]), seed))
        results.add(tuple((f["first_lat"], f["last_lat"], f["path_km"]) for f in flights))
    assert len(results) == 1


def test_stale_repeated_fix_with_junk_altitude_is_set_aside(store: Store) -> None:
    """A feed re-sends the last fix for a minute while its altitude field turns to junk
    (seen in OpenSky-derived samples): those rows are set aside, the approach still ends at
    the field."""
    t = Track().at("OSLK").taxi(3).hop("OSDI", dark_below_agl_ft=800)
    rows = list(t.rows)
    last = rows[-1]
    junk = [
        {
            **last,
            "time": last["time"] + timedelta(seconds=5 * (i + 1)),
            "alt_baro_ft": 35_000,
            "on_ground": False,
        }
        for i in range(6)
    ]
    table = pa.Table.from_pylist(rows + junk, schema=t.table().schema)
    flights = _flights(store, table)
    assert _ends(flights) == [("OSLK", "OSDI")]
    assert flights[0]["last_alt_ft"] == last["alt_baro_ft"]
    aside = set_aside_of(store)
    assert len(aside) == 6
    assert {a["reason"] for a in aside} == {"repeated position with another altitude (stale fix)"}


def test_address_buckets_give_the_same_flights() -> None:
    """Positions are read in hash buckets of addresses; any bucket count gives the same flights."""
    tracks = [
        Track(icao).at("OSLK").taxi(3).hop("OSDI").taxi(3).park(20).taxi(2).hop("LCRA")
        for icao in ("15a3c2", "4ca2d6", "778123", "0a0047")
    ]
    results = []
    for bucket_positions in (10**9, 200):
        with Store.open(":memory:") as store:
            insert(store, *tracks)
            built = FlightBuilder(bucket_positions=bucket_positions).build(store)
            results.append(built.to_pylist())
    one, many = results
    assert len(one) == 8
    assert [f["flight_id"] for f in one] == [f["flight_id"] for f in many]
    assert _ends(one) == _ends(many)
