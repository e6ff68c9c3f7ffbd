"""State (or territory) of registry from an aircraft registration's nationality mark.

The prefix table ships as package data (``data/identify/registration_prefixes.csv``, provenance
beside it). The longest matching prefix wins; a row with a ``pattern`` (a regular expression the
whole registration must match, e.g. Taiwan's ``B-`` plus five digits, US ``N`` plus a digit) is
tried before a plain row with the same prefix. Registrations are compared trimmed of ASCII
whitespace and ASCII-uppercased, as written: a dash-using mark needs its dash ("RA-85001"), so
military serials such as ``MM62311`` or ``ZM400`` do not pass for Isle of Man or New Zealand marks.
"""

from __future__ import annotations

import csv
import io
import re
import string
from dataclasses import dataclass
from functools import cache

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.errors import ConfigError
from basewatch.identify.blocks import as_string_array, data_text

PREFIXES_FILE = "registration_prefixes.csv"
_ASCII_WHITESPACE = " \t\n\v\f\r"
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_PREFIX = re.compile(r"[A-Z0-9][A-Z0-9-]*")


@dataclass(frozen=True)
class _Rule:
    prefix: str
    iso2: str
    country: str
    pattern: re.Pattern[str] | None


def _parse_row(row: dict[str, str], line: int) -> _Rule:
    prefix, iso2, country = row.get("prefix") or "", row.get("iso2") or "", row.get("country")
    if not _PREFIX.fullmatch(prefix) or not re.fullmatch(r"[A-Z]{2}", iso2) or not country:
        raise ConfigError(f"{PREFIXES_FILE} line {line}: malformed row {row!r}")
    try:
        pattern = re.compile(row["pattern"]) if row.get("pattern") else None
    except re.error as exc:
        raise ConfigError(f"{PREFIXES_FILE} line {line}: bad pattern ({exc})") from exc
    return _Rule(prefix, iso2, country, pattern)


@cache
def _rules() -> tuple[_Rule, ...]:
    """All rules in match order: longest prefix first, patterned before plain at equal length."""
    reader = csv.DictReader(io.StringIO(data_text(PREFIXES_FILE)))
    rules = [_parse_row(row, n) for n, row in enumerate(reader, start=2)]
    plain = [r.prefix for r in rules if r.pattern is None]
    if len(plain) != len(set(plain)):
        raise ConfigError(f"{PREFIXES_FILE}: a prefix without pattern is listed twice")
    return tuple(sorted(rules, key=lambda r: (-len(r.prefix), r.pattern is None)))


@cache
def registration_prefixes() -> pa.Table:
    """The prefix table: prefix, iso2, country, pattern (null if none), rows in match order."""
    rules = _rules()
    return pa.table(
        {
            "prefix": pa.array([r.prefix for r in rules], pa.string()),
            "iso2": pa.array([r.iso2 for r in rules], pa.string()),
            "country": pa.array([r.country for r in rules], pa.string()),
            "pattern": pa.array(
                [r.pattern.pattern if r.pattern else None for r in rules], pa.string()
            ),
        }
    )


def normalize_registration(reg: str) -> str:
    """The form registrations are matched in: ASCII whitespace trimmed, ASCII letters upper."""
    return reg.strip(_ASCII_WHITESPACE).translate(_ASCII_UPPER)


def country_of_registration(reg: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of the registry the nationality mark names, or None."""
    if not isinstance(reg, str):
        return None
    norm = normalize_registration(reg)
    for rule in _rules():
        if norm.startswith(rule.prefix) and (
            rule.pattern is None or rule.pattern.fullmatch(norm) is not None
        ):
            return rule.iso2
    return None


def countries_of_registrations(regs: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Vectorised :func:`country_of_registration`: one ISO alpha-2 code (or null) per value."""
    norm = pc.ascii_upper(pc.ascii_trim_whitespace(as_string_array(regs)))
    out = pa.nulls(len(norm), pa.string())
    rules = _rules()
    for length in sorted({len(r.prefix) for r in rules}, reverse=True):
        heads = pc.utf8_slice_codeunits(norm, 0, length)
        same = [r for r in rules if len(r.prefix) == length]
        for rule in (r for r in same if r.pattern is not None):
            assert rule.pattern is not None
            hit = pc.and_kleene(
                pc.equal(heads, rule.prefix),
                pc.match_substring_regex(norm, f"^(?:{rule.pattern.pattern})$"),
            )
            out = pc.if_else(pc.fill_null(hit, False), pc.coalesce(out, rule.iso2), out)
        plain = [r for r in same if r.pattern is None]
        if plain:
            index = pc.index_in(heads, value_set=pa.array([r.prefix for r in plain]))
            out = pc.coalesce(out, pc.take(pa.array([r.iso2 for r in plain]), index))
    return out


def register_registration_prefixes(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the temporary table ``registration_prefixes`` on ``con``.

    Same semantics in SQL, with ``reg`` = upper(trim(registration)):
    ``JOIN registration_prefixes p ON starts_with(reg, p.prefix) AND (p.pattern IS NULL OR
    regexp_full_match(reg, p.pattern))`` keeping per row the match with the longest prefix,
    patterned first (``ORDER BY length(p.prefix) DESC, p.pattern IS NULL``).
    """
    name = "_basewatch_registration_prefixes_arrow"
    con.register(name, registration_prefixes())
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE registration_prefixes AS SELECT * FROM {name}")
    finally:
        con.unregister(name)
