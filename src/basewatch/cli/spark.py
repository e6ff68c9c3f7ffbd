"""``spark run|aircraft|attach``: the analysis on Apache Spark, and its results back in a store.

``basewatch spark run`` works under ``spark-submit`` (the master and resources come from it) or
alone with ``--master local[2]``; pyspark is needed only by ``run``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from basewatch.cli.common import DbOption, JsonOption, app, current_config, err, open_store, state

spark_app = typer.Typer(
    help="Run the analysis on Apache Spark (pip install 'basewatch\\[spark]').",
    no_args_is_help=True,
)
app.add_typer(spark_app, name="spark")


@spark_app.command("run")
def run(
    positions: Annotated[
        str, typer.Option("--positions", help="Hive-partitioned Parquet positions (export).")
    ],
    out_dir: Annotated[str, typer.Option("--out", help="Folder (or URI) for the results.")],
    aircraft: Annotated[
        str | None,
        typer.Option("--aircraft", help="The aircraft registry as Parquet (spark aircraft)."),
    ] = None,
    base: Annotated[
        list[str] | None, typer.Option("--base", help="Bases (default: all of the config).")
    ] = None,
    master: Annotated[
        str | None,
        typer.Option(
            "--master", help="Spark master, e.g. local[2] (not needed under spark-submit)."
        ),
    ] = None,
    partitions: Annotated[
        int | None, typer.Option("--partitions", help="Partitions of addresses (shuffle).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Flights, classes, visits and activity on Spark; Parquet and activity.json under --out."""
    from basewatch.engines import SparkEngine
    from basewatch.engines.refresh import spark_session

    spark = spark_session(master, partitions)
    registry = spark.read.parquet(aircraft).toArrow() if aircraft else None
    engine = SparkEngine(spark, current_config(), partitions=partitions, aircraft=registry)
    summary = engine.run(positions, out_dir, base or None)
    if as_json:
        print(json.dumps(summary))
    elif not state.quiet:
        err.print(
            f"{summary['read']['positions']:,} positions → {summary['flights']:,} flights, "
            f"{summary['visits']:,} visits of {', '.join(summary['bases'])}; wrote {out_dir}",
            highlight=False,
            soft_wrap=True,
        )


@spark_app.command("aircraft")
def aircraft_(
    out_file: Annotated[Path, typer.Option("--out", help="The Parquet file to write.")],
    db: DbOption = None,
) -> None:
    """Write the store's aircraft registry as Parquet, for spark run --aircraft."""
    from basewatch.engines.results import export_registry

    with open_store(db) as store:
        rows = export_registry(store, out_file)
    if not state.quiet:
        err.print(f"wrote {rows:,} aircraft to {out_file}", highlight=False, soft_wrap=True)


@spark_app.command("attach")
def attach_(
    results: Annotated[Path, typer.Option("--results", help="The --out folder of spark run.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load the results of spark run into the store (flights, aircraft_class, visits)."""
    from basewatch.engines.results import attach

    with open_store(db) as store:
        counts = attach(store, results)
    if as_json:
        print(json.dumps(counts))
    elif not state.quiet:
        note = "" if counts["current"] else " (the store holds other positions: not current)"
        err.print(
            f"attached {counts['flights']:,} flights, {counts['visits']:,} visits{note}",
            highlight=False,
            soft_wrap=True,
        )
