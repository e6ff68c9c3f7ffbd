"""What one Spark task runs over its slice of aircraft: the DuckDB engine's own code, unchanged.

Each function takes the Arrow record batches of one partition (positions, or flights, sorted by
address) and yields Arrow batches. Segmentation is ``Segmenter.segments``; airports are
``EndpointFinder.attribute``; classes are ``Classifier.probe``; visits are ``VisitDetector``'s
query — each over an in-process DuckDB connection holding only this partition's data. Every one
of them works aircraft by aircraft, so any split of the addresses gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.activity.bases import ResolvedBase
from basewatch.activity.visits import VisitDetector
from basewatch.config import Config
from basewatch.flights.build import whole_aircraft
from basewatch.flights.endpoints import EndpointFinder
from basewatch.flights.segment import COLUMNS, SET_ASIDE_SCHEMA, Segmenter
from basewatch.identify.classify import Classifier
from basewatch.store import Store

#: Positions handed to the segmenter at once (whole aircraft): the bucket size of
#: ``flights/build.py``, so one task's memory stays bounded whatever its partition holds.
CHUNK_POSITIONS = 1_000_000
#: The column that carries an address's class beside its flights into the visits task.
CLASS_COLUMN = "aircraft_class"
#: ``FlightTask``'s two outputs in one schema (``mapInArrow`` yields one): a row holds either a
#: flight or a position set aside, as a struct in its own column, the other column null.
FLIGHT_COLUMN, ASIDE_COLUMN = "flight", "set_aside"


def task_connection(threads: int = 1) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for one task: UTC like ``Store.open`` (evidence times are
    formatted in the session zone); one thread, Spark already runs a task per core."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET threads = {int(threads)}")
    return con


@dataclass(frozen=True)
class FlightTask:
    """Segmentation and airport attribution of one partition of positions sorted by
    (icao24, time and ``flights/build.py``'s tie-breakers): the rows of tables ``flights``
    and ``set_aside``, packed (see ``pack``)."""

    segmenter: Segmenter = field(default_factory=Segmenter)
    endpoints: EndpointFinder = field(default_factory=EndpointFinder)
    chunk_positions: int = CHUNK_POSITIONS
    threads: int = 1

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The flights and set-aside positions of these positions, as ``FlightBuilder.build``
        makes them."""
        con = task_connection(self.threads)
        try:
            for table in whole_aircraft(batches, self.chunk_positions):
                segments, aside = self.segmenter.segments(table.select(list(COLUMNS)))
                flights = self.endpoints.attribute(con, segments)
                yield from pack(flights, aside.cast(SET_ASIDE_SCHEMA)).to_batches()
        finally:
            con.close()

    def schema(self, positions: pa.Schema) -> pa.Schema:
        """The packed schema of what positions of this schema give (run on no rows)."""
        empty = positions.empty_table().select(list(COLUMNS))
        segments, _ = self.segmenter.segments(empty)
        con = task_connection(self.threads)
        try:
            flights = self.endpoints.attribute(con, segments)
        finally:
            con.close()
        return pack(flights, SET_ASIDE_SCHEMA.empty_table()).schema


def pack(flights: pa.Table, aside: pa.Table) -> pa.Table:
    """Flights then set-aside positions in one table: column ``flight`` holds a flight's row
    (null on set-aside rows), column ``set_aside`` a set-aside position's (null on flights)."""
    f_type = pa.struct(list(flights.schema))
    a_type = pa.struct(list(aside.schema))
    f_rows = _structs(flights, f_type)
    a_rows = _structs(aside, a_type)
    return pa.table(
        {
            FLIGHT_COLUMN: pa.concat_arrays([f_rows, pa.nulls(aside.num_rows, f_type)]),
            ASIDE_COLUMN: pa.concat_arrays([pa.nulls(flights.num_rows, a_type), a_rows]),
        }
    )


def unpack(packed: pa.Table, column: str) -> pa.Table:
    """The rows of one of ``pack``'s columns as a plain table (``FLIGHT_COLUMN`` or
    ``ASIDE_COLUMN``)."""
    values = packed.column(column)
    rows = packed.filter(pc.is_valid(values)).column(column).combine_chunks()
    return pa.Table.from_struct_array(rows)


def _structs(table: pa.Table, kind: pa.StructType) -> pa.Array:
    columns = [c.combine_chunks() for c in table.columns]
    return pa.StructArray.from_arrays(columns, fields=list(kind))


@dataclass(frozen=True)
class ClassTask:
    """Classification of the addresses of one partition of distinct (icao24, callsign) rows,
    against the whole aircraft registry (small: shipped to every task)."""

    config: Config
    aircraft: pa.Table
    threads: int = 1

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """One ``aircraft_class`` row per address, as ``Classifier.build`` makes it."""
        tables = [pa.Table.from_batches([b]) for b in batches if b.num_rows]
        if tables:
            yield from self.classify(pa.concat_tables(tables)).to_batches()

    def classify(self, calls: pa.Table) -> pa.Table:
        """``Classifier.probe`` over a store made of these callsigns and the registry."""
        con = task_connection(self.threads)
        try:
            con.register("positions", calls)
            con.register("aircraft", self.aircraft)
            addresses = pc.unique(calls.column("icao24")).to_pylist()
            classifier = Classifier.from_config(self.config)
            table: pa.Table = classifier.probe(Store(con, ":memory:"), addresses)
            return table
        finally:
            con.close()

    def schema(self) -> pa.Schema:
        """The schema of ``aircraft_class`` (run on one made-up address)."""
        calls = pa.table({"icao24": ["000000"], "callsign": pa.array([None], pa.string())})
        return self.classify(calls).schema


@dataclass(frozen=True)
class VisitTask:
    """Visits of every base from one partition of flights sorted by (icao24, start_time),
    each row carrying its address's class as a struct column ``aircraft_class``."""

    config: Config
    bases: Sequence[ResolvedBase]
    threads: int = 1

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The rows ``VisitDetector.detect`` gives for each base (base by base)."""
        tables = [pa.Table.from_batches([b]) for b in batches if b.num_rows]
        if tables:
            for table in self.visits(pa.concat_tables(tables)):
                yield from table.to_batches()

    def visits(self, rows: pa.Table) -> Iterator[pa.Table]:
        """``VisitDetector(maintained, save=False)`` over tables ``flights`` and
        ``aircraft_class`` of this partition, for each base."""
        con = task_connection(self.threads)
        try:
            con.register("flights", rows.drop_columns([CLASS_COLUMN]))
            con.register("aircraft_class", _classes(rows))
            store = Store(con, ":memory:")
            for base in self.bases:
                detector = VisitDetector(base, self.config, maintained=True, save=False)
                yield detector.detect(store)
        finally:
            con.close()

    def schema(self, rows: pa.Schema) -> pa.Schema:
        """The schema of the visits of flights (with classes) of this schema."""
        return next(self.visits(rows.empty_table())).schema


def _classes(rows: pa.Table) -> pa.Table:
    """One class row per address: the struct column of its first flight (every flight of an
    address carries the same struct; an unclassified address has a null one)."""
    index = pa.array(np.arange(rows.num_rows))
    keys = pa.table({"icao24": rows.column("icao24"), "i": index})
    at = keys.group_by("icao24", use_threads=False).aggregate([("i", "min")]).column("i_min")
    packed = rows.column(CLASS_COLUMN).take(at)
    flat = pa.table({"icao24": rows.column("icao24").take(at), CLASS_COLUMN: packed}).flatten()
    prefix = f"{CLASS_COLUMN}."
    flat = flat.rename_columns([n.removeprefix(prefix) for n in flat.schema.names])
    return flat.filter(pc.is_valid(packed))
