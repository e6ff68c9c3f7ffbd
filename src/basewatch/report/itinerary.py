"""Routes of the visiting aircraft over the period: their flights (``flights.routes.legs``)
chained field to field, ``Benina (HLLB) → Hmeimim (OSLK) → Chkalovsky (UUMU)``; an unseen
stretch (a flight that starts where the last did not end) shows as ``…``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from basewatch.config import Config
from basewatch.flights.routes import legs
from basewatch.report.facts import Aircraft, Leg, Route
from basewatch.report.words import airport_name
from basewatch.store import Store

#: Legs spelled out per aircraft in the text (the latest ones; the JSON keeps them all): a year
#: of shuttles is a list, not a route.
SHOWN_LEGS = 8


def routes(
    store: Store,
    aircraft: tuple[Aircraft, ...],
    since: datetime | None,
    until: datetime | None,
    config: Config,
) -> tuple[Route, ...]:
    """One route per visiting aircraft (in the order they first arrived)."""
    out = []
    for a in aircraft:
        rows = legs(store, a.icao24, since, until)
        chain = tuple(_leg(r, config) for r in rows)
        text = chain_text(chain[-SHOWN_LEGS:], config)
        if len(chain) > SHOWN_LEGS:
            text = f"({len(chain) - SHOWN_LEGS} earlier legs) … {text}"
        out.append(Route(a.icao24, a.label, chain, text, f"{a.label}: {text}"))
    return tuple(out)


def _leg(row: dict[str, Any], config: Config) -> Leg:
    return Leg(
        flight_id=row["flight_id"],
        origin=row["takeoff_airport"],
        destination=row["landing_airport"],
        origin_name=airport_name(row["takeoff_airport"], config),
        destination_name=airport_name(row["landing_airport"], config),
        takeoff_time=row["takeoff_time"],
        landing_time=row["landing_time"],
        first_seen=row["start_time"],
        last_seen=row["end_time"],
        landing_inferred=row["landing_inferred"],
    )


def chain_text(chain: tuple[Leg, ...], config: Config) -> str:
    """The fields in order, ``→`` between legs that join up, ``…`` where they do not."""
    pieces: list[list[str | None]] = []
    for leg in chain:
        if pieces and leg.origin is not None and leg.origin == pieces[-1][-1]:
            pieces[-1].append(leg.destination)
        else:
            pieces.append([leg.origin, leg.destination])
    return " … ".join(" → ".join(airport_name(code, config) for code in p) for p in pieces)
