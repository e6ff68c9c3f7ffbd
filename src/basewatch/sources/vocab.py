"""Vendor vocabularies mapped onto canonical values (readsb position types → ``pos_source``)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

#: readsb / tar1090 ``type`` of a position (README-json.md) → canonical ``pos_source``.
READSB_TYPES: dict[str, str] = {
    "adsb_icao": "adsb",
    "adsb_icao_nt": "adsb",
    "adsb_other": "adsb",
    "adsr_icao": "adsr",
    "adsr_other": "adsr",
    "tisb_icao": "tisb",
    "tisb_other": "tisb",
    "tisb_trackfile": "tisb",
    "mlat": "mlat",
    "mode_s": "modes",
    "adsc": "other",
    "other": "other",
    "unknown": "other",
}


def map_vocabulary(values: pa.Array, mapping: dict[str, str], default: str) -> pa.Array:
    """Map a string column through ``mapping`` (via its few distinct values), else ``default``."""
    encoded = pc.dictionary_encode(values.cast(pa.string()))
    mapped = pa.array(
        [mapping.get(v, default) for v in encoded.dictionary.to_pylist()], type=pa.string()
    )
    indices = pc.fill_null(encoded.indices, -1)
    out = pc.take(mapped, pc.if_else(pc.equal(indices, -1), 0, indices)) if len(mapped) else None
    if out is None:
        return pa.array([default] * len(values), type=pa.string())
    return pc.if_else(pc.equal(indices, -1), default, out)
