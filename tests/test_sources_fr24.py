"""Flightradar24 CSV and KML exports: the real JAL516 capture, synthetic addresses, bad input."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basewatch import Store
from basewatch.model import FT_PER_M
from basewatch.sources import Blob, ReadOptions, detect_format
from basewatch.sources.fr24 import Fr24Csv, Fr24Kml
from tests.conftest import FIXTURES, positions, sample_files, shared

CAPTURE = "fr24/JL516_3376ab31.csv"
KML = FIXTURES / "fr24_kml" / "FZ981_route.kml"
KML_NS = {"k": "http://www.opengis.net/kml/2.2"}
HEADER = "Timestamp,UTC,Callsign,Position,Altitude,Speed,Direction"


def _address(callsign: str, epoch: float) -> str:
    """The documented rule: '~' + sha1('<CALLSIGN>|<UTC date of the first row>')[:6]."""
    day = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")
    return "~" + hashlib.sha1(f"{callsign}|{day}".encode()).hexdigest()[:6]


def _rejects(store: Store) -> dict[int | None, str]:
    return dict(store.con.execute("SELECT record, reason FROM rejects ORDER BY record").fetchall())


# --- CSV: the real capture ---------------------------------------------------------------------


def _capture_rows() -> list[dict[str, str]]:
    with shared(CAPTURE).open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_real_csv_capture(store: Store) -> None:
    path = shared(CAPTURE)
    raw = _capture_rows()
    assert detect_format(Blob(path)).name == "fr24_csv"
    [result] = store.ingest([str(path)])
    distinct = {(r["Timestamp"], r["Position"]) for r in raw}
    assert (result.accepted, result.rejected) == (len(distinct), 0)
    assert result.accepted + result.duplicates == len(raw)
    rows = positions(store)
    callsigns = {r["Callsign"] for r in raw}
    assert {r["callsign"] for r in rows} == callsigns == {"JAL516"}
    assert {r["icao24"] for r in rows} == {_address("JAL516", int(raw[0]["Timestamp"]))}
    assert rows[0]["time"] == datetime.fromtimestamp(int(raw[0]["Timestamp"]), UTC)
    assert rows[-1]["time"] == datetime.fromtimestamp(int(raw[-1]["Timestamp"]), UTC)
    for row, src in zip(rows, raw, strict=True):
        # the UTC column says the same instant as the epoch column
        assert row["time"] == datetime.fromisoformat(src["UTC"])
        lat, lon = (float(v) for v in src["Position"].split(","))
        assert (row["lat"], row["lon"]) == (lat, lon)
        assert row["alt_baro_ft"] == int(src["Altitude"])  # FR24 exports feet and knots already
        assert row["gs_kt"] == float(src["Speed"]) and row["track_deg"] == float(src["Direction"])
        assert row["on_ground"] is None and row["pos_source"] == "other"


def test_real_csv_flies_new_chitose_to_haneda(store: Store) -> None:
    airports = pytest.importorskip("airportsdata").load("ICAO")
    store.ingest([str(shared(CAPTURE))])
    rows = positions(store)
    for row, icao in ((rows[0], "RJCC"), (rows[-1], "RJTT")):
        ap = airports[icao]
        assert abs(row["lat"] - ap["lat"]) < 0.05 and abs(row["lon"] - ap["lon"]) < 0.05  # type: ignore[operator]
        assert row["alt_baro_ft"] == 0  # FR24 reports 0 on the ground


def test_given_address_overrides_the_synthetic_one(store: Store) -> None:
    path = shared(CAPTURE)
    [result] = store.ingest([str(path)], options=ReadOptions(icao24="8467D8"))
    assert result.accepted == len(_capture_rows())
    assert {r["icao24"] for r in positions(store)} == {"8467d8"}


def test_reingest_is_idempotent(store: Store) -> None:
    path = str(shared(CAPTURE))
    first, second = store.ingest([path]), store.ingest([path])
    assert first[0].status == "ingested" and second[0].status == "already ingested"


# --- CSV: bad input ------------------------------------------------------------------------------


def test_csv_rejects_name_their_line(tmp_path: Path, store: Store) -> None:
    lines = [
        HEADER,
        '1704180175,2024-01-02T07:22:55Z,JAL516,"42.787994,141.685074",0,0,73',
        '1704180458,2024-01-02T07:27:38Z,JAL516,"123.0,141.691422",550,144,172',
        '1704180470,2024-01-02T07:27:50Z,JAL516,"somewhere",1100,140,171',
        '1704180480,2024-01-02T07:28:00Z,JAL516,"42.753483,141.694565",high,158,171',
        '1704180490,2024-01-02T07:28:10Z,JAL516,"42.75,141.69",1400',
        '86400,1970-01-02T00:00:00Z,JAL516,"42.74,141.69",1500,160,171',
        'soon,2024-01-02T07:28:30Z,JAL516,"42.73,141.69",1600,160,171',
    ]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    [result] = store.ingest([str(path)])
    assert (result.accepted, result.rejected) == (1, 6)
    reasons = _rejects(store)
    assert "latitude out of range" in reasons[3]
    assert reasons[4] == "Position: not lat,lon"
    assert reasons[5] == "Altitude: not a number"
    assert "expected 7 CSV fields" in reasons[6]
    assert "before 2000" in reasons[7]
    assert reasons[8] == "Timestamp: not a time"


def test_truncated_gzip_csv(tmp_path: Path, store: Store) -> None:
    body = "".join(
        f'{1704180175 + i},x,JAL516,"{42 - i / 1000:.6f},141.685074",{i},300,180\n'
        for i in range(5000)
    )
    data = gzip.compress((HEADER + "\n" + body).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    [result] = store.ingest([(Blob(path), Fr24Csv())])
    assert 0 < result.accepted < 5000 and result.rejected == 1
    assert "gzip" in next(iter(_rejects(store).values()))


# --- KML -----------------------------------------------------------------------------------------


def _kml_route() -> tuple[str, list[dict[str, Any]]]:
    """The fixture's document name and Route points, read with ElementTree."""
    root = ET.parse(KML).getroot()
    name = root.findtext("k:Document/k:name", namespaces=KML_NS) or ""
    points = []
    for pm in root.iterfind(".//k:Placemark", KML_NS):
        coords = pm.findtext("k:Point/k:coordinates", namespaces=KML_NS)
        if coords is None:
            continue
        lon, lat, metres = (float(v) for v in coords.split(","))
        desc = pm.findtext("k:description", namespaces=KML_NS) or ""
        found = {k: re.search(rf"{k}:</b></span> <span>(\d+)", desc) for k in ("Altitude", "Speed")}
        points.append(
            {
                "when": datetime.fromisoformat(
                    pm.findtext("k:TimeStamp/k:when", namespaces=KML_NS) or ""
                ),
                "lat": lat,
                "lon": lon,
                "metres": metres,
                "feet": int(found["Altitude"].group(1)),  # type: ignore[union-attr]
                "knots": int(found["Speed"].group(1)),  # type: ignore[union-attr]
                "heading": float(
                    pm.findtext("k:Style/k:IconStyle/k:heading", namespaces=KML_NS) or "nan"
                ),
            }
        )
    return name, points


