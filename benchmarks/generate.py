"""Realistic synthetic inputs for the benchmarks: readsb globe_history trees and ADSBx recordings.

Aircraft fly great-circle-ish legs with climbs, cruise and descents; every ~15th trace point
carries an aircraft object (callsign, squawk) as readsb writes them.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from pathlib import Path

START = 1_730_419_200.0  # 2024-11-01T00:00:00Z


def _track(rng: random.Random, n: int) -> list[list[object]]:
    lat, lon = rng.uniform(-60, 70), rng.uniform(-170, 170)
    heading = rng.uniform(0, 360)
    alt, t = 0.0, 0.0
    points: list[list[object]] = []
    for i in range(n):
        phase = i / n
        target = 36000 if 0.1 < phase < 0.9 else 0
        alt += max(-2500.0, min(2500.0, target - alt)) * 0.1
        gs = 140 + min(alt, 36000) / 36000 * 330
        dt = rng.uniform(2, 8)
        t += dt
        heading = (heading + rng.uniform(-2, 2)) % 360
        step = gs * dt / 3600 / 60
        lat = max(-85.0, min(85.0, lat + step * math.cos(math.radians(heading))))
        lon = (
            lon
            + step * math.sin(math.radians(heading)) / max(0.2, math.cos(math.radians(lat)))
            + 180
        ) % 360 - 180
        on_ground = alt < 50
        obj = None
        if i % 15 == 0:
            obj = {
                "type": "adsb_icao",
                "flight": f"RFF{rng.randint(1000, 9999)} ",
                "squawk": "1000",
                "alt_geom": int(alt) + 100,
            }
        flags = 2 if i == 0 else (1 if rng.random() < 0.02 else 0)
        points.append(
            [
                round(t, 2),
                round(lat, 6),
                round(lon, 6),
                "ground" if on_ground else int(alt),
                round(gs, 1),
                round(heading, 1),
                flags,
                0 if on_ground else int(rng.uniform(-64, 64)),
                obj,
                "adsb_icao",
                None if on_ground else int(alt) + 100,
                None,
                int(gs * 0.8),
                0.0,
            ]
        )
    return points


def readsb_tree(root: Path, n_positions: int, per_file: int = 4000, seed: int = 1) -> int:
    """Write gzip trace_full files into ``root/YYYY/MM/DD/traces/xx/``; returns the positions."""
    rng = random.Random(seed)
    written = 0
    day = 0
    while written < n_positions:
        hex_id = f"{rng.randrange(1 << 24):06x}"
        n = min(per_file, n_positions - written)
        ts = START + day * 86400
        folder = root / "2024" / "11" / f"{day % 28 + 1:02d}" / "traces" / hex_id[-2:]
        folder.mkdir(parents=True, exist_ok=True)
        doc = {
            "icao": hex_id,
            "r": "RA-78830",
            "t": "IL76",
            "timestamp": ts,
            "trace": _track(rng, n),
        }
        (folder / f"trace_full_{hex_id}.json").write_bytes(
            gzip.compress(json.dumps(doc).encode(), 6)
        )
        written += n
        day = (day + 1) % 28
    return written


def adsbx_recording(path: Path, n_positions: int, per_snapshot: int = 500, seed: int = 2) -> int:
    """A JSON-lines recording of ADSBx v2 responses, 5 s apart; returns positions written."""
    rng = random.Random(seed)
    fleet = [
        (f"{rng.randrange(1 << 24):06x}", rng.uniform(30, 60), rng.uniform(-10, 40))
        for _ in range(per_snapshot)
    ]
    written = 0
    now = START * 1000
    with path.open("w") as fh:
        while written < n_positions:
            ac = []
            for j, (hex_id, lat, lon) in enumerate(fleet):
                lat2 = lat + written / 1e6 + j * 1e-4
                ac.append(
                    {
                        "hex": hex_id,
                        "type": "adsb_icao",
                        "flight": "RCH123  ",
                        "alt_baro": 30000,
                        "alt_geom": 30500,
                        "gs": 450.2,
                        "track": 90.1,
                        "baro_rate": 0,
                        "squawk": "1000",
                        "lat": round(lat2, 6),
                        "lon": round(lon, 6),
                        "seen_pos": round(rng.uniform(0, 2), 3),
                        "seen": 0.1,
                        "messages": 100,
                        "rssi": -20.0,
                    }
                )
            fh.write(
                json.dumps(
                    {
                        "ac": ac,
                        "msg": "No error",
                        "now": int(now),
                        "total": len(ac),
                        "ctime": int(now),
                        "ptime": 1,
                    }
                )
                + "\n"
            )
            written += len(ac)
            now += 5000
    return written
