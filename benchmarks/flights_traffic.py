"""The ``traffic`` side of benchmarks/flights.py, run by traffic's own interpreter (its venv).

    $TRAFFIC_PYTHON benchmarks/flights_traffic.py export OUT_DIR NAME...   # samples → Parquet
    $TRAFFIC_PYTHON benchmarks/flights_traffic.py run POSITIONS.parquet FLIGHTS.parquet

``run`` is traffic's idiomatic pipeline: ``Traffic.assign_id().eval()`` to split, then
``Flight.infer_airport("takeoff"|"landing")`` per flight; it prints one JSON line of timings.
Imports only traffic and pandas: it never runs inside the project's environment.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd


def export(out: Path, names: list[str]) -> None:
    """Write traffic's samples as Parquet in basewatch's canonical column names and units."""
    from traffic.data import samples

    for name in names:
        df = getattr(samples, name).data

        def col(c: str, dtype: str = "float64", df: pd.DataFrame = df) -> pd.Series:
            if c in df.columns:
                return df[c].astype(dtype)
            return pd.Series([None] * len(df), index=df.index, dtype=dtype)

        frame = pd.DataFrame(
            {
                "time": pd.to_datetime(df.timestamp, utc=True).astype("datetime64[us, UTC]"),
                "icao24": df.icao24.astype(str).str.lower(),
                "callsign": col("callsign", "string"),
                "lat": col("latitude"),
                "lon": col("longitude"),
                "alt_baro_ft": col("altitude"),  # traffic: barometric altitude in ft
                "alt_geom_ft": col("geoaltitude"),
                "gs_kt": col("groundspeed"),
                "track_deg": col("track"),
                "vrate_fpm": col("vertical_rate"),
                "on_ground": col("onground", "boolean"),
                "squawk": col("squawk", "string"),
            }
        )
        frame.to_parquet(out / f"{name}.parquet", index=False)


def run(src: Path, out: Path) -> None:
    """Split and attribute airports; write one row per flight; print timings as JSON."""
    from traffic.core import Traffic

    df = pd.read_parquet(src)
    df["onground"] = df["onground"].astype("boolean").fillna(False).astype(bool)
    t0 = time.perf_counter()
    flights = Traffic(df).assign_id().eval()
    t1 = time.perf_counter()
    found = []
    for f in flights:
        found.append((f, f.infer_airport("takeoff"), f.infer_airport("landing")))
    t2 = time.perf_counter()
    rows = [_row(f, takeoff, landing) for f, takeoff, landing in found]  # not timed
    pd.DataFrame(rows).to_parquet(out, index=False)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats = {
        "split_s": t1 - t0,
        "airports_s": t2 - t1,
        "flights": len(rows),
        "rss_mb": usage.ru_maxrss / 1024,
        "version": __import__("traffic").__version__,
    }
    print(json.dumps(stats))


def _row(f: Any, takeoff: Any, landing: Any) -> dict[str, Any]:
    """One flight and its airports, for the comparison."""
    first, last = f.data.iloc[0], f.data.iloc[-1]
    return {
        "flight_id": f.flight_id,
        "icao24": f.icao24,
        "start_us": f.start.value // 1000,
        "stop_us": f.stop.value // 1000,
        "n_positions": len(f),
        "takeoff": takeoff.icao,
        "takeoff_km": takeoff.distance / 1000,
        "landing": landing.icao,
        "landing_km": landing.distance / 1000,
        "first_lat": first.latitude,
        "first_lon": first.longitude,
        "last_lat": last.latitude,
        "last_lon": last.longitude,
    }


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(Path(sys.argv[2]), sys.argv[3:])
    else:
        run(Path(sys.argv[2]), Path(sys.argv[3]))
