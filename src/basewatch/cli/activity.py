"""``visits`` and ``activity``: arrivals at a watched base, its pauses, resumptions and surges."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from basewatch.activity import ActivityAnalyzer, VisitDetector, resolve_base, visit_json
from basewatch.cli.common import (
    DbOption,
    JsonOption,
    analysis_store,
    app,
    current_config,
    out,
    parse_time,
)

BaseOption = Annotated[
    str, typer.Option("--base", help="A base of basewatch.yaml, or an ICAO code.")
]


def _visits(
    base: str, since: str | None, until: str | None, state_only: bool, db: str | None
) -> list[dict[str, Any]]:
    config = current_config()
    resolved = resolve_base(base, config)
    with analysis_store(db, config) as store:
        table = VisitDetector(resolved, config, state_only=state_only).detect(
            store, parse_time(since, "--since"), parse_time(until, "--until")
        )
    return [visit_json(r) for r in table.to_pylist()]


@app.command()
def visits(
    base: BaseOption,
    since: Annotated[str | None, typer.Option(help="Arrivals at or after (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Arrivals at or before.")] = None,
    state_only: Annotated[bool, typer.Option("--state-only", help="Only state aircraft.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Arrivals at a base (observed or inferred) with identity, origin, departure and reasons."""
    docs = _visits(base, since, until, state_only, db)
    if as_json:
        print(json.dumps(docs))
        return
    table = Table(title=f"{len(docs):,} visits to {base}")
    for col in ("arrival", "aircraft", "type", "from", "departure", "to", "how"):
        table.add_column(col)
    for d in docs:
        how = f"inferred {d['confidence']:.2f}" if d["inferred"] else "observed"
        table.add_row(
            d["arrival_time"],
            d["registration"] or d["icao24"],
            d["type"] or "",
            d["origin"] or "?",
            d["departure_time"] or "",
            d["destination"] or "",
            how,
        )
    out.print(table)


@app.command()
def activity(
    base: BaseOption,
    pause_days: Annotated[float, typer.Option(help="A gap longer than this is a pause.")] = 30.0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pauses, resumptions and surges of the watched class's arrivals at a base."""
    docs = _visits(base, None, None, False, db)
    arrivals = [(parse_time(d["arrival_time"], "arrival"), d["icao24"]) for d in docs]
    result = ActivityAnalyzer(pause_days=pause_days).analyze(
        [(t, icao) for t, icao in arrivals if t is not None]
    )
    if as_json:
        print(json.dumps(result))
        return
    for r in result["resumptions"]:
        out.print(
            f"resumption {r['time']}: {r['icao24']} first arrival in {r['after_days']:.0f} days"
        )
    for s in result["surges"]:
        out.print(
            f"surge {s['start']} – {s['end']}: {s['count']} arrivals (baseline {s['baseline']})"
        )
    out.print(f"{len(result['pauses'])} pauses, {len(docs)} visits")
