"""Exports of flights and visits: tables, GeoJSON and KML that parsers (and Google Earth) read."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from basewatch import FlightBuilder, Store, VisitDetector, load_config, resolve_base
from basewatch.errors import UsageError
from basewatch.report import export_flights, export_visits
from tests.track_store import insert
from tests.tracks import Track

KML = "{http://www.opengis.net/kml/2.2}"
GX = "{http://www.google.com/kml/ext/2.2}"


@pytest.fixture
def built(store: Store) -> Store:
    t = Track("15a3c2", "RFF7001").at("OSDI").taxi(3).hop("OSLK").taxi(3).park(60)
    t.taxi(3).hop("HLLB").taxi(2)
    t.spoof(km=600, points=1)  # one impossible point, set aside, must not be in a track
    t.taxi(1)
    insert(store, t)
    FlightBuilder().build(store)
    assert store.con.execute("SELECT count(*) FROM set_aside").fetchall()[0][0] >= 1
    config = load_config(None)
    VisitDetector(resolve_base("hmeimim", config), config).detect(store)
    return store


def _flight_positions(store: Store) -> dict[str, int]:
    rows = store.con.execute(
        "SELECT f.flight_id, count(*) FROM flights f JOIN positions p ON p.icao24 = f.icao24 "
        "AND p.time BETWEEN f.start_time AND f.end_time "
        "ANTI JOIN set_aside s ON s.icao24 = p.icao24 AND s.time = p.time "
        "GROUP BY 1"
    ).fetchall()
    return dict(rows)


def test_flights_geojson_has_a_track_per_flight_in_metres(built: Store, tmp_path: Path) -> None:
    out = export_flights(built, tmp_path / "f.geojson", "geojson")
    doc = json.loads(out.read_text())
    counts = _flight_positions(built)
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == len(counts) == 2
    for feature in doc["features"]:
        coords = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "LineString"
        assert len(coords) == counts[feature["properties"]["flight_id"]]
        assert max(c[2] for c in coords) == pytest.approx(24_000 * 0.3048, rel=0.02)
    ends = [
        (f["properties"]["takeoff_airport"], f["properties"]["landing_airport"])
        for f in doc["features"]
    ]
    assert ends == [("OSDI", "OSLK"), ("OSLK", "HLLB")]


def test_flights_kml_tracks_with_times_and_altitude(built: Store, tmp_path: Path) -> None:
    out = export_flights(built, tmp_path / "f.kml", "kml")
    root = ET.parse(out).getroot()
    tracks = root.findall(f".//{KML}Placemark/{GX}Track")
    assert len(tracks) == 2
    for track in tracks:
        whens = track.findall(f"{KML}when")
        coords = track.findall(f"{GX}coord")
        assert len(whens) == len(coords) > 10
        assert track.find(f"{KML}altitudeMode").text == "absolute"  # type: ignore[union-attr]
        lon, lat, alt = map(float, coords[len(coords) // 2].text.split())  # type: ignore[union-attr]
        assert 30 < lat < 37 and 15 < lon < 40 and alt > 1000


def test_visits_exports(built: Store, tmp_path: Path) -> None:
    stored = built.con.execute("SELECT count(*) FROM visits").fetchall()[0][0]
    assert stored == 1
    kml = ET.parse(export_visits(built, tmp_path / "v.kml", "kml")).getroot()
    [placemark] = kml.findall(f".//{KML}Placemark")
    lon, lat, _ = map(float, placemark.find(f".//{KML}coordinates").text.split(","))  # type: ignore[union-attr]
    oslk = resolve_base("hmeimim", load_config(None))
    assert abs(lat - oslk.lat) < 0.1 and abs(lon - oslk.lon) < 0.1
    doc = json.loads(export_visits(built, tmp_path / "v.geojson", "geojson").read_text())
    assert [f["properties"]["destination"] for f in doc["features"]] == ["HLLB"]
    assert pq.read_table(export_visits(built, tmp_path / "v.parquet", "parquet")).num_rows == 1
    csv_lines = export_visits(built, tmp_path / "v.csv", "csv").read_text().splitlines()
    assert len(csv_lines) == 2


def test_tables_and_errors(built: Store, tmp_path: Path, store: Store) -> None:
    assert pq.read_table(export_flights(built, tmp_path / "f.parquet", "parquet")).num_rows == 2
    with pytest.raises(UsageError, match="format"):
        export_flights(built, tmp_path / "f.x", "shapefile")
    with Store.open(":memory:") as empty, pytest.raises(UsageError, match="visits"):
        export_visits(empty, tmp_path / "v.kml", "kml")
