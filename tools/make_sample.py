"""Regenerate the small synthetic sample shipped in ``src/basewatch/data/sample/``.

    python tools/make_sample.py

A fictional Russian state Il-76 (address 15a3c2, callsign RFF7071) descends from the north into
Hmeimim (OSLK) and lands; the same approach is also captured as ADS-B Exchange v2 snapshots, so
ingesting both shows cross-source deduplication. Deterministic: same bytes every run.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "basewatch" / "data" / "sample"
HEX = "15a3c2"
START = 1_761_300_000.0  # 2025-10-24T09:20:00Z
OSLK = (35.4011, 35.9487)


def approach() -> list[list[object]]:
    """Trace points: cruise south at FL300, descend, land at OSLK, taxi."""
    points: list[list[object]] = []
    lat, lon = 37.6, 36.05
    for i in range(240):
        t = i * 10.0
        remaining = math.hypot(lat - OSLK[0], (lon - OSLK[1]) * math.cos(math.radians(lat)))
        alt = min(30000, int(remaining * 60 * 320))
        on_ground = remaining < 0.01
        gs = 16.0 if on_ground else max(140.0, min(430.0, 140 + alt / 100))
        step = gs * 10 / 3600 / 60
        if not on_ground:
            lat -= step * (lat - OSLK[0]) / max(remaining, 1e-9)
            lon -= step * (lon - OSLK[1]) / max(remaining, 1e-9) / math.cos(math.radians(lat))
        obj = None
        if i % 12 == 0:
            obj = {"type": "adsb_icao", "flight": "RFF7071 ", "squawk": "7401", "category": "A5"}
        points.append(
            [
                round(t, 2),
                round(lat, 6),
                round(lon, 6),
                "ground" if on_ground else alt,
                round(gs, 1),
                186.0,
                2 if i == 0 else 0,
                0 if on_ground else -1200,
                obj,
                "adsb_icao",
                None if on_ground else alt + 150,
                None,
                None,
                None,
            ]
        )
    return points


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    points = approach()
    doc = {
        "icao": HEX,
        "r": "RF-76999",
        "t": "IL76",
        "desc": "ILYUSHIN IL-76",
        "dbFlags": 1,
        "timestamp": START,
        "trace": points,
    }
    raw = json.dumps(doc, separators=(",", ":")).encode()
    # readsb writes traces gzip-compressed but keeps the .json name
    (OUT / f"trace_full_{HEX}.json").write_bytes(gzip.compress(raw, mtime=0))
    # the final approach again, polled from an ADS-B Exchange v2 API every 30 s (JSON lines):
    # the positions it shares with the trace are stored once
    lines = []
    for point in points[150:210:3]:
        seen_pos = 1.5
        now_ms = round((START + float(point[0]) + seen_pos) * 1000)  # type: ignore[arg-type]
        ac = {"hex": HEX, "type": "adsb_icao", "flight": "RFF7071 ", "r": "RF-76999", "t": "IL76",
              "alt_baro": point[3], "gs": point[4], "track": point[5], "squawk": "7401",
              "lat": point[1], "lon": point[2], "seen_pos": seen_pos, "seen": 0.2,
              "rr_lat": 35.5, "rr_lon": 35.8, "messages": 4242, "rssi": -18.5}
        lines.append(json.dumps({"ac": [ac], "msg": "No error", "now": now_ms, "total": 1,
                                 "ctime": now_ms, "ptime": 3}, separators=(",", ":")))
    (OUT / "adsbx_v2_point_oslk.jsonl").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
