"""The one canonical position schema every adapter produces and the store keeps.

Adapters rename vendor fields into these columns at once; units are feet, knots and ft/min.
"""

from __future__ import annotations

import pyarrow as pa

#: Allowed values of ``pos_source``: how the position was obtained.
POS_SOURCES: tuple[str, ...] = ("adsb", "mlat", "tisb", "adsr", "modes", "other")

#: Columns an adapter yields (the store adds ``ingest_id``).
RAW_FIELDS: list[pa.Field] = [
    pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("icao24", pa.string(), nullable=False),
    pa.field("callsign", pa.string()),
    pa.field("lat", pa.float64(), nullable=False),
    pa.field("lon", pa.float64(), nullable=False),
    pa.field("alt_baro_ft", pa.int32()),
    pa.field("alt_geom_ft", pa.int32()),
    pa.field("gs_kt", pa.float32()),
    pa.field("track_deg", pa.float32()),
    pa.field("vrate_fpm", pa.float32()),
    pa.field("on_ground", pa.bool_()),
    pa.field("squawk", pa.string()),
    pa.field("pos_source", pa.string(), nullable=False),
    pa.field("new_leg", pa.bool_()),
    pa.field("stale", pa.bool_()),
]

#: What adapters yield: the canonical columns without ``ingest_id``.
RAW_SCHEMA = pa.schema(RAW_FIELDS)

#: The canonical position schema (DuckDB table ``positions``).
POSITION_SCHEMA = pa.schema([*RAW_FIELDS, pa.field("ingest_id", pa.int64(), nullable=False)])

FT_PER_M = 3.280839895
KT_PER_MS = 1.943844492
FPM_PER_MS = 196.8503937
