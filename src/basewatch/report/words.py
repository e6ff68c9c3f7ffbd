"""Plain words for report facts: dates, durations, aircraft and airport names, country adjectives,
and a landing's evidence (the flights stage's JSON) told as a sentence. Locale-independent."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

import pyarrow.compute as pc

from basewatch.config import Config
from basewatch.flights.airports import airport_table
from basewatch.identify.rules import load_rules

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: Adjectives of the states whose aircraft a report most often names (ISO 3166-1 alpha-2).
ADJECTIVES = {
    "AE": "Emirati", "AM": "Armenian", "AZ": "Azerbaijani", "BE": "Belgian", "BY": "Belarusian",
    "CA": "Canadian", "CN": "Chinese", "CZ": "Czech", "DE": "German", "DZ": "Algerian",
    "EG": "Egyptian", "ES": "Spanish", "FR": "French", "GB": "British", "GR": "Greek",
    "HU": "Hungarian", "IL": "Israeli", "IN": "Indian", "IQ": "Iraqi", "IR": "Iranian",
    "IT": "Italian", "JO": "Jordanian", "JP": "Japanese", "KG": "Kyrgyz", "KP": "North Korean",
    "KR": "South Korean", "KZ": "Kazakh", "LB": "Lebanese", "LY": "Libyan", "ML": "Malian",
    "NE": "Nigerien", "NL": "Dutch", "NO": "Norwegian", "OM": "Omani", "PK": "Pakistani",
    "PL": "Polish", "QA": "Qatari", "RO": "Romanian", "RS": "Serbian", "RU": "Russian",
    "SA": "Saudi", "SD": "Sudanese", "SE": "Swedish", "SY": "Syrian", "TJ": "Tajik",
    "TM": "Turkmen", "TR": "Turkish", "UA": "Ukrainian", "US": "US", "UZ": "Uzbek",
    "VE": "Venezuelan",
}  # fmt: skip

#: Soviet/Russian design bureaux written in capitals by aircraft databases (IL-76 → Il-76).
_BUREAUX = {"AN": "An", "IL": "Il", "TU": "Tu", "YAK": "Yak", "SU": "Su", "MI": "Mi", "KA": "Ka"}
_BUREAU = re.compile(r"^(AN|IL|TU|YAK|SU|MI|KA)-(?=\d)")
_AIRPORT_SUFFIX = re.compile(r"\s+(International\s+)?(Airport|Airfield|Intl\.?)$", re.I)


def day(value: datetime, year: bool = True) -> str:
    """``Fri 24 Oct 2025`` (UTC), or ``Fri 24 Oct`` without the year."""
    text = f"{WEEKDAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]}"
    return f"{text} {value.year}" if year else text


def clock(value: datetime) -> str:
    """``09:05Z``."""
    return value.strftime("%H:%MZ")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with Z, seconds precision."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 20 min``, ``3 d 4 h``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    minutes = round(s / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def times(n: int) -> str:
    """``once``, ``twice``, ``3 times``."""
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def plural(n: int, word: str) -> str:
    """``1 arrival``, ``3 arrivals``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def listing(items: list[str], most: int = 5) -> str:
    """``a``, ``a and b``, ``a, b and c``, ``a, b, c, d, e and 2 more``."""
    if len(items) > most:
        items = [*items[:most], f"{len(items) - most} more"]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


@cache
def _catalogue_names() -> dict[str, str]:
    rows = load_rules().types.to_pylist()
    return {r["designator"]: r["name"] for r in rows}


def type_label(type_code: str | None, type_desc: str | None) -> str | None:
    """The short model name (``Il-76MD``, ``An-124``) from the database description, else the
    packaged type catalogue, else the ICAO designator."""
    for text in (type_desc, _catalogue_names().get(type_code or "")):
        words = (text or "").split()
        for token in words:
            if any(ch.isdigit() for ch in token):
                return _model(token.strip("(),"))
        if len(words) > 1:
            return " ".join(words[1:])
    return type_code


def _model(token: str) -> str:
    """``IL-76MD`` → ``Il-76MD`` (the bureau's prefix as it is written)."""
    match = _BUREAU.match(token.upper())
    return _BUREAUX[match.group(1)] + token[match.end(1) :] if match else token


