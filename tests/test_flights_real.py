"""Flights and airports found in the real captures of ../shared/data: what the data shows.

Expected airports are worked out in each test from the file itself (where the aircraft sits on
the ground, where it was last and first seen around a dark spell), with an independent nearest-
airport search over airportsdata — not from basewatch's own attribution.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from basewatch import Store
from basewatch.flights import airport_table
from tests.conftest import shared
from tests.track_store import flights_of, set_aside_of
from tests.tracks import Row, distance_km

FT_PER_M = 3.280839895


def _nearest_airport(lat: float, lon: float) -> tuple[str, float]:
    """The airport nearest a point (icao, km), by brute force over every airport."""
    t = airport_table()
    alat = np.radians(t.column("lat").to_numpy())
    alon = np.radians(t.column("lon").to_numpy())
    p, lam = np.radians(lat), np.radians(lon)
    a = np.sin((alat - p) / 2) ** 2 + np.cos(p) * np.cos(alat) * np.sin((alon - lam) / 2) ** 2
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    i = int(np.argmin(km))
    return str(t.column("icao")[i]), float(km[i])


def _airports_within(lat: float, lon: float, km: float) -> set[str]:
    """Airports with an IATA code (scheduled service) within ``km`` of a point."""
    return {
        r["icao"]
        for r in airport_table().to_pylist()
        if r["iata"] and distance_km(lat, lon, r["lat"], r["lon"]) <= km
    }


def _trace(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    doc: dict[str, Any] = json.loads(data)
    return doc


def _ingest(store: Store, path: Path) -> list[Row]:
    store.ingest([str(path)])
    return flights_of(store)


# -- readsb: Delta N899DN, 2025-02-04/05 -----------------------------------------------------
def _ground_runs(points: list[list[Any]]) -> list[list[list[Any]]]:
    """Consecutive points with readsb's "ground" altitude."""
    runs: list[list[list[Any]]] = []
    for prev, p in zip([None, *points], points, strict=False):
        if p[3] == "ground":
            if prev is None or prev[3] != "ground":
                runs.append([])
            runs[-1].append(p)
    return runs


def test_readsb_trace_flights_and_airports(store: Store) -> None:
    path = shared("readsb/trace_full_ac671b.json")
    doc = _trace(path)
    points = doc["trace"]
    flights = _ingest(store, path)

    # where the data has the aircraft on the ground, and the dark spell of the day
    fields_on_ground = [_nearest_airport(r[0][1], r[0][2]) for r in _ground_runs(points)]
    assert all(km < 5 for _, km in fields_on_ground)
    ground_fields = [icao for icao, _ in fields_on_ground]
    dt = np.diff([p[0] for p in points])
    dark = int(np.argmax(dt))  # the longest silence: 06:23 → 14:47 on the 5th
    before, after = points[dark], points[dark + 1]
    # low and descending before it, low and climbing after it
    assert before[3] < 10_000 and before[3] < points[dark - 5][3]
    assert after[3] < 12_000 and after[3] < points[dark + 5][3]
    reachable = _airports_within(before[1], before[2], 60) & _airports_within(
        after[1], after[2], 60
    )

    # four flights: in from the south at FL320 to the ground at the first field; out and
    # dark on the way down; back up from there to the same first field; and the last one
    # into the field where the trace ends on the ground
    assert points[0][3] >= 30_000
    assert ground_fields[0] == "KMSP" and ground_fields[-1] == "KDEN"
    # within 60 km of both sightings: Spokane International, and Felts Field (general
    # aviation, where a Boeing 737-900 in Delta service does not go)
    assert {"KGEG", "KSFF"} <= reachable
    assert [(f["takeoff_airport"], f["landing_airport"]) for f in flights] == [
        (None, "KMSP"),
        ("KMSP", "KGEG"),
        ("KGEG", "KMSP"),
        ("KMSP", "KDEN"),
    ]
    assert [f["landing_inferred"] for f in flights] == [False, True, False, False]
    assert [f["takeoff_inferred"] for f in flights] == [None, False, True, False]
    # callsigns: in the order the aircraft objects of the trace give them
    calls: list[str] = []
    for p in points:
        call = (p[8] or {}).get("flight", "").strip()
        if call and (not calls or calls[-1] != call):
            calls.append(call)
    assert [f["callsign"] for f in flights] == calls
    # the dark landing's evidence is the last sighting before the silence
    ev = json.loads(flights[1]["landing_evidence"])
    assert (ev["seen_lat"], ev["seen_lon"]) == (before[1], before[2])
    assert ev["next_seen_after_s"] == round(dt[dark])


def test_readsb_trace_set_aside_is_the_repeated_times(store: Store) -> None:
    path = shared("readsb/trace_full_ac671b.json")
    points = _trace(path)["trace"]
    _ingest(store, path)
    times = np.round(np.array([p[0] for p in points]) * 1000)  # readsb keeps ms
    repeated = int((np.diff(times) == 0).sum())
    aside = set_aside_of(store)
    assert len(aside) == repeated
    assert {a["reason"] for a in aside} <= {"duplicate time"}


# -- FR24: JAL516 Sapporo → Haneda, 2024-01-02 --------------------------------------------------
def test_fr24_jal516_departs_rjcc_lands_rjtt(store: Store) -> None:
    path = shared("fr24/JL516_3376ab31.csv")
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    first = [float(v) for v in rows[0]["Position"].split(",")]
    last = [float(v) for v in rows[-1]["Position"].split(",")]
    assert rows[0]["Altitude"] == "0" and rows[0]["Speed"] == "0"  # parked at the start
    assert rows[-1]["Altitude"] == "0"  # on the runway at the end
    origin, km0 = _nearest_airport(*first)
    destination, km1 = _nearest_airport(*last)
    assert (origin, destination) == ("RJCC", "RJTT")
    assert km0 < 5 and km1 < 5

    [f] = _ingest(store, path)
    assert f["callsign"] == rows[0]["Callsign"] == "JAL516"
    assert (f["takeoff_airport"], f["landing_airport"]) == ("RJCC", "RJTT")
    assert (f["takeoff_inferred"], f["landing_inferred"]) == (False, False)
    assert f["n_positions"] == len(rows)
    assert f["max_alt_ft"] == max(int(r["Altitude"]) for r in rows)


# -- OpenSky: RYR2RG, 20 minutes in cruise --------------------------------------------------
def test_opensky_cruise_has_no_takeoff_and_no_landing(store: Store) -> None:
    path = shared("opensky/state_vectors_4d2271.parquet")
    t = pq.read_table(path)
    assert min(a for a in t.column("baroaltitude").to_pylist() if a) * FT_PER_M > 30_000
    assert not any(t.column("onground").to_pylist())
    [f] = _ingest(store, path)
    assert f["icao24"] == "4d2271"
    assert (f["callsign"] or "").strip() == "RYR2RG"
    assert f["takeoff_airport"] is None and f["landing_airport"] is None
    stored = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
    assert f["n_positions"] == stored
