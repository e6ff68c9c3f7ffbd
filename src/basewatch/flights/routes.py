"""Chain each aircraft's consecutive flights into itineraries, and a per-day leg summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from basewatch.store import Store


def legs(
    store: Store,
    icao24: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    airport: str | None = None,
) -> list[dict[str, Any]]:
    """Flights (with airports) of one or all aircraft in a window, optionally those that took
    off or landed at ``airport``, ordered by aircraft and time."""
    where, params = ["TRUE"], []  # type: list[str], list[Any]
    if icao24:
        where.append("icao24 = ?")
        params.append(icao24.lower())
    if airport:
        where.append("(takeoff_airport = ? OR landing_airport = ?)")
        params += [airport.upper(), airport.upper()]
    if since:
        where.append("end_time >= ?")
        params.append(since)
    if until:
        where.append("start_time <= ?")
        params.append(until)
    sql = f"SELECT * FROM flights WHERE {' AND '.join(where)} ORDER BY icao24, start_time"
    rows: list[dict[str, Any]] = store.con.sql(sql, params=params).to_arrow_table().to_pylist()
    return rows


def itineraries(
    rows: list[dict[str, Any]], identities: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One itinerary per aircraft: its legs in order, from → to (``None`` where unknown)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        if not out or out[-1]["icao24"] != row["icao24"]:
            who = identities.get(row["icao24"], {})
            out.append(
                {
                    "icao24": row["icao24"],
                    "registration": who.get("registration"),
                    "type": who.get("type"),
                    "legs": [],
                }
            )
        out[-1]["legs"].append(
            {
                "flight_id": row["flight_id"],
                "from": row["takeoff_airport"],
                "to": row["landing_airport"],
                "takeoff_time": iso(row["takeoff_time"]),
                "landing_time": iso(row["landing_time"]),
                "first_seen": iso(row["start_time"]),
                "last_seen": iso(row["end_time"]),
            }
        )
    return out


def daily(itinerary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per UTC day, the chain of fields an aircraft touched (``Benina → Hmeimim → Chkalovsky``)."""
    days: dict[str, list[str]] = {}
    for leg in itinerary["legs"]:
        day = (leg["takeoff_time"] or leg["first_seen"])[:10]
        chain = days.setdefault(day, [])
        for field in (leg["from"] or "?", leg["to"] or "?"):
            if not chain or chain[-1] != field:
                chain.append(field)
    return [{"date": d, "route": " → ".join(c)} for d, c in sorted(days.items())]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with Z, seconds precision."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")
