"""Tiny input builders for tests: readsb traces written exactly as readsb lays them out."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def trace_points(
    n: int, lat0: float = 35.0, lon0: float = 36.0, dt: float = 5.0
) -> list[list[object]]:
    """``n`` airborne readsb trace points moving north-east, ``dt`` seconds apart."""
    return [
        [
            round(i * dt, 2),
            round(lat0 + i * 0.01, 6),
            round(lon0 + i * 0.01, 6),
            20000,
            300.0,
            45.0,
            0,
            0,
            None,
            "adsb_icao",
            20100,
            None,
            None,
            None,
        ]
        for i in range(n)
    ]


def write_trace(
    path: Path,
    points: list[list[object]],
    icao: str = "15a3c2",
    timestamp: float = T0,
    gz: bool = True,
) -> Path:
    """A ``trace_full`` file (gzip with a .json name by default, as readsb writes it)."""
    raw = json.dumps({"icao": icao, "timestamp": timestamp, "trace": points}).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path
