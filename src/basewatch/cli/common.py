"""Shared pieces of the command line: the app, global options, parsing helpers, consoles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from basewatch.config import Config, load_config
from basewatch.errors import UsageError
from basewatch.memory import keep_freed_memory
from basewatch.store import Store, default_db_path

app = typer.Typer(
    name="basewatch",
    help="Evidence about military and state air activity at air bases, from public tracking data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err = Console(stderr=True)
out = Console()
#: The analysis engines (``--engine``).
ENGINES = ("duckdb", "spark")


class State:
    """Global options shared by every verb."""

    db: str = ""
    quiet: bool = False
    config: str | None = None
    engine: str | None = None


state = State()

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store file (env BASEWATCH_DB, default ./basewatch.duckdb)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Write one JSON document to stdout.")]


#: Verbs that run for long: they return freed memory to the system (no batch malloc tuning).
LONG_RUNNING = ("watch", "serve")


@app.callback()
def _global(
    ctx: typer.Context,
    db: DbOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", help="basewatch.yaml (env BASEWATCH_CONFIG, else ./basewatch.yaml)."
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="duckdb (default) or spark: where flights, classes and visits are computed "
            "(env BASEWATCH_ENGINE).",
        ),
    ] = None,
) -> None:
    if engine is not None and engine not in ENGINES:
        raise UsageError(f"--engine: {engine!r} is not one of {', '.join(ENGINES)}")
    if ctx.invoked_subcommand not in LONG_RUNNING:
        keep_freed_memory()
    state.db = db or default_db_path()
    state.quiet = quiet
    state.config = config
    state.engine = engine


def current_config() -> Config:
    """The config chosen by --config > BASEWATCH_CONFIG > ./basewatch.yaml > packaged default."""
    return load_config(state.config)


def open_store(db: str | None) -> Store:
    return Store.open(db or state.db)


def engine_of(config: Config) -> str:
    """The analysis engine: ``--engine`` > BASEWATCH_ENGINE > ``settings: engine`` > duckdb."""
    engine = str(config.setting("engine", state.engine))
    if engine not in ENGINES:
        raise UsageError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    return engine


@contextmanager
def analysis_store(db: str | None, config: Config | None = None) -> Iterator[Store]:
    """The store for an analysis verb: with ``--engine spark``, its flights, classes and
    visits are first made on Spark when stale (``engines/refresh.py``), then read as usual."""
    config = config or current_config()
    engine = engine_of(config)
    with open_store(db) as store:
        if engine == "spark":
            from basewatch.engines.refresh import SparkRefresh

            master = config.setting("spark_master")
            SparkRefresh(config, master=master).refresh(store, say=_say)
        yield store


def _say(message: str) -> None:
    if not state.quiet:
        err.print(message, highlight=False, soft_wrap=True)


def parse_time(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{what}: {value!r} is not an ISO 8601 time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_reference(value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lat, lon = (float(x) for x in value.split(","))
    except ValueError as exc:
        raise UsageError(f"--reference: {value!r} is not LAT,LON") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise UsageError(f"--reference: {value!r} is not a position on Earth")
    return lat, lon