def test_kml_fixture(store: Store) -> None:
    name, points = _kml_route()
    assert detect_format(Blob(KML)).name == "fr24_kml"
    [result] = store.ingest([str(KML)])
    assert (result.accepted, result.rejected) == (len(points), 0)  # Trail segments are not points
    rows = positions(store)
    callsign = name.split("/")[1]
    assert {r["callsign"] for r in rows} == {callsign}
    assert {r["icao24"] for r in rows} == {_address(callsign, points[0]["when"].timestamp())}
    for row, p in zip(rows, points, strict=True):
        assert row["time"] == p["when"] and (row["lat"], row["lon"]) == (p["lat"], p["lon"])
        # coordinates are metres; they agree with the feet FR24 prints in the description
        assert row["alt_baro_ft"] == round(p["metres"] * FT_PER_M) == p["feet"]
        assert row["gs_kt"] == p["knots"] and row["track_deg"] == p["heading"]
        assert row["on_ground"] is None and row["pos_source"] == "other"


def test_kml_with_given_address(store: Store) -> None:
    store.ingest([str(KML)], options=ReadOptions(icao24="896184"))
    assert {r["icao24"] for r in positions(store)} == {"896184"}


BOMB = """<?xml version="1.0"?>
<!DOCTYPE kml [
 <!ENTITY a "flightradar24flightradar24flightradar24flightradar24">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>&e;</name></Document></kml>
"""


