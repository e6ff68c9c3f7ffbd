"""Takeoff and landing airports: observed, inferred when the transponder went dark, and the
cases that must not become landings (low overflights, sightings elsewhere too soon)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import airportsdata
import pytest

from basewatch import Store
from basewatch.flights import airport_table
from tests.track_store import flights_of, insert
from tests.tracks import Row, Track, destination, distance_km, field

EVIDENCE_KEYS = {
    "rule",
    "seen_time",
    "seen_lat",
    "seen_lon",
    "distance_km",
    "agl_ft",
    "heading_error_deg",
    "vrate_fpm",
    "next_seen",
    "next_seen_km",
    "next_seen_after_s",
}


def _flights(store: Store, *tracks: Track) -> list[Row]:
    insert(store, *tracks)
    return flights_of(store)


def _ends(flights: list[Row]) -> list[tuple[str | None, str | None]]:
    return [(f["takeoff_airport"], f["landing_airport"]) for f in flights]


def _evidence(flight: Row, kind: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(flight[f"{kind}_evidence"])
    return doc


# -- the airport table -----------------------------------------------------------------------
@pytest.mark.parametrize("icao", ["OSLK", "UUMU", "HLLB", "LCRA", "OSDI"])
def test_airport_table_has_the_military_fields(icao: str) -> None:
    table = {r["icao"]: r for r in airport_table().to_pylist()}
    source = airportsdata.load("ICAO")[icao]
    row = table[icao]
    assert (row["lat"], row["lon"]) == (pytest.approx(source["lat"]), pytest.approx(source["lon"]))
    assert row["elevation_ft"] == pytest.approx(source["elevation"])


def test_airport_table_is_all_of_airportsdata() -> None:
    t = airport_table()
    assert t.num_rows == len(airportsdata.load("ICAO"))
    assert t.column("icao").null_count == 0
    assert len(set(t.column("icao").to_pylist())) == t.num_rows


def test_al_jufra_named_in_the_issue_is_attributable(store: Store) -> None:
    """Issue 5 names Al Jufra (HLJF) among the fields; airportsdata holds it under a local
    code. A landing there must name that field, whatever its key."""
    [jufra] = [r for r in airport_table().to_pylist() if r["name"] == "Al Jufra Airport"]
    t = Track().at("HLLB").taxi(3).hop(jufra["icao"]).taxi(2)
    assert _ends(_flights(store, t)) == [("HLLB", jufra["icao"])]


# -- observed ends ---------------------------------------------------------------------------
def test_observed_ends_use_field_elevation(store: Store) -> None:
    """Damascus is 2,020 ft up: a flight seen down to the runway there is observed, both
    ends, and the evidence reports heights above the field."""
    t = Track().at("OSLK").taxi(3).hop("OSDI").taxi(3)
    [f] = _flights(store, t)
    assert _ends([f]) == [("OSLK", "OSDI")]
    assert (f["takeoff_inferred"], f["landing_inferred"]) == (False, False)
    assert f["landing_confidence"] >= 0.85
    landing = _evidence(f, "landing")
    assert set(landing) == EVIDENCE_KEYS
    assert landing["distance_km"] < 8


def test_nearest_field_wins_when_two_are_close(store: Store) -> None:
    """Spokane: Felts Field (KSFF) is 17 km from Spokane International (KGEG)."""
    a = Track("aaaaaa").at("KSFF").taxi(3).hop("KGEG").taxi(2)
    b = Track("bbbbbb", seed=1).at("KGEG").taxi(3).hop("KSFF", cruise_ft=9_000).taxi(2)
    flights = _flights(store, a, b)
    assert _ends(flights) == [("KSFF", "KGEG"), ("KGEG", "KSFF")]


def test_low_overflight_is_not_a_landing(store: Store) -> None:
    """Over Hmeimim at 1,000 ft and at 250 ft above the field, then on to Akrotiri."""
    for height in (1_000.0, 250.0):
        with Store.open(":memory:") as s:
            t = Track().at("OSDI").taxi(3).takeoff(toward="OSLK").climb(12_000, toward="OSLK")
            t.cruise(to="OSLK", stop_km=60)
            t.descend(field("OSLK").elevation_ft + height, toward="OSLK", gs=250)
            t.cruise(to="OSLK", stop_km=1, gs=250).cruise(minutes=4, gs=250)
            t.climb(8_000, toward="LCRA").cruise(to="LCRA", stop_km=40).land("LCRA").taxi(2)
            [f] = _flights(s, t)
            assert (f["takeoff_airport"], f["landing_airport"]) == ("OSDI", "LCRA")
            # the track continues past the field: the flight ends at Akrotiri
            assert distance_km(f["last_lat"], f["last_lon"], 34.5904, 32.9879) < 8


# -- dark approaches -------------------------------------------------------------------------
def _dark_to_damascus() -> Track:
    """Hmeimim → Damascus, dark below 2,500 ft above the field (~14 km out)."""
    return Track().at("OSLK").taxi(3).hop("OSDI", dark_below_agl_ft=2_500)


def _assert_plausible_dark_landing(f: Row, last: Row) -> dict[str, Any]:
    assert f["landing_airport"] == "OSDI"
    assert f["landing_inferred"] is True
    assert 0 < f["landing_confidence"] < 0.95
    ev = _evidence(f, "landing")
    assert set(ev) == EVIDENCE_KEYS
    assert ev["seen_time"] == f"{last['time']:%Y-%m-%dT%H:%M:%SZ}"
    assert (ev["seen_lat"], ev["seen_lon"]) == (last["lat"], last["lon"])
    osdi = field("OSDI")
    assert ev["distance_km"] == pytest.approx(
        distance_km(last["lat"], last["lon"], osdi.lat, osdi.lon), abs=0.05
    )
    assert ev["agl_ft"] == pytest.approx(last["alt_baro_ft"] - osdi.elevation_ft, abs=2)
    assert ev["heading_error_deg"] < 10
    assert ev["vrate_fpm"] < 0
    # the inferred landing time lies between the last sighting and the field
    assert last["time"] < f["landing_time"] < last["time"] + timedelta(minutes=10)
    return ev


def test_dark_approach_reappearing_on_the_ground_there_departing(store: Store) -> None:
    t = _dark_to_damascus()
    last = t.rows[-1]
    t.gap(60).appear().taxi(4).hop("LCRA").taxi(2)
    flights = _flights(store, t)
    assert _ends(flights) == [("OSLK", "OSDI"), ("OSDI", "LCRA")]
    ev = _assert_plausible_dark_landing(flights[0], last)
    assert ev["next_seen"].startswith("there")
    assert ev["next_seen_km"] < 5
    assert ev["next_seen_after_s"] == pytest.approx(3_600, abs=600)
    assert flights[1]["takeoff_inferred"] is False


def test_dark_approach_reappearing_on_the_ground_there_staying(store: Store) -> None:
    """Seen next taxiing and parked at Damascus (no departure in the data): landed there."""
    t = _dark_to_damascus()
    last = t.rows[-1]
    t.gap(60).appear().taxi(4).park(30)
    [f] = _flights(store, t)
    ev = _assert_plausible_dark_landing(f, last)
    assert ev["next_seen"].startswith("there")


def test_dark_approach_with_no_reappearance(store: Store) -> None:
    t = _dark_to_damascus()
    [f] = _flights(store, t)
    ev = _assert_plausible_dark_landing(f, t.rows[-1])
    assert ev["next_seen"] == "never"


def test_reappearance_there_is_more_confident_than_none() -> None:
    confidence = {}
    for name in ("there", "never"):
        t = _dark_to_damascus()
        if name == "there":
            t.gap(60).appear().taxi(4).hop("LCRA").taxi(2)
        with Store.open(":memory:") as s:
            confidence[name] = _flights(s, t)[0]["landing_confidence"]
    assert confidence["never"] is not None
    assert confidence["there"] is not None
    assert confidence["there"] > confidence["never"]


def test_dark_approach_then_later_elsewhere_is_less_confident(store: Store) -> None:
    """Dark near Damascus, seen three hours later climbing out of Hmeimim: it could have
    landed at Damascus and flown on; less sure than when never seen again."""
    t = _dark_to_damascus()
    t.gap(180).appear().at("OSLK").taxi(3).hop("LCRA").taxi(2)
    flights = _flights(store, t)
    f = flights[0]
    assert f["landing_airport"] == "OSDI"
    assert f["landing_inferred"] is True
    assert _evidence(f, "landing")["next_seen"] == "elsewhere-later"
    with Store.open(":memory:") as other:
        never = _flights(other, _dark_to_damascus())[0]["landing_confidence"]
    assert 0 < f["landing_confidence"] < never


def _dark_overflight() -> tuple[Track, Row]:
    """Down to 2,500 ft above Damascus at 300 kt, dark 14 km out, seen again 6 minutes later
    climbing on the far side: too soon to have landed and taken off."""
    osdi = field("OSDI")
    t = Track().at("OSLK").taxi(3).takeoff(toward="OSDI").climb(16_000, toward="OSDI")
    t.cruise(to="OSDI", stop_km=100).descend(osdi.elevation_ft + 2_500, toward="OSDI", gs=300)
    t.cruise(to="OSDI", stop_km=14, gs=300)
    last = t.rows[-1]
    t.go_dark().gap(6).appear().climb(14_000).cruise(minutes=20)
    return t, last


def test_dark_approach_seen_elsewhere_too_soon_is_no_landing(store: Store) -> None:
    t, _ = _dark_overflight()
    flights = _flights(store, t)
    assert len(flights) == 2  # > 5 minutes unseen below 10,000 ft
    assert flights[0]["landing_airport"] is None


def test_dark_pass_seen_elsewhere_too_soon_is_no_takeoff_either(store: Store) -> None:
    """The same pass seen from the other side: the second piece did not take off from
    Damascus (6 minutes from 14 km before the field to 40 km past it, climbing)."""
    t, _ = _dark_overflight()
    flights = _flights(store, t)
    assert flights[1]["takeoff_airport"] is None


def test_low_pass_lost_over_the_field_and_seen_elsewhere_too_soon_is_no_landing(
    store: Store,
) -> None:
    """Lost at 200 ft over the runway at 250 kt (a flypast), seen 8 minutes later 70 km
    away at 9,000 ft: it never stopped, whatever the last height says."""
    oslk = field("OSLK")
    t = Track().at("OSDI").taxi(3).takeoff(toward="OSLK").climb(12_000, toward="OSLK")
    t.cruise(to="OSLK", stop_km=60).descend(oslk.elevation_ft + 200, toward="OSLK", gs=250)
    t.cruise(to="OSLK", stop_km=2, gs=250)
    t.go_dark().cruise(minutes=1, gs=250).climb(9_000, rate=2_500, gs=300).gap(2)
    t.appear().cruise(minutes=10)
    flights = _flights(store, t)
    assert len(flights) == 2
    assert flights[0]["landing_airport"] is None


# -- inferred takeoffs -----------------------------------------------------------------------
def test_first_seen_climbing_out_near_a_field_is_an_inferred_takeoff(store: Store) -> None:
    oslk = field("OSLK")
    lat, lon = destination(oslk.lat, oslk.lon, 270, 10)
    t = Track().at((lat, lon), alt_ft=oslk.elevation_ft + 2_500, heading=270)
    t.climb(16_000, rate=2_000).cruise(to="LCRA", stop_km=80).descend(3_000, toward="LCRA")
    t.land("LCRA").taxi(2)
    [f] = _flights(store, t)
    assert (f["takeoff_airport"], f["landing_airport"]) == ("OSLK", "LCRA")
    assert f["takeoff_inferred"] is True
    assert 0 < f["takeoff_confidence"] < 0.95
    first = t.rows[0]
    assert f["takeoff_time"] < first["time"]
    ev = _evidence(f, "takeoff")
    assert set(ev) == EVIDENCE_KEYS
    assert ev["distance_km"] == pytest.approx(
        distance_km(first["lat"], first["lon"], oslk.lat, oslk.lon), abs=0.05
    )
    assert ev["heading_error_deg"] < 10


def test_inferred_takeoff_evidence_reports_the_climb(store: Store) -> None:
    """The evidence an analyst reads: the aircraft was climbing (positive rate) when first
    seen, not descending."""
    oslk = field("OSLK")
    lat, lon = destination(oslk.lat, oslk.lon, 270, 10)
    t = Track().at((lat, lon), alt_ft=oslk.elevation_ft + 2_500, heading=270)
    t.climb(16_000, rate=2_000).cruise(minutes=20)
    [f] = _flights(store, t)
    assert f["takeoff_airport"] == "OSLK"
    assert _evidence(f, "takeoff")["vrate_fpm"] > 0


def test_first_seen_high_and_far_is_no_takeoff(store: Store) -> None:
    oslk = field("OSLK")
    lat, lon = destination(oslk.lat, oslk.lon, 270, 100)
    t = Track().at((lat, lon), alt_ft=25_000, heading=270).climb(30_000, rate=1_000)
    t.cruise(to="LCRA", stop_km=80).descend(3_000, toward="LCRA").land("LCRA").taxi(2)
    assert _ends(_flights(store, t)) == [(None, "LCRA")]


def test_first_seen_descending_near_a_field_is_no_takeoff(store: Store) -> None:
    """Tracking starts 10 km from Hmeimim at 2,500 ft going *towards* it: arriving there,
    not departing."""
    oslk = field("OSLK")
    lat, lon = destination(oslk.lat, oslk.lon, 270, 10)
    t = Track().at((lat, lon), alt_ft=oslk.elevation_ft + 2_500, heading=90).land("OSLK")
    t.taxi(2)
    assert _ends(_flights(store, t)) == [(None, "OSLK")]


def test_first_seen_level_and_low_far_from_a_field_is_no_takeoff(store: Store) -> None:
    """Issue 5: never call the first low point of a track its takeoff airport without distance
    and climb checks. First seen 40 km west of Hmeimim, level at 2,000 ft, flying away."""
    oslk = field("OSLK")
    lat, lon = destination(oslk.lat, oslk.lon, 270, 40)
    t = Track().at((lat, lon), alt_ft=oslk.elevation_ft + 2_000, heading=270)
    t.cruise(minutes=15, gs=220).climb(9_000, toward="LCRA").cruise(to="LCRA", stop_km=40)
    t.land("LCRA").taxi(2)
    assert _ends(_flights(store, t)) == [(None, "LCRA")]


def test_noisy_on_ground_flags_in_cruise_do_not_make_a_stop(store: Store) -> None:
    """A real sample reports "on ground" at 22,000 ft: two minutes of such flags in cruise
    are not a ground stop and not a landing."""
    t = Track().at("OSLK").taxi(3).takeoff(toward="HLLB").climb(22_000, toward="HLLB")
    t.cruise(minutes=10)
    t.on_ground = True
    t.cruise(minutes=2)
    t.on_ground = False
    t.cruise(to="HLLB", stop_km=150).descend(3_000, toward="HLLB").land("HLLB").taxi(2)
    assert _ends(_flights(store, t)) == [("OSLK", "HLLB")]


def test_the_airport_table_read_by_arrow_is_what_airportsdata_loads() -> None:
    """The Arrow read of airportsdata's CSV (the fast path) holds exactly the rows, values and
    order of ``airportsdata.load("ICAO")``."""
    from basewatch.flights.airports import _loaded, _read_csv

    fast = _read_csv()
    assert fast is not None  # the installed airportsdata's layout is known
    assert fast.num_rows > 25_000
    assert fast.equals(_loaded().combine_chunks())
