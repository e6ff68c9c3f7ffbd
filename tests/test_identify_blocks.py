"""ICAO 24-bit address blocks → state: the shipped table, scalar and vectorised lookups, SQL."""

from __future__ import annotations

import csv
import gzip
import io
import json
from importlib.resources import files

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basewatch.identify import (
    address_blocks,
    countries_of_addresses,
    country_of_address,
    register_blocks,
)
from tests.conftest import shared

#: The table file read directly (not through the module under test).
ROWS = list(
    csv.DictReader(
        io.StringIO(
            (files("basewatch") / "data" / "identify" / "icao_address_blocks.csv").read_text(
                encoding="utf-8"
            )
        )
    )
)
BLOCKS = [(int(r["start_hex"], 16), int(r["end_hex"], 16), r["iso2"]) for r in ROWS]

#: Checked by hand against ICAO Annex 10 Vol III Table 9-1 (Amendment 92): state, first, last.
WELL_KNOWN = [
    ("RU", 0x100000, 0x1FFFFF),
    ("SY", 0x778000, 0x77FFFF),
    ("LY", 0x018000, 0x01FFFF),
    ("IR", 0x730000, 0x737FFF),
    ("US", 0xA00000, 0xAFFFFF),
    ("GB", 0x400000, 0x43FFFF),
    ("FR", 0x380000, 0x3BFFFF),
    ("DE", 0x3C0000, 0x3FFFFF),
    ("IL", 0x738000, 0x73FFFF),
    ("TR", 0x4B8000, 0x4BFFFF),
    ("UA", 0x508000, 0x50FFFF),
    ("DZ", 0x0A0000, 0x0A7FFF),
    ("EG", 0x010000, 0x017FFF),
    ("CN", 0x780000, 0x7BFFFF),
    ("BY", 0x510000, 0x5107FF),  # 2007 edition: 510000–5103FF (1,024); Amendment 92: 2,048
    ("KZ", 0x683000, 0x6837FF),  # 2007 edition: 683000–6833FF
]
#: The 2007 edition's last addresses of blocks Amendment 92 widened still map to the same state.
EDITION_2007_ENDS = [("BY", 0x5103FF), ("KZ", 0x6833FF), ("AM", 0x6003FF), ("GE", 0x5143FF)]


def _oracle(value: int) -> str | None:
    """Linear scan of the file's rows: the obviously-right answer."""
    return next((iso for start, end, iso in BLOCKS if start <= value <= end), None)


def test_table_is_complete_sorted_and_disjoint() -> None:
    table = address_blocks()
    assert table.schema.names == ["start", "end", "iso2", "country"]
    assert [f.type for f in table.schema] == [pa.int32(), pa.int32(), pa.string(), pa.string()]
    assert table.num_rows == len(ROWS) >= 190
    starts, ends = table.column("start").to_pylist(), table.column("end").to_pylist()
    assert starts == sorted(starts)
    assert all(s <= e for s, e in zip(starts, ends, strict=True))
    assert all(e < s for e, s in zip(ends, starts[1:], strict=False)), "blocks overlap"
    isos = table.column("iso2").to_pylist()
    assert len(set(isos)) == len(isos), "one block per state"
    assert all(len(iso) == 2 and iso.isupper() for iso in isos)
    assert {r["iso2"] for r in ROWS} == set(isos)


@pytest.mark.parametrize(("start", "end", "iso2"), BLOCKS, ids=[b[2] for b in BLOCKS])
def test_each_block_first_last_and_beyond(start: int, end: int, iso2: str) -> None:
    assert country_of_address(f"{start:06x}") == iso2
    assert country_of_address(f"{end:06X}") == iso2
    if end < 0xFFFFFF:
        assert country_of_address(f"{end + 1:06x}") != iso2
    if start > 0:
        assert country_of_address(f"{start - 1:06x}") != iso2


@pytest.mark.parametrize(("iso2", "first", "last"), WELL_KNOWN, ids=[w[0] for w in WELL_KNOWN])
def test_well_known_blocks_match_icao(iso2: str, first: int, last: int) -> None:
    assert (first, last, iso2) in BLOCKS
    assert country_of_address(f"{first:06x}") == iso2
    assert country_of_address(f"{last:06x}") == iso2
    assert country_of_address(f"{last + 1:06x}") != iso2
    assert country_of_address(f"{first - 1:06x}") != iso2


@pytest.mark.parametrize(("iso2", "last_2007"), EDITION_2007_ENDS)
def test_2007_edition_ends_still_map(iso2: str, last_2007: int) -> None:
    assert country_of_address(f"{last_2007:06x}") == iso2