def test_kml_entity_expansion_is_refused(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "bomb.kml"
    path.write_text(BOMB)
    started = time.monotonic()
    [result] = store.ingest([(Blob(path), Fr24Kml())])
    assert time.monotonic() - started < 5
    assert (result.accepted, result.rejected) == (0, 1)
    assert "DOCTYPE" in next(iter(_rejects(store).values()))


def test_kml_bad_placemarks_and_truncation(tmp_path: Path, store: Store) -> None:
    text = KML.read_text()
    text = text.replace("<when>2016-03-18T18:22:18+00:00</when>", "<when>yesterday</when>", 1)
    text = text.replace("55.3301,25.2402,304.8", "east,north,304.8", 1)
    cut = text.index("<name>2016-03-18 18:38:20 UTC</name>")
    path = tmp_path / "cut.kml"
    path.write_text(text[:cut])
    [result] = store.ingest([(Blob(path), Fr24Kml())])
    assert result.accepted == 2  # points 1 and 4; 2 and 3 are bad, 5 is cut off
    reasons = _rejects(store)
    assert "TimeStamp" in reasons[2] and "coordinates" in reasons[3]
    assert any("truncated XML" in r for r in reasons.values())


# --- sniffing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sniffers_claim_only_their_files(path: Path) -> None:
    head = Blob(path).head()
    assert Fr24Csv().sniff(head) == (path.parent.name == "fr24")
    assert Fr24Kml().sniff(head) == (path.parent.name == "fr24_kml")


# --- round trip ----------------------------------------------------------------------------------

ROUND_TRIP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
point = st.fixed_dictionaries(
    {
        "time": st.integers(946_684_800, 1_750_000_000),
        "lat": st.floats(-90, 90),
        "lon": st.floats(-180, 180),
        "alt": st.integers(0, 60000),
        "speed": st.integers(0, 700),
        "direction": st.integers(0, 359),
    }
)


@ROUND_TRIP
@given(
    batch=st.lists(point, min_size=1, max_size=30),
    callsign=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=8).filter(
        lambda c: c.lower() not in {"null", "nan", "none", "na", "n/a"}  # CSV null texts
    ),
    address=st.one_of(st.none(), st.text("0123456789abcdef", min_size=6, max_size=6)),
)
def test_csv_round_trip(batch: list[dict[str, Any]], callsign: str, address: str | None) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    for p in batch:
        utc = datetime.fromtimestamp(p["time"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        position = f"{p['lat']:.6f},{p['lon']:.6f}"  # FR24 writes 6 decimals
        writer.writerow([p["time"], utc, callsign, position, p["alt"], p["speed"], p["direction"]])
    rows = []
    for chunk in Fr24Csv().read(Blob("mem", out.getvalue().encode()), ReadOptions(icao24=address)):
        assert chunk.rejects == []
        rows += chunk.table.to_pylist()
    assert len(rows) == len(batch)
    expected_address = address or _address(callsign, batch[0]["time"])
    for row, p in zip(rows, batch, strict=True):
        assert row["icao24"] == expected_address and row["callsign"] == callsign
        assert row["time"] == datetime.fromtimestamp(p["time"], UTC)
        assert row["lat"] == pytest.approx(p["lat"], abs=5e-7)
        assert row["lon"] == pytest.approx(p["lon"], abs=5e-7)
        assert (row["alt_baro_ft"], row["gs_kt"], row["track_deg"]) == (
            p["alt"],
            p["speed"],
            p["direction"],
        )
