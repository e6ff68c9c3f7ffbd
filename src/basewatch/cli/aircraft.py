"""``aircraft import|show|list``: aircraft databases in, identities with their reasons out."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from basewatch.cli.common import DbOption, JsonOption, app, current_config, err, open_store, out
from basewatch.identify.lookup import identify, list_aircraft
from basewatch.identify.registry import format_names, import_aircraft

aircraft_app = typer.Typer(help="Aircraft databases and identities.", no_args_is_help=True)
app.add_typer(aircraft_app, name="aircraft")


@aircraft_app.command("import")
def import_(
    paths: Annotated[list[str], typer.Argument(help="Database files or tar1090-db folders.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"Force a format: {', '.join(format_names())}.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import tar1090-db, plane-alert-db, ADSBx basic-ac-db or OpenSky aircraft databases."""
    with open_store(db) as store:
        results = import_aircraft(store, paths, fmt)
    if as_json:
        print(json.dumps({"imports": [r.as_json() for r in results]}))
        return
    table = Table(title="aircraft import")
    for col in ("path", "format", "accepted", "rejected", "status"):
        table.add_column(col, justify="right" if col in ("accepted", "rejected") else "left")
    for r in results:
        table.add_row(r.path, r.format, f"{r.accepted:,}", f"{r.rejected:,}", r.status)
    out.print(table)
    for r in results:
        for reason, count in sorted(r.reject_reasons.items()):
            err.print(f"{r.path}: rejected {count} × {reason}", highlight=False, markup=False)
        for note in r.notes:
            err.print(f"{r.path}: {note}", highlight=False, markup=False)


def write_csv(rows: list[dict[str, object]]) -> None:
    """Rows as CSV on stdout (lists joined with ';')."""
    if not rows:
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        )


@aircraft_app.command("show")
def show(
    who: Annotated[str, typer.Argument(help="ICAO address (hex) or registration.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Who an aircraft is: country, registration, type, operator, military/state and why."""
    with open_store(db) as store:
        identity = identify(store, who, current_config())
    doc = identity.as_json()
    if as_json:
        print(json.dumps(doc))
        return
    table = Table(title=f"aircraft {doc['icao24']}", show_header=False)
    for key in (
        "icao24",
        "country",
        "registration",
        "type",
        "operator",
        "military",
        "state",
        "verdict",
        "confidence",
    ):
        table.add_row(key, "" if doc.get(key) is None else str(doc[key]))
    out.print(table)
    reasons = Table(title="reasons")
    for col in ("rule", "says", "weight", "detail", "source"):
        reasons.add_column(col)
    for r in doc["reasons"]:
        reasons.add_row(
            *(str(r.get(c, "")) for c in ("rule", "says", "weight", "detail", "source"))
        )
    out.print(reasons)


LIST_COLUMNS = (
    "icao24",
    "registration",
    "type_code",
    "operator",
    "country",
    "verdict",
    "military",
    "state",
    "confidence",
    "watchlists",
)


@aircraft_app.command("list")
def list_(
    military: Annotated[
        bool | None, typer.Option("--military/--civil", help="Only military (or only not).")
    ] = None,
    state_only: Annotated[bool, typer.Option("--state", help="Only state aircraft.")] = False,
    country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2 country, e.g. RU.")] = None,
    watchlist: Annotated[str | None, typer.Option(help="A watchlist name of the config.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Write CSV to stdout.")] = False,
) -> None:
    """Classified aircraft, filtered by class, country or watchlist."""
    with open_store(db) as store:
        table = list_aircraft(
            store,
            military=military,
            country=country,
            watchlist=watchlist,
            state=True if state_only else None,
            config=current_config(),
        )
    rows = [{k: r.get(k) for k in LIST_COLUMNS} for r in table.to_pylist()]
    if as_json:
        print(json.dumps(rows, default=str))
    elif as_csv:
        write_csv(rows)
    else:
        view = Table(title=f"{len(rows):,} aircraft")
        for col in LIST_COLUMNS:
            view.add_column(col)
        for row in rows[:500]:
            view.add_row(*("" if row[c] is None else str(row[c]) for c in LIST_COLUMNS))
        out.print(view)
        if len(rows) > 500:
            err.print(f"(first 500 of {len(rows):,}; use --json or --csv for all)")
