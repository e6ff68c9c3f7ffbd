"""``flights`` and ``routes``: tracks cut into flights with their airports, chained into routes."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from basewatch.cli.common import DbOption, JsonOption, analysis_store, app, out, parse_time
from basewatch.flights import FlightBuilder
from basewatch.flights.routes import daily, iso, itineraries, legs
from basewatch.store import Store

SinceOption = Annotated[
    str | None, typer.Option(help="Only flights ending at or after (ISO 8601).")
]
UntilOption = Annotated[str | None, typer.Option(help="Only flights starting at or before.")]


def _end(row: dict[str, Any], kind: str) -> dict[str, Any] | None:
    if row[f"{kind}_airport"] is None:
        return None
    evidence = row[f"{kind}_evidence"]
    return {
        "airport": row[f"{kind}_airport"],
        "time": iso(row[f"{kind}_time"]),
        "inferred": row[f"{kind}_inferred"],
        "confidence": row[f"{kind}_confidence"],
        "evidence": json.loads(evidence) if evidence else None,
    }


def flight_json(row: dict[str, Any]) -> dict[str, Any]:
    """The ``flights --json`` shape of DESIGN.md (plus first/last seen)."""
    return {
        "flight_id": row["flight_id"],
        "icao24": row["icao24"],
        "callsign": row["callsign"],
        "n_positions": row["n_positions"],
        "first_seen": iso(row["start_time"]),
        "last_seen": iso(row["end_time"]),
        "takeoff": _end(row, "takeoff"),
        "landing": _end(row, "landing"),
    }


@app.command()
def flights(
    icao24: Annotated[str | None, typer.Option(help="One aircraft (hex address).")] = None,
    airport: Annotated[str | None, typer.Option(help="Took off or landed at (ICAO).")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Flights with takeoff and landing airports (inferred ones with their confidence)."""
    with analysis_store(db) as store:
        rows = _legs(store, icao24, since, until, airport)
    docs = [flight_json(r) for r in rows]
    if as_json:
        print(json.dumps(docs))
        return
    table = Table(title=f"{len(docs):,} flights")
    for col in ("flight_id", "callsign", "from", "to", "positions"):
        table.add_column(col)
    for d in docs:
        table.add_row(
            d["flight_id"],
            d["callsign"] or "",
            _label(d["takeoff"]),
            _label(d["landing"]),
            str(d["n_positions"]),
        )
    out.print(table)


def _legs(
    store: Store,
    icao24: str | None,
    since: str | None,
    until: str | None,
    airport: str | None = None,
) -> list[dict[str, Any]]:
    """Flights of the store (built first when stale), filtered as the options say."""
    FlightBuilder().ensure(store)
    return legs(store, icao24, parse_time(since, "--since"), parse_time(until, "--until"), airport)


def _label(end: dict[str, Any] | None) -> str:
    if end is None:
        return "?"
    return (
        f"{end['airport']} (inferred {end['confidence']:.2f})"
        if end["inferred"]
        else end["airport"]
    )


@app.command()
def routes(
    icao24: Annotated[str | None, typer.Option(help="One aircraft (hex address).")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Each aircraft's legs in order, and its route day by day."""
    with analysis_store(db) as store:
        rows = _legs(store, icao24, since, until)
        ids = {
            r["icao24"]: {"registration": r["registration"], "type": r["type_code"]}
            for r in store.con.sql("SELECT icao24, registration, type_code FROM aircraft")
            .to_arrow_table()
            .to_pylist()
        }
    docs = itineraries(rows, ids)
    for doc in docs:
        doc["days"] = daily(doc)
    if as_json:
        print(json.dumps(docs))
        return
    for doc in docs:
        out.print(f"[bold]{doc['icao24']}[/] {doc['registration'] or ''} {doc['type'] or ''}")
        for day in doc["days"]:
            out.print(f"  {day['date']}  {day['route']}")
