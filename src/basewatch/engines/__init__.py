"""Engines: the analysis on DuckDB (the default, in ``flights``/``identify``/``activity``) or on
Apache Spark (``spark.py``), which runs the same code per partition of addresses.

Nothing here imports pyspark at import time; ``SparkEngine`` needs it only when used.
"""

from basewatch.engines.spark import SparkEngine, activity_by_base

__all__ = ["SparkEngine", "activity_by_base"]
