"""Shared pieces of the command line: the app, global options, parsing helpers, consoles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from basewatch.config import Config, load_config
from basewatch.errors import UsageError
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


class State:
    """Global options shared by every verb."""

    db: str = ""
    quiet: bool = False
    config: str | None = None


state = State()

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store file (env BASEWATCH_DB, default ./basewatch.duckdb)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Write one JSON document to stdout.")]


@app.callback()
def _global(
    db: DbOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", help="basewatch.yaml (env BASEWATCH_CONFIG, else ./basewatch.yaml)."
        ),
    ] = None,
) -> None:
    state.db = db or default_db_path()
    state.quiet = quiet
    state.config = config


def current_config() -> Config:
    """The config chosen by --config > BASEWATCH_CONFIG > ./basewatch.yaml > packaged default."""
    return load_config(state.config)


def open_store(db: str | None) -> Store:
    return Store.open(db or state.db)


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
