"""The naive baseline of the activity benchmark: pandas, one group per aircraft, one per flight.

    python activity_naive.py POSITIONS.parquet AIRPORTS.parquet WATCH.json

WATCH.json: ``{"bases": [{"name", "icao", "lat", "lon", "radius_km"}], "state": [icao24, ...]}``
(the watched addresses: those the imported aircraft database flags military).

What a notebook would do: read the positions, ``groupby("icao24")``, sort each aircraft by
time, cut flights at gaps (> 5 min low or on the ground, > 10 h anywhere) and at takeoffs after
a ground stop, then for each flight's last position the nearest airport (haversine to every
airport), a landing when within 8 km and low; a visit to a base when it landed at the base's
airport or ended low within its radius, counted for watched (state) aircraft only. Prints one
JSON line: read_s (Parquet), seconds (the rest), flights, visits per base. Needs pandas and
pyarrow only (no basewatch), so it runs in any interpreter that has them.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

EARTH_KM = 6371.0088


def haversine_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distances from one point to many."""
    p1, p2 = np.radians(lat), np.radians(lats)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lons - lon) / 2) ** 2
    )
    return np.asarray(2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0))))


def split_flights(g: pd.DataFrame) -> pd.Series:
    """A flight number per position of one aircraft sorted by time."""
    dt = g["time"].diff().dt.total_seconds()
    ground = g["on_ground"].fillna(False).astype(bool)
    low = (g["alt_baro_ft"].fillna(0) < 10_000) | ground
    gap = (dt > 36_000) | ((dt > 300) & (low | low.shift(fill_value=True)))
    takeoff = ~ground & ground.shift(fill_value=False)
    return (gap | takeoff).cumsum()


def visits(
    positions: pd.DataFrame, airports: pd.DataFrame, bases: list[dict[str, Any]], state: set[str]
) -> tuple[int, dict[str, int]]:
    """Flights and watched visits per base."""
    lats, lons = airports["lat"].to_numpy(), airports["lon"].to_numpy()
    elev, icao = airports["elevation_ft"].to_numpy(), airports["icao"].to_numpy()
    counts = {str(b["name"]): 0 for b in bases}
    flights = 0
    for address, g in positions.groupby("icao24", sort=False):
        g = g.sort_values("time")
        watched = address in state
        for _, f in g.groupby(split_flights(g)):
            if f["on_ground"].fillna(False).all() or len(f) < 2:
                continue
            flights += 1
            last = f.iloc[-1]
            d = haversine_km(last["lat"], last["lon"], lats, lons)
            near = int(np.argmin(d))
            alt = last["alt_baro_ft"]
            low = bool(last["on_ground"]) or (pd.notna(alt) and alt - elev[near] <= 3_000)
            landed = icao[near] if d[near] <= 8 and low else None
            if not watched:
                continue
            for b in bases:
                there = haversine_km(
                    b["lat"], b["lon"], np.array([last["lat"]]), np.array([last["lon"]])
                )[0]
                if (b["icao"] and landed == b["icao"]) or (there <= b["radius_km"] and low):
                    counts[str(b["name"])] += 1
    return flights, counts


def main() -> None:
    positions_path, airports_path, watch_path = sys.argv[1:4]
    start = time.perf_counter()
    positions = pd.read_parquet(positions_path)
    airports = pd.read_parquet(airports_path)
    with open(watch_path) as fh:
        watch = json.load(fh)
    read = time.perf_counter() - start
    flights, counts = visits(positions, airports, watch["bases"], set(watch["state"]))
    seconds = time.perf_counter() - start - read
    doc = {"read_s": read, "seconds": seconds, "flights": flights, "visits": counts}
    print(json.dumps({**doc, "rows": len(positions)}))


if __name__ == "__main__":
    main()
