"""The Spark engine: the DuckDB engine's code run per partition of addresses (``mapInArrow``).

Positions are repartitioned by ``icao24`` and sorted within partitions as ``flights/build.py``
sorts them, so each task holds whole aircraft (a flight across midnight, or across the files
of the Parquet input, lands in one task) and runs ``partition.py``'s tasks over them. Only the
per-base activity (pauses, resumptions, surges over visits) runs on the driver. pyspark is
imported here only: basewatch imports and runs without it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from basewatch.activity.bases import ResolvedBase, resolve_base
from basewatch.activity.events import ActivityAnalyzer
from basewatch.config import Config
from basewatch.engines.partition import (
    ASIDE_COLUMN,
    CHUNK_POSITIONS,
    CLASS_COLUMN,
    FLIGHT_COLUMN,
    ClassTask,
    FlightTask,
    VisitTask,
)
from basewatch.flights.build import ORDER
from basewatch.flights.endpoints import EndpointFinder
from basewatch.flights.segment import COLUMNS, Segmenter
from basewatch.store import Store

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

#: What ``run`` writes under its output folder.
FLIGHTS_DIR, ASIDE_DIR, CLASSES_DIR, VISITS_DIR, ACTIVITY_FILE, RUN_FILE = (
    "flights",
    "set_aside",
    "aircraft_class",
    "visits",
    "activity.json",
    "run.json",
)
#: Session settings the engine relies on: times in UTC (Arrow batches and Parquet alike), and
#: Parquet timestamps that DuckDB reads back as TIMESTAMPTZ (not Spark's legacy INT96).
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}


def sort_order() -> list[Column]:
    """``flights/build.py``'s ORDER as Spark columns: DuckDB sorts ascending with NULLS LAST
    by default, Spark with NULLS FIRST, so every key says it."""
    from pyspark.sql import functions as F

    keys = []
    for term in ORDER.split(","):
        name, *rest = term.split()
        if rest not in ([], ["NULLS", "LAST"]):
            raise ValueError(f"flights/build.py ORDER term {term!r} is not ascending NULLS LAST")
        keys.append(F.col(name).asc_nulls_last())
    return keys


def portable(config: Config) -> Config:
    """The config with plain dicts and no parsed document: what a task closure can pickle."""
    return Config(
        origin=config.origin,
        bases=config.bases,
        watchlists=config.watchlists,
        settings=dict(config.settings),
        identify=_plain(config.identify),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dict | MappingProxyType):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value


def empty_registry() -> pa.Table:
    """The ``aircraft`` table with no rows, in the store's column types."""
    with Store.open(":memory:") as store:
        table: pa.Table = store.con.sql("SELECT * FROM aircraft").to_arrow_table()
    return table


