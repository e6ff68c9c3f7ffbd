"""``--engine spark`` for a store: its flights made on Spark, then read by the verbs as usual.

When the stored flights are not current (new positions, other settings), the positions and the
aircraft registry go out as Parquet to a work folder, ``SparkEngine.run`` computes flights,
set-aside positions, classes and visits there, and ``attach`` loads them back; ``flights``,
``visits``, ``report`` and the others then find them current and read them as they read
DuckDB's own. Current flights are never recomputed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from basewatch.config import Config
from basewatch.errors import UsageError
from basewatch.flights.build import FlightBuilder
from basewatch.store import Store

#: Where a store's Spark work goes, beside the store file: ``<store>.spark/``.
WORK_SUFFIX = ".spark"
#: What the engine and the store exchange inside the work folder.
POSITIONS_DIR, REGISTRY_FILE, RESULTS_DIR = "positions", "aircraft.parquet", "results"


def spark_session(master: str | None, partitions: int | None = None) -> Any:
    """The active SparkSession (spark-submit's), or a new one on ``master``; a UsageError
    saying what to install when pyspark is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UsageError(
            "the Spark engine needs pyspark: pip install 'basewatch[spark]' (and Java 17)"
        ) from exc
    builder = SparkSession.builder.appName("basewatch")
    if master:
        builder = builder.master(master)
    if partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(partitions))
    return builder.getOrCreate()


@dataclass
class SparkRefresh:
    """Make a store's analysis tables on Spark when they are stale.

    ``master``: a Spark master URL (``local[*]``, ``spark://…``, ``yarn``); ``work``: the
    folder for the exchanged Parquet (default ``<store>.spark/`` beside the store)."""

    config: Config
    master: str | None = "local[*]"
    work: Path | None = None
    partitions: int | None = None

    def refresh(
        self, store: Store, say: Callable[[str], None] = lambda _: None
    ) -> dict[str, Any] | None:
        """Run the analysis on Spark and attach it unless the flights are current; returns
        the run's summary (None when nothing had to be done)."""
        if FlightBuilder().is_current(store):
            return None
        from basewatch.engines.results import attach, export_registry
        from basewatch.engines.spark import SparkEngine

        work = self._work(store)
        positions, registry, results = (
            work / POSITIONS_DIR,
            work / REGISTRY_FILE,
            work / RESULTS_DIR,
        )
        shutil.rmtree(positions, ignore_errors=True)
        store.export_positions(positions, "parquet")
        export_registry(store, registry)
        say(f"spark ({self.master or 'spark-submit'}): positions exported to {positions}")
        spark = spark_session(self.master, self.partitions)
        aircraft = spark.read.parquet(str(registry)).toArrow()
        engine = SparkEngine(spark, self.config, partitions=self.partitions, aircraft=aircraft)
        summary = engine.run(str(positions), str(results))
        counts = attach(store, results)
        if not counts["current"]:  # the store changed under us: it never should, we hold it
            raise UsageError(f"{store.path}: the Spark results do not match the store's positions")
        say(
            f"spark: {summary['read']['positions']:,} positions → {summary['flights']:,} "
            f"flights, {summary['visits']:,} visits; attached from {results}"
        )
        return summary

    def _work(self, store: Store) -> Path:
        if self.work is not None:
            return self.work
        if store.path == ":memory:":
            return Path(tempfile.mkdtemp(prefix="basewatch-spark-"))
        return Path(store.path).with_name(Path(store.path).name + WORK_SUFFIX)