def aircraft_label(registration: str | None, type_text: str | None, icao24: str) -> str:
    """``An-124 RA-82038``; the address stands in for a missing registration."""
    return " ".join(x for x in (type_text, registration or icao24) if x)


def adjective(countries: list[str | None]) -> str | None:
    """``Russian`` when every aircraft is of one state whose adjective is known."""
    found = set(countries)
    if len(found) != 1:
        return None
    (only,) = found
    return ADJECTIVES.get(only or "")


def airport_name(icao: str | None, config: Config | None = None) -> str:
    """``Benina (HLLB)``: a configured base's name for its field, else the airportsdata name
    without "International Airport"; ``?`` when unknown."""
    if not icao:
        return "?"
    return f"{short_airport_name(icao, config)} ({icao})"


def short_airport_name(icao: str, config: Config | None = None) -> str:
    """The field's short name (``Hmeimim``, ``Damascus``), or the code itself."""
    if config is not None:
        for base in config.bases:
            if base.icao == icao:
                return base_title(base.name, base.label)
    row = _airport_row(icao)
    if row is None:
        return icao
    return _AIRPORT_SUFFIX.sub("", str(row["name"])).strip() or icao


def base_title(name: str, label: str | None = None) -> str:
    """A base's display name: its label, else its config key in title case (``Al-Jufra``)."""
    return label or "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


@cache
def _airport_row(icao: str) -> dict[str, Any] | None:
    table = airport_table()
    rows = table.filter(pc.equal(table.column("icao"), icao)).to_pylist()
    return rows[0] if rows else None


def airport_position(icao: str) -> tuple[float, float] | None:
    """(lat, lon) of an airportsdata field."""
    row = _airport_row(icao)
    return None if row is None else (float(row["lat"]), float(row["lon"]))


_NEXT_SEEN = {
    "never": "not seen again in the data",
    "there": "next seen at the field, {km} km from it, {after} later",
    "there (seen on the ground)": "next seen on the ground there, {km} km from the field, "
    "{after} later",
    "there (dark both ways)": "next seen climbing out from the same field {after} later "
    "(dark both ways)",
    "elsewhere-later": "next seen {km} km from the field {after} later, late enough to have "
    "landed there first",
}


def landing_words(row: dict[str, Any], evidence: dict[str, Any] | None, at: str) -> str:
    """A visit's observed/inferred reasoning (its ``visits`` row and the landing evidence of the
    flights stage) in one or two sentences."""
    confidence = row["confidence"]
    conf = f" Confidence {confidence:.2f}." if confidence is not None else ""
    arrival = row["arrival_time"].strftime("%H:%M:%SZ")
    if not evidence:
        return (
            f"Inferred: the flight ended low within the base's radius at {arrival} "
            f"({row['how']}), with no airfield to attribute it to.{conf}"
        )
    seen = str(evidence.get("seen_time", "?"))[11:19] + "Z"
    facts = [f"{evidence.get('distance_km', '?')} km from {at}"]
    if evidence.get("agl_ft") is not None:
        facts.append(f"{evidence['agl_ft']:,.0f} ft above the field")
    if not row["inferred"]:
        return (
            f"Observed: {evidence.get('rule', 'landed')} at {at}, arriving {arrival}; "
            f"last position at {seen}, {', '.join(facts)}.{conf}"
        )
    if evidence.get("heading_error_deg") is not None:
        facts.append(f"heading {evidence['heading_error_deg']:.0f}° off the bearing to it")
    if evidence.get("vrate_fpm") is not None:
        facts.append(f"vertical rate {evidence['vrate_fpm']:+,.0f} ft/min")
    after = evidence.get("next_seen_after_s")
    nxt = _NEXT_SEEN.get(evidence.get("next_seen") or "", "").format(
        km=evidence.get("next_seen_km", "?"), after=duration(after) if after is not None else "?"
    )
    text = f"Inferred: {evidence.get('rule', 'went dark')}; last seen at {seen}, {', '.join(facts)}"
    text += f"; {nxt}" if nxt else ""
    return f"{text}. Arrival estimated at {arrival} from the last ground speed.{conf}"
