"""``ingest``, ``stats`` and ``export``: files into the store, and what it holds, out again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from basewatch.cli.common import (
    DbOption,
    JsonOption,
    analysis_store,
    app,
    err,
    open_store,
    out,
    parse_reference,
    parse_time,
    state,
)
from basewatch.errors import UsageError
from basewatch.sources import ReadOptions, format_names
from basewatch.store import IngestResult, Store

if TYPE_CHECKING:
    from basewatch.engines.dataset import ParquetDataset


def sample_paths() -> list[str]:
    """The small synthetic captures shipped in the package (see data/sample/PROVENANCE.md)."""
    folder = resources.files("basewatch") / "data" / "sample"
    return sorted(str(p) for p in folder.iterdir() if not p.name.endswith(".md"))


@app.command()
def ingest(
    paths: Annotated[list[str] | None, typer.Argument(help="Files, folders, globs, or -.")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"Force a format: {', '.join(format_names())}.")
    ] = None,
    sample: Annotated[bool, typer.Option("--sample", help="Ingest the shipped sample.")] = False,
    reference: Annotated[
        str | None, typer.Option(help="Receiver LAT,LON for local CPR decoding (Mode-S).")
    ] = None,
    reference_time: Annotated[
        str | None, typer.Option(help="Absolute time of a Beast file's first message.")
    ] = None,
    icao24: Annotated[
        str | None, typer.Option(help="Address for formats that carry none (FR24 exports).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Skip tree days before this.")] = None,
    until: Annotated[str | None, typer.Option(help="Skip tree days after this.")] = None,
    to: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--to",
            metavar="parquet DIR",
            help="Write a Hive-partitioned Parquet dataset in DIR instead of the store "
            "(spark run reads it).",
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Read tracking files into the store (the same file twice counts once)."""
    inputs = list(paths or []) + (sample_paths() if sample else [])
    if not inputs:
        raise UsageError("give at least one PATH (or --sample)")
    options = ReadOptions(
        reference=parse_reference(reference),
        reference_time=parse_time(reference_time, "--reference-time"),
        icao24=icao24.lower() if icao24 else None,
        since=parse_time(since, "--since"),
        until=parse_time(until, "--until"),
    )
    with _destination(to, db) as store:
        work, skipped = store.plan(inputs, fmt, options)
        for why in skipped:
            err.print(f"[yellow]skipped[/] {why}", markup=True, highlight=False)
        results = _run_with_progress(store, work, options)
    if as_json:
        print(json.dumps({"ingests": [r.as_json() for r in results], "skipped": skipped}))
    else:
        _print_ingest_table(results)


@contextmanager
def _destination(to: tuple[str, str] | None, db: str | None) -> Iterator[Store | ParquetDataset]:
    """The store, or the Parquet dataset of ``--to parquet DIR``."""
    if to is None:
        with open_store(db) as store:
            yield store
        return
    kind, folder = to
    if kind != "parquet":
        raise UsageError(f"--to {kind!r}: the only destination besides the store is parquet")
    from basewatch.engines.dataset import ParquetDataset

    yield ParquetDataset(folder)


def _run_with_progress(
    store: Store | ParquetDataset, work: list[Any], options: ReadOptions
) -> list[IngestResult]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:,} records"),
        TimeElapsedColumn(),
        console=err,
        disable=state.quiet or not err.is_terminal,
    )
    with progress:
        task = progress.add_task("ingest", total=len(work), rows=0)
        counted = {"rows": 0, "files": set()}  # type: dict[str, Any]

        def tick(result: IngestResult, rows: int) -> None:
            counted["rows"] += rows
            counted["files"].add(result.ingest_id)
            progress.update(task, completed=len(counted["files"]), rows=counted["rows"])

        results = store.ingest(work, options=options, progress=tick)
        progress.update(task, completed=len(work))
    return results


def _print_ingest_table(results: list[IngestResult]) -> None:
    table = Table(title="ingest")
    for col in ("path", "format", "accepted", "rejected", "duplicates", "status"):
        table.add_column(
            col, justify="right" if col in ("accepted", "rejected", "duplicates") else "left"
        )
    for r in results:
        table.add_row(
            r.path, r.format, f"{r.accepted:,}", f"{r.rejected:,}", f"{r.duplicates:,}", r.status
        )
    out.print(table)
    for r in results:
        for reason, count in sorted(r.reject_reasons.items()):
            err.print(f"{r.path}: rejected {count} × {reason}", highlight=False, markup=False)


@app.command()
def stats(db: DbOption = None, as_json: JsonOption = False) -> None:
    """What the store holds: positions, aircraft, ingests, time span."""
    with open_store(db) as store:
        figures = store.stats()
    if as_json:
        print(json.dumps(figures))
        return
    table = Table(title=f"basewatch store {db or state.db}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    out.print(table)


@app.command()
def export(
    what: Annotated[str, typer.Argument(help="positions | flights | visits")],
    fmt: Annotated[
        str, typer.Option("--format", help="parquet | csv (all); geojson | kml (flights, visits)")
    ] = "parquet",
    out_path: Annotated[
        Path, typer.Option("--out", help="Folder (positions Parquet) or file.")
    ] = Path("export"),
    db: DbOption = None,
) -> None:
    """Export positions (Hive-partitioned Parquet by date, or CSV), flights or visits."""
    from basewatch.flights import FlightBuilder
    from basewatch.report import export_flights, export_visits

    with open_store(db) if what == "positions" else analysis_store(db) as store:
        if what == "positions":
            written = store.export_positions(out_path, fmt)
        elif what == "flights":
            FlightBuilder().ensure(store)
            written = export_flights(store, out_path, fmt)
        elif what == "visits":
            written = export_visits(store, out_path, fmt)
        else:
            raise UsageError(f"cannot export {what!r}; choose: positions, flights, visits")
    err.print(f"wrote {written}", highlight=False)
