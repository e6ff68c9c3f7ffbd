"""OpenSky Network state vectors: REST ``/api/states/all`` responses and history-database extracts.

Both carry metres and m/s, converted at once. A state without a position (no position time, or
null latitude/longitude) is not a position: it is skipped, not rejected. Layouts, as verified in
openskynetwork/opensky-api: REST states are index-ordered as ``StateVector.keys`` in
``python/opensky_api.py`` (``docs/free/states-response.rst``; position_source 0 = ADS-B,
1 = ASTERIX, 2 = MLAT, 3 = FLARM); history rows are ``state_vectors_data4`` columns
(``docs/free/trino.rst``), timed by ``lastposupdate`` (else ``time``). History positions are ADS-B:
state vectors come from ADS-B and Mode S messages (``docs/free/state-vectors.rst``), of which only
ADS-B carries positions, and MLAT positions have their own table (``readsb_mlat_sv``, trino.rst).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from basewatch.model import FPM_PER_MS, FT_PER_M, KT_PER_MS
from basewatch.sources.base import GZIP_ERRORS, HEAD_BYTES, Blob, Chunk, ReadOptions, Reject
from basewatch.sources.columns import to_chunk
from basewatch.sources.textcols import (
    BATCH_LINES,
    RowProblems,
    as_bool,
    as_epoch,
    as_float,
    as_string,
    csv_batches,
    header_names,
    py_array,
)
from basewatch.sources.vocab import map_vocabulary

#: REST state vector fields by index (opensky-api python/opensky_api.py ``StateVector.keys``).
REST_FIELDS = (
    "icao24", "callsign", "origin_country", "time_position", "last_contact", "longitude",
    "latitude", "baro_altitude", "on_ground", "velocity", "true_track", "vertical_rate",
    "sensors", "geo_altitude", "squawk", "spi", "position_source", "category",
)  # fmt: skip
#: ``category`` (index 17) only comes with ``extended=1``.
MIN_STATE_LEN = 17
#: REST ``position_source`` codes → ``pos_source`` (ASTERIX and FLARM have no canonical kind).
POSITION_SOURCES = {"0": "adsb", "1": "other", "2": "mlat", "3": "other"}
#: ``state_vectors_data4`` columns (trino.rst) but ``serials``, ``hour``; HISTORY_READ is read.
HISTORY_COLUMNS = (
    "time", "icao24", "lat", "lon", "velocity", "heading", "vertrate", "callsign", "onground",
    "alert", "spi", "squawk", "baroaltitude", "geoaltitude", "lastposupdate", "lastcontact",
)  # fmt: skip
HISTORY_READ = tuple(c for c in HISTORY_COLUMNS if c not in ("alert", "spi", "lastcontact"))
HISTORY_REQUIRED = ("time", "icao24", "lat", "lon")
HISTORY_SNIFF = (*HISTORY_REQUIRED, "velocity", "heading", "vertrate", "baroaltitude")
PARQUET_MAGIC = b"PAR1"

#: Vendor column of each canonical quantity.
REST_NAMES = {
    "icao24": "icao24", "callsign": "callsign", "lat": "latitude", "lon": "longitude",
    "gs": "velocity", "track": "true_track", "vrate": "vertical_rate", "baro": "baro_altitude",
    "geo": "geo_altitude", "ground": "on_ground", "squawk": "squawk",
}  # fmt: skip
HISTORY_NAMES = {
    "icao24": "icao24", "callsign": "callsign", "lat": "lat", "lon": "lon", "gs": "velocity",
    "track": "heading", "vrate": "vertrate", "baro": "baroaltitude", "geo": "geoaltitude",
    "ground": "onground", "squawk": "squawk",
}  # fmt: skip


@dataclass
class _Vectors:
    """State vectors as read: vendor columns, position time (epoch s), problems so far."""

    columns: dict[str, pa.Array]
    names: dict[str, str]
    time: pa.Array
    problems: RowProblems
    records: pa.Array
    raw: pa.Table | Sequence[Any]
    pos_source: pa.Array

    def get(self, key: str) -> pa.Array:
        return self.columns.get(self.names[key], pa.nulls(len(self.records)))


def _state_chunk(v: _Vectors, options: ReadOptions, rejects: list[Reject]) -> Chunk:
    """Canonical chunk of state vectors in SI units; rows without a position are skipped."""
    num: dict[str, pa.Array] = {}
    for key in ("lat", "lon", "gs", "track", "vrate", "baro", "geo"):
        num[key], bad = as_float(v.get(key))
        v.problems.add(bad, f"{v.names[key]}: not a number")
    ground, bad = as_bool(v.get("ground"))
    v.problems.add(bad, f"{v.names['ground']}: not a boolean")
    squawk = as_string(v.get("squawk"))
    if pa.types.is_integer(v.get("squawk").type):
        squawk = pc.utf8_lpad(squawk, 4, "0")
    finite = [pc.is_finite(a) for a in (v.time, num["lat"], num["lon"])]
    has_pos = pc.fill_null(pc.and_(pc.and_(finite[0], finite[1]), finite[2]), False)
    rejects = [*rejects, *v.problems.rejects(v.records, v.raw)]
    keep = pc.and_(v.problems.ok, has_pos)
    columns = {
        "time": v.time,
        "icao24": as_string(v.get("icao24")),
        "callsign": as_string(v.get("callsign")),
        "lat": num["lat"],
        "lon": num["lon"],
        "alt_baro_ft": pc.round(pc.multiply(num["baro"], FT_PER_M)),
        "alt_geom_ft": pc.round(pc.multiply(num["geo"], FT_PER_M)),
        "gs_kt": pc.multiply(num["gs"], KT_PER_MS),
        "track_deg": num["track"],
        "vrate_fpm": pc.multiply(num["vrate"], FPM_PER_MS),
        "on_ground": ground,
        "squawk": squawk,
        "pos_source": v.pos_source,
    }
    kept = {k: a.filter(keep) for k, a in columns.items()}
    return to_chunk(kept, v.records.filter(keep), options, rejects)


def _empty(rejects: list[Reject], options: ReadOptions) -> Chunk:
    return to_chunk({}, [], options, rejects)


class OpenSkyRest:
    """Adapter for OpenSky REST ``/api/states/all`` JSON: one response, or JSON lines of many."""

    name: ClassVar[str] = "opensky_rest"
    description: ClassVar[str] = "OpenSky REST /api/states/all JSON (one response or JSON lines)"

    def sniff(self, head: bytes) -> bool:
        start = head.lstrip()[:1]
        return start == b"{" and b'"states"' in head and b'"time"' in head

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        if _first_line_is_object(blob):
            yield from _read_json_lines(blob, options)
            return
        data, broken = blob.read_all()
        states = _States()
        if broken is not None:
            states.rejects.append(broken)
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            states.rejects.append(Reject(f"invalid JSON: {exc}", offset=exc.pos))
        else:
            states.add_response(doc, "document", None)
        yield states.flush(options)


def _first_line_is_object(blob: Blob) -> bool:
    """True when the first non-blank line is a whole JSON object (JSON lines, or one-line JSON)."""
    try:
        with blob.open() as fh:
            for line in fh:
                if line.strip():
                    return isinstance(orjson.loads(line), dict)
    except (*GZIP_ERRORS, orjson.JSONDecodeError):  # type: ignore[misc]
        return False
    return False


@dataclass
class _States:
    """REST states gathered across responses until a chunk is due; numbered across the file."""

    rows: list[list[Any]] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    count: int = 0

    def add_response(self, doc: Any, where: str, offset: int | None) -> None:
        if not isinstance(doc, dict) or "states" not in doc:
            self.rejects.append(Reject(f"{where}: not an OpenSky states response", offset=offset))
            return
        states = doc["states"] if doc["states"] is not None else []
        if not isinstance(states, list):
            self.rejects.append(Reject(f"{where}: 'states' is not a list", offset=offset))
            return
        for state in states:
            self.count += 1
            if state.__class__ is list and len(state) >= MIN_STATE_LEN:
                self.rows.append(state)
                self.records.append(self.count)
            else:
                why = f"state is not a list of {MIN_STATE_LEN}+ values"
                self.rejects.append(Reject(why, self.count, offset, repr(state)[:300]))

    def flush(self, options: ReadOptions) -> Chunk:
        chunk = _rest_chunk(self.rows, self.records, self.rejects, options)
        self.rows, self.records, self.rejects = [], [], []
        return chunk


def _read_json_lines(blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
    """One response per line, streamed; a chunk every ~100,000 states."""
    states = _States()
    offset = 0
    try:
        with blob.open() as fh:
            for line_no, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        doc = orjson.loads(line)
                    except orjson.JSONDecodeError as exc:
                        states.rejects.append(
                            Reject(f"line {line_no}: invalid JSON: {exc}", None, offset)
                        )
                    else:
                        states.add_response(doc, f"line {line_no}", offset)
                offset += len(line)
                if len(states.rows) >= BATCH_LINES:
                    yield states.flush(options)
    except GZIP_ERRORS as exc:
        states.rejects.append(Reject(f"corrupt or truncated gzip: {exc}", offset=offset))
    yield states.flush(options)


def _rest_chunk(
    rows: list[list[Any]], records: list[int], rejects: list[Reject], options: ReadOptions
) -> Chunk:
    """Columns of index-ordered REST states; the position time is ``time_position``."""
    n = len(rows)
    if not n:
        return _empty(rejects, options)
    values = list(itertools.zip_longest(*rows))[: len(REST_FIELDS)]
    values += [(None,) * n] * (len(REST_FIELDS) - len(values))
    skip = {"origin_country", "sensors", "spi", "category"}
    columns = {k: py_array(v) for k, v in zip(REST_FIELDS, values, strict=True) if k not in skip}
    problems = RowProblems(n)
    time, bad = as_float(columns["time_position"])
    problems.add(bad, "time_position: not a number")
    source = map_vocabulary(as_string(columns["position_source"]), POSITION_SOURCES, "other")
    record_arr = pa.array(records, pa.int64())
    vectors = _Vectors(columns, REST_NAMES, time, problems, record_arr, rows, source)
    return _state_chunk(vectors, options, rejects)


class OpenSkyHistory:
    """Adapter for OpenSky history ``state_vectors_data4`` extracts, CSV or Parquet."""

    name: ClassVar[str] = "opensky_history"
    description: ClassVar[str] = "OpenSky history state_vectors_data4 extract (CSV or Parquet)"

    def sniff(self, head: bytes) -> bool:
        if head[:4] == PARQUET_MAGIC:
            return _parquet_head_matches(head)
        names = header_names(head)
        return all(c in names for c in HISTORY_SNIFF)

    def read(self, blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
        if blob.head(4) == PARQUET_MAGIC:
            yield from _read_parquet(blob, options)
            return
        for batch in csv_batches(blob, HISTORY_REQUIRED):
            names = batch.table.column_names
            columns = {
                n: c.combine_chunks() for n, c in zip(names, batch.table.columns, strict=True)
            }
            yield _history_chunk(columns, batch.lines, batch.table, options, batch.rejects)


def _parquet_head_matches(head: bytes) -> bool:
    """A whole small file in ``head`` must have the columns; a larger one is checked on read."""
    if len(head) >= HEAD_BYTES or not head.endswith(PARQUET_MAGIC):
        return True
    try:
        names = pq.ParquetFile(io.BytesIO(head)).schema_arrow.names
    except (pa.ArrowException, OSError):
        return False
    return all(c in names for c in HISTORY_SNIFF)


def _parquet_source(blob: Blob) -> tuple[BinaryIO | None, Reject | None]:
    """A seekable handle on the Parquet bytes (gunzipped into memory when needed)."""
    if not blob.is_gzip:
        return blob.open_raw(), None
    data, broken = blob.read_all()
    return (None, broken) if broken is not None else (io.BytesIO(data), None)


def _read_parquet(blob: Blob, options: ReadOptions) -> Iterator[Chunk]:
    """Row batches of a Parquet extract, streamed; records are 1-based row numbers."""
    try:
        source, broken = _parquet_source(blob)
        if source is None:
            yield _empty([broken] if broken else [], options)
            return
        with source:
            pf = pq.ParquetFile(source)
            names = pf.schema_arrow.names
            missing = [c for c in HISTORY_REQUIRED if c not in names]
            if missing:
                yield _empty([Reject(f"Parquet file lacks columns {missing}")], options)
                return
            wanted = [c for c in HISTORY_READ if c in names]
            first = 1
            for batch in pf.iter_batches(batch_size=BATCH_LINES, columns=wanted):
                table = pa.Table.from_batches([batch])
                records = pa.array(np.arange(first, first + batch.num_rows, dtype=np.int64))
                first += batch.num_rows
                columns = {c: table.column(c).combine_chunks() for c in wanted}
                yield _history_chunk(columns, records, table, options, [])
    except (pa.ArrowException, OSError) as exc:
        yield _empty([Reject(f"corrupt or unreadable Parquet: {exc}")], options)


def _history_chunk(
    columns: dict[str, pa.Array],
    records: pa.Array,
    raw: pa.Table,
    options: ReadOptions,
    rejects: list[Reject],
) -> Chunk:
    """State vectors timed by ``lastposupdate`` (when the position was valid), else ``time``."""
    n = len(records)
    if not n:
        return _empty(rejects, options)
    problems = RowProblems(n)
    row_time, bad = as_epoch(columns["time"])
    problems.add(bad, "time: not a time")
    pos_time, bad = as_epoch(columns.get("lastposupdate", pa.nulls(n)))
    problems.add(bad, "lastposupdate: not a time")
    pos_time = pc.if_else(pc.is_finite(pos_time), pos_time, pa.scalar(None, pa.float64()))
    time = pc.coalesce(pos_time, row_time)
    source = pa.repeat(pa.scalar("adsb", pa.string()), n)
    vectors = _Vectors(columns, HISTORY_NAMES, time, problems, records, raw, source)
    return _state_chunk(vectors, options, rejects)