@dataclass
class SparkEngine:
    """Flights, classes, visits and activity on Spark, from the DuckDB engine's definitions.

    ``partitions``: shuffle partitions of addresses (default ``spark.sql.shuffle.partitions``);
    ``aircraft``: the aircraft registry (the store's ``aircraft`` table; none: no registry)."""

    spark: SparkSession
    config: Config
    partitions: int | None = None
    aircraft: pa.Table | None = None
    segmenter: Segmenter = field(default_factory=Segmenter)
    endpoints: EndpointFinder = field(default_factory=EndpointFinder)
    analyzer: ActivityAnalyzer = field(default_factory=ActivityAnalyzer)
    chunk_positions: int = CHUNK_POSITIONS

    def __post_init__(self) -> None:
        for key, value in SESSION_CONF.items():
            self.spark.conf.set(key, value)

    def segments(self, positions: DataFrame) -> DataFrame:
        """Tables ``flights`` and ``set_aside`` (as ``FlightBuilder.build`` makes them) from
        canonical positions, packed in one frame (``partition.pack``): one pass of the
        segmenter gives both."""
        rows = (
            positions.select(*COLUMNS)
            .repartition(self._partitions(), "icao24")
            .sortWithinPartitions(*sort_order())
        )
        task = FlightTask(self.segmenter, self.endpoints, self.chunk_positions)
        return _map(rows, task, task.schema(_arrow_schema(rows)))

    def flights(self, positions: DataFrame) -> DataFrame:
        """Table ``flights`` alone."""
        return unpacked(self.segments(positions), FLIGHT_COLUMN)

    def set_aside(self, positions: DataFrame) -> DataFrame:
        """Table ``set_aside`` alone: the positions the segmenter did not use, with why."""
        return unpacked(self.segments(positions), ASIDE_COLUMN)

    def classes(self, positions: DataFrame) -> DataFrame:
        """Table ``aircraft_class`` for every address seen in ``positions`` or listed in the
        registry (as ``Classifier.build`` covers positions ∪ aircraft)."""
        from pyspark.sql import functions as F

        registry = self.registry()
        listed = self.spark.createDataFrame(registry.select(["icao24"])).select(
            "icao24", F.lit(None).cast("string").alias("callsign")
        )
        calls = (
            positions.select("icao24", "callsign")
            .unionByName(listed)
            .distinct()
            .repartition(self._partitions(), "icao24")
        )
        task = ClassTask(portable(self.config), registry)
        return _map(calls, task, task.schema())

    def visits(
        self,
        flights: DataFrame,
        bases: ResolvedBase | Sequence[ResolvedBase],
        classes: DataFrame,
    ) -> DataFrame:
        """Table ``visits`` of one base or several (column ``base`` tells which), from the
        flights and the classes, ordered by base, arrival time and address."""
        from pyspark.sql import functions as F

        chosen = (bases,) if isinstance(bases, ResolvedBase) else tuple(bases)
        fields = [c for c in classes.columns if c != "icao24"]
        packed = classes.select("icao24", F.struct(*fields).alias(CLASS_COLUMN))
        rows = flights.join(packed, "icao24", "left").repartition(self._partitions(), "icao24")
        task = VisitTask(portable(self.config), chosen)
        visits = _map(rows, task, task.schema(_arrow_schema(rows)))
        return visits.orderBy("base", "arrival_time", "icao24")

    def activity(self, visits: DataFrame | pa.Table) -> dict[str, dict[str, Any]]:
        """Pauses, resumptions and surges per base (``ActivityAnalyzer`` on the driver: one row
        per visit is small), arrivals to the second as the report and the CLI read them."""
        table = visits if isinstance(visits, pa.Table) else visits.toArrow()
        return activity_by_base(table, self.analyzer)

    def registry(self) -> pa.Table:
        """The aircraft registry in the store's types (empty when none was given)."""
        empty = empty_registry()
        if self.aircraft is None:
            return empty
        return self.aircraft.select(empty.schema.names).cast(empty.schema)

    def run(
        self, positions_path: str, out_dir: str, bases: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Read Hive-partitioned Parquet positions; write ``flights/``, ``set_aside/``,
        ``aircraft_class/`` and ``visits/`` as Parquet, ``activity.json`` and ``run.json`` (what
        was read, the counts) under ``out_dir``, a local folder or any Hadoop file system URI."""
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        spark, out = self.spark, out_dir.rstrip("/")
        positions = spark.read.parquet(positions_path)
        resolved = [resolve_base(b, self.config) for b in bases or self._base_names()]
        segments = self.segments(positions).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            unpacked(segments, FLIGHT_COLUMN).write.mode("overwrite").parquet(
                f"{out}/{FLIGHTS_DIR}"
            )
            unpacked(segments, ASIDE_COLUMN).write.mode("overwrite").parquet(f"{out}/{ASIDE_DIR}")
        finally:
            segments.unpersist()
        self.classes(positions).write.mode("overwrite").parquet(f"{out}/{CLASSES_DIR}")
        flights = spark.read.parquet(f"{out}/{FLIGHTS_DIR}")
        classes = spark.read.parquet(f"{out}/{CLASSES_DIR}")
        visits = self.visits(flights, resolved, classes)
        visits.write.mode("overwrite").parquet(f"{out}/{VISITS_DIR}")
        table = spark.read.parquet(f"{out}/{VISITS_DIR}").toArrow()
        activity = activity_by_base(table, self.analyzer, [b.name for b in resolved])
        write_text(spark, f"{out}/{ACTIVITY_FILE}", json.dumps(activity, indent=1) + "\n")
        read = positions.agg(F.count("*"), F.coalesce(F.max("ingest_id"), F.lit(0))).first()
        summary = {
            "read": {
                "positions": int(read[0]) if read else 0,
                "max_ingest_id": int(read[1]) if read else 0,
                "path": positions_path,
                "settings": [repr(self.segmenter), repr(self.endpoints)],
            },
            "flights": flights.count(),
            "set_aside": spark.read.parquet(f"{out}/{ASIDE_DIR}").count(),
            "aircraft": classes.count(),
            "visits": table.num_rows,
            "bases": [b.name for b in resolved],
            "out": out,
        }
        write_text(spark, f"{out}/{RUN_FILE}", json.dumps(summary, indent=1) + "\n")
        return summary

    def _base_names(self) -> list[str]:
        return [b.name for b in self.config.bases]

    def _partitions(self) -> int:
        if self.partitions:
            return self.partitions
        return int(self.spark.conf.get("spark.sql.shuffle.partitions") or 200)


def activity_by_base(
    visits: pa.Table, analyzer: ActivityAnalyzer, bases: Iterable[str] = ()
) -> dict[str, dict[str, Any]]:
    """``ActivityAnalyzer.analyze`` of each base's arrivals (every base of ``bases`` is listed,
    with or without visits)."""
    arrivals: dict[str, list[tuple[datetime, str]]] = {b: [] for b in bases}
    rows = visits.select(["base", "arrival_time", "icao24"]).to_pylist()
    for r in rows:
        when = r["arrival_time"].replace(microsecond=0)
        arrivals.setdefault(r["base"], []).append((when, r["icao24"]))
    return {base: analyzer.analyze(found) for base, found in sorted(arrivals.items())}


def unpacked(segments: DataFrame, column: str) -> DataFrame:
    """The rows of one of ``partition.pack``'s struct columns, as plain columns."""
    from pyspark.sql import functions as F

    return segments.where(F.col(column).isNotNull()).select(f"{column}.*")


def _arrow_schema(frame: DataFrame) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    schema: pa.Schema = to_arrow_schema(frame.schema, timezone="UTC")
    return schema


def _map(
    frame: DataFrame,
    task: Callable[[Iterable[pa.RecordBatch]], Iterator[pa.RecordBatch]],
    schema: pa.Schema,
) -> DataFrame:
    """``frame.mapInArrow(task)``, each batch cast to the Spark schema's Arrow form (DuckDB's
    types, e.g. string views or JSON, become what Spark declares)."""
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    spark_schema = from_arrow_schema(schema)
    target = to_arrow_schema(spark_schema, timezone="UTC")

    def cast(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in task(batches):
            yield batch.cast(target)

    return frame.mapInArrow(cast, spark_schema)


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    """Write a small driver-side file through Hadoop's file system API: the same call for a
    local folder, HDFS or an object store."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
