"""Request parameters checked before any query sees them: times, addresses, flight ids and
search text; a bad one is a 400 that says what was expected."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException

ICAO24 = re.compile(r"~?[0-9a-f]{6}")
#: ``15a3c2-20251027T050000Z``: the address and the first position's time (flights/segment.py)
FLIGHT_ID = re.compile(r"(~?[0-9a-f]{6})-(\d{8}T\d{6}Z)")
MAX_QUERY = 64


def bad(message: str) -> HTTPException:
    return HTTPException(400, message)


def parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 date or time (UTC when no offset is given), else 400."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise bad(
            f"{name}: {value[:40]!r} is not an ISO 8601 date or time "
            "(e.g. 2025-10-24 or 2025-10-24T06:00:00Z)"
        ) from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def period(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """``since``/``until`` parsed; a date alone as ``until`` means the end of that day."""
    start, end = parse_time(since, "since"), parse_time(until, "until")
    if end is not None and until is not None and len(until.strip()) == 10:
        end = end.replace(hour=23, minute=59, second=59)
    if start is not None and end is not None and start > end:
        raise bad(f"since ({since}) is after until ({until})")
    return start, end


def icao24(value: str) -> str:
    """A 24-bit address as stored (lowercase hex, ``~`` for non-ICAO ones), else 400."""
    address = value.strip().lower()
    if not ICAO24.fullmatch(address):
        raise bad(f"{value[:40]!r} is not an ICAO 24-bit address (6 hex digits, e.g. 15a3c2)")
    return address


def flight_id(value: str) -> str:
    """A flight id as the flights stage makes them, else 400."""
    if not FLIGHT_ID.fullmatch(value):
        raise bad(
            f"{value[:60]!r} is not a flight id (address-start time, e.g. 15a3c2-20251027T050000Z)"
        )
    return value


def search_text(value: str | None) -> str:
    """Search text: 1 to 64 printable characters once trimmed, else 400."""
    text = (value or "").strip()
    if not text:
        raise bad("q: give an address, registration, callsign or type to search for")
    if len(text) > MAX_QUERY or not text.isprintable():
        raise bad(f"q: at most {MAX_QUERY} printable characters")
    return text


def iso(value: Any) -> str | None:
    """ISO 8601 UTC with ``Z`` (seconds precision), None kept."""
    if value is None:
        return None
    text: str = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return text