@pytest.mark.parametrize(
    "address",
    [
        "~100000",  # non-ICAO (TIS-B / MLAT anonymous)
        "~4b8000",
        "",
        "10000",
        "1000000",
        "g00000",
        " 100000",
        "100000\n",
        "0x1000",
        "+10000",
        "10_000",
        None,
        "000000",  # unallocated
        "200000",  # unallocated (former AFI region reserve)
        "b00000",  # reserved for future use
        "f00000",  # ICAO temporary addresses: no state
        "f09000",  # ICAO special use: no state
        "ffffff",
    ],
)
def test_non_state_and_malformed_addresses_give_none(address: str | None) -> None:
    assert country_of_address(address) is None
    assert countries_of_addresses(pa.array([address], pa.string())).to_pylist() == [None]


def test_case_does_not_matter() -> None:
    assert country_of_address("4B8000") == country_of_address("4b8000") == "TR"
    assert countries_of_addresses(pa.array(["4B8000", "4b8000"])).to_pylist() == ["TR", "TR"]


HEX_ADDRESSES = st.integers(0, 0xFFFFFF).flatmap(
    lambda v: st.sampled_from([f"{v:06x}", f"{v:06X}", f"~{v:06x}"])
)
ANY_ADDRESS = st.one_of(st.none(), st.text(max_size=8), HEX_ADDRESSES)
ISO2 = {iso for _, _, iso in BLOCKS}


@settings(max_examples=300, deadline=None)
@given(address=ANY_ADDRESS)
def test_any_input_gives_a_state_or_none(address: str | None) -> None:
    result = country_of_address(address)
    assert result is None or result in ISO2


@settings(max_examples=300, deadline=None)
@given(value=st.integers(0, 0xFFFFFF))
def test_lookup_equals_linear_scan(value: int) -> None:
    assert country_of_address(f"{value:06x}") == _oracle(value)
    assert country_of_address(f"~{value:06x}") is None


@settings(max_examples=100, deadline=None)
@given(addresses=st.lists(ANY_ADDRESS, max_size=50))
def test_vectorised_agrees_with_scalar(addresses: list[str | None]) -> None:
    expected = [country_of_address(a) for a in addresses]
    arr = pa.array(addresses, pa.string())
    assert countries_of_addresses(arr).to_pylist() == expected
    assert countries_of_addresses(arr.cast(pa.large_string())).to_pylist() == expected
    assert countries_of_addresses(arr.dictionary_encode()).to_pylist() == expected
    halves = pa.chunked_array([arr[: len(arr) // 2], arr[len(arr) // 2 :]], pa.string())
    assert countries_of_addresses(halves).to_pylist() == expected
    if len(arr) > 2:  # a sliced array has a non-zero offset into its buffers
        assert countries_of_addresses(arr[1:]).to_pylist() == expected[1:]


def test_empty_and_all_null_inputs() -> None:
    assert countries_of_addresses(pa.array([], pa.string())).to_pylist() == []
    assert countries_of_addresses(pa.array([None, None], pa.string())).to_pylist() == [None] * 2


def test_register_blocks_sql_join_agrees() -> None:
    addresses = ["100000", "4b8000", "a00000", "43c000", "b00000", "f00000", "7c0000"]
    con = duckdb.connect()
    register_blocks(con)
    register_blocks(con)  # replacing is fine
    con.register("addrs", pa.table({"icao24": addresses}))
    sql = """
        SELECT a.icao24, b.iso2 FROM addrs a
        LEFT JOIN address_blocks b
          ON ('0x' || a.icao24)::INTEGER BETWEEN b.start AND b."end"
    """
    got = dict(con.sql(sql).fetchall())
    assert got == {a: country_of_address(a) for a in addresses}
    assert con.execute("SELECT count(*) FROM address_blocks").fetchall() == [(len(ROWS),)]


def test_real_tar1090_chunk_is_mostly_russian() -> None:
    """tar1090-db ``1.js``: keys are the address after its first hex digit "1"."""
    doc = json.loads(gzip.decompress(shared("tar1090-db/1.js").read_bytes()))
    addresses = ["1" + key.lower() for key in doc if len(key) == 5]
    assert addresses
    countries = countries_of_addresses(pa.array(addresses)).to_pylist()
    in_block = sum(0x100000 <= int(a, 16) <= 0x1FFFFF for a in addresses) / len(addresses)
    russian = countries.count("RU") / len(addresses)
    assert russian == in_block > 0.9
    assert countries == [country_of_address(a) for a in addresses]
