"""State of registry from the ICAO 24-bit address, by the Annex 10 Vol III allocation table.

The table ships as package data (``data/identify/icao_address_blocks.csv``, provenance beside it)
and is loaded once, on first use; lookups are binary searches over the sorted block starts.
"""

from __future__ import annotations

import bisect
import csv
import io
import itertools
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from basewatch.errors import ConfigError

BLOCKS_FILE = "icao_address_blocks.csv"
#: A well-formed ICAO address: exactly six hex digits, either case ('~' non-ICAO ones are not).
_HEX6 = re.compile(r"[0-9A-Fa-f]{6}")
_HEX6_RE2 = "^[0-9A-Fa-f]{6}$"
#: Byte value → hex digit value (0 for non-hex bytes, which the regex has already excluded).
_HEX_DIGITS = np.zeros(256, dtype=np.uint8)
_HEX_DIGITS[np.frombuffer(b"0123456789abcdef", np.uint8)] = np.arange(16)
_HEX_DIGITS[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16)


def data_text(name: str) -> str:
    """A data file of the identify stage, from the installed package."""
    return (files("basewatch") / "data" / "identify" / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class _Blocks:
    starts: list[int]
    ends: list[int]
    iso2: list[str]
    np_starts: np.ndarray
    np_ends: np.ndarray
    table: pa.Table


def _parse_row(row: dict[str, str], line: int) -> tuple[int, int, str, str]:
    try:
        start, end = int(row["start_hex"], 16), int(row["end_hex"], 16)
        iso2, country = row["iso2"], row["country"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{BLOCKS_FILE} line {line}: malformed row {row!r} ({exc})") from exc
    if not (0 <= start <= end <= 0xFFFFFF) or not re.fullmatch(r"[A-Z]{2}", iso2) or not country:
        raise ConfigError(f"{BLOCKS_FILE} line {line}: impossible block {row!r}")
    return start, end, iso2, country


@cache
def _blocks() -> _Blocks:
    reader = csv.DictReader(io.StringIO(data_text(BLOCKS_FILE)))
    rows = sorted(_parse_row(row, n) for n, row in enumerate(reader, start=2))
    for before, after in itertools.pairwise(rows):
        if after[0] <= before[1]:
            raise ConfigError(f"{BLOCKS_FILE}: blocks {before} and {after} overlap")
    starts, ends, iso2, country = (list(col) for col in zip(*rows, strict=True))
    table = pa.table(
        {
            "start": pa.array(starts, pa.int32()),
            "end": pa.array(ends, pa.int32()),
            "iso2": pa.array(iso2, pa.string()),
            "country": pa.array(country, pa.string()),
        }
    )
    return _Blocks(starts, ends, iso2, np.array(starts, np.int64), np.array(ends, np.int64), table)


def address_blocks() -> pa.Table:
    """The allocation table: start, end (inclusive, INT32), iso2, country; sorted, disjoint."""
    return _blocks().table


def country_of_address(icao24: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of the state the address block is allocated to.

    None for non-ICAO (``~``-prefixed) and malformed addresses and for addresses in no state's
    block (unallocated, ICAO temporary and special-use blocks).
    """
    if not isinstance(icao24, str) or _HEX6.fullmatch(icao24) is None:
        return None
    value = int(icao24, 16)
    blocks = _blocks()
    i = bisect.bisect_right(blocks.starts, value) - 1
    return blocks.iso2[i] if i >= 0 and value <= blocks.ends[i] else None


def as_string_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A string-like Arrow column (string, large/view string, dictionary) as a plain StringArray."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values if values.type == pa.string() else values.cast(pa.string())


def _hex_values(addresses: pa.Array) -> np.ndarray:
    """Integer values of a null-free StringArray whose every value is six ASCII hex digits."""
    n = len(addresses)
    values = np.zeros(n, dtype=np.int64)
    if n == 0:
        return values
    first = int(np.frombuffer(addresses.buffers()[1], dtype=np.int32)[addresses.offset])
    # Every value is six bytes long, so the n values are one contiguous run of 6n bytes.
    chars = np.frombuffer(addresses.buffers()[2], dtype=np.uint8)[first : first + 6 * n]
    digits = _HEX_DIGITS[chars.reshape(n, 6)]
    for place in range(6):
        values = (values << 4) | digits[:, place]
    return values


def countries_of_addresses(icao24: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Vectorised :func:`country_of_address`: one ISO alpha-2 code (or null) per address."""
    addresses = as_string_array(icao24)
    valid = pc.fill_null(pc.match_substring_regex(addresses, _HEX6_RE2), False)
    filled = pc.if_else(valid, addresses, "000000")
    values = _hex_values(filled)
    blocks = _blocks()
    index = np.searchsorted(blocks.np_starts, values, side="right") - 1
    safe = np.maximum(index, 0)
    found = valid.to_numpy(zero_copy_only=False) & (index >= 0)
    found &= values <= blocks.np_ends[safe]
    indices = pa.array(safe, type=pa.int32(), mask=~found)
    return pc.take(blocks.table.column("iso2").combine_chunks(), indices)


def register_blocks(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the temporary table ``address_blocks`` on ``con``.

    Columns start, "end" (inclusive; quote it, END is an SQL keyword), iso2, country. Join with
    ``ON addr BETWEEN b.start AND b."end"`` where addr is the address as an integer.
    """
    name = "_basewatch_address_blocks_arrow"
    con.register(name, address_blocks())
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE address_blocks AS SELECT * FROM {name}")
    finally:
        con.unregister(name)
