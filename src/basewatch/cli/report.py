"""``report``: the evidence report of a base over a period, as Markdown, HTML or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from basewatch.cli.activity import BaseOption
from basewatch.cli.common import (
    DbOption,
    analysis_store,
    app,
    current_config,
    err,
    parse_time,
    state,
)
from basewatch.report import REPORT_FORMATS, ReportBuilder, render
from basewatch.report.render import check_format


@app.command()
def report(
    base: BaseOption,
    out: Annotated[Path, typer.Option("--out", help="The report file to write.")],
    fmt: Annotated[
        str, typer.Option("--format", help=f"One of: {', '.join(REPORT_FORMATS)}.")
    ] = "html",
    since: Annotated[str | None, typer.Option(help="Arrivals at or after (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Arrivals at or before.")] = None,
    db: DbOption = None,
) -> None:
    """Evidence report: headline, per-aircraft counts, routes, map, timeline, evidence table."""
    check_format(fmt)
    config = current_config()
    builder = ReportBuilder(
        base, config, parse_time(since, "--since"), parse_time(until, "--until")
    )
    with analysis_store(db, config) as store:
        facts = builder.build(store)
    written = render(facts, fmt, out)
    if not state.quiet:
        err.print(facts.headline, highlight=False, soft_wrap=True)
        for path in written:
            err.print(f"wrote {path}", highlight=False, soft_wrap=True)
