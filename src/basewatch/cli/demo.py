"""``demo``: the built-in scenario, simulated and run through the whole chain, with its reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from basewatch.cli.common import JsonOption, app, err, out, state
from basewatch.config import load_config, packaged_config


@app.command()
def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the data, truth.json, store and reports.")
    ] = Path("basewatch-demo"),
    seed: Annotated[int, typer.Option(help="Seed of the simulated scenario.")] = 7,
    base: Annotated[str, typer.Option("--base", help="The base the report is about.")] = "hmeimim",
    as_json: JsonOption = False,
) -> None:
    """Simulate the Hmeimim scenario into --out, ingest it, find flights and visits, report."""
    from basewatch.demo import Demo

    config = load_config(state.config) if state.config else packaged_config()

    def say(message: str) -> None:
        if not state.quiet:
            err.print(f"[dim]·[/] {message}", markup=True, highlight=False)

    result = Demo(out_dir, seed=seed, base=base).run(config, say)
    if as_json:
        print(json.dumps(result.as_json()))
        return
    out.print(f"\n[bold]{result.headline}[/]\n", markup=True, highlight=False)
    table = Table(title=f"basewatch demo in {out_dir}")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for stage, seconds in result.seconds.items():
        table.add_row(stage, f"{seconds:.1f}")
    out.print(table)
    out.print(
        f"{result.positions:,} positions, {result.flights:,} flights, "
        f"{result.visits:,} visits to {base}; store {result.store_path}",
        highlight=False,
    )
    for path in result.reports:
        out.print(f"report: {path}", highlight=False)
