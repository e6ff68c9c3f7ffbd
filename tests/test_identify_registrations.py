"""Registration nationality marks → state: examples, longest prefix, dashes, SQL, real data."""

from __future__ import annotations

import gzip
import json
import re

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basewatch.identify import (
    address_blocks,
    countries_of_registrations,
    country_of_address,
    country_of_registration,
    register_registration_prefixes,
    registration_prefixes,
)
from tests.conftest import shared

EXAMPLES = [
    ("RA-85001", "RU"),
    ("RF-85655", "RU"),
    ("YK-AQA", "SY"),
    ("5A-ONE", "LY"),
    ("EP-IGA", "IR"),
    ("UR-PSA", "UA"),
    ("EW-001PA", "BY"),
    ("UP-A2001", "KZ"),
    ("4K-AZ65", "AZ"),
    ("EK-32008", "AM"),
    ("4L-TGM", "GE"),
    ("N12345", "US"),
    ("N1", "US"),
    ("G-EUPT", "GB"),
    ("F-GKXA", "FR"),
    ("D-AIMA", "DE"),
    ("TC-JJE", "TR"),
    ("SU-GDM", "EG"),
    ("7T-VJG", "DZ"),
    ("4X-EKA", "IL"),
    ("JA123A", "JP"),
    ("HL7611", "KR"),
    ("A4O-AA", "OM"),
    ("9XR-WF", "RW"),
    ("A9C-HAK", "BH"),
]


@pytest.mark.parametrize(("reg", "iso2"), EXAMPLES)
def test_examples(reg: str, iso2: str) -> None:
    assert country_of_registration(reg) == iso2
    assert countries_of_registrations(pa.array([reg])).to_pylist() == [iso2]


@pytest.mark.parametrize(
    ("reg", "iso2"),
    [
        ("SU-YAH", "PS"),  # SU-Y (Palestine) is longer than SU- (Egypt)
        ("B-HNL", "HK"),  # B-H / B-K / B-L: Hong Kong, not B- China
        ("B-KPB", "HK"),
        ("B-MAR", "MO"),
        ("B-18901", "TW"),  # B- plus five digits: Taiwan (pattern row)
        ("B-1234", "CN"),  # B- plus four: China
        ("B-30AC", "CN"),
        ("B-123456", "CN"),  # six digits is not Taiwan's form
        ("VP-BGC", "BM"),
        ("VQ-BSJ", "BM"),
        ("VP-CAF", "KY"),
        ("C-GABC", "CA"),
        ("CF-ABC", "CA"),
        ("CC-BGA", "CL"),  # not C- Canada
        ("DQ-FJA", "FJ"),  # not D- Germany
        ("ZS-SJA", "ZA"),
        ("ZK-OKA", "NZ"),
        ("ZJ-THC", "JE"),
        ("PJ-DVG", "CW"),
        ("P4-KCA", "AW"),
        ("P-912", "KP"),
    ],
)
def test_longest_prefix_wins(reg: str, iso2: str) -> None:
    assert country_of_registration(reg) == iso2


@pytest.mark.parametrize(
    ("reg", "iso2"),
    [
        ("UK32015", "UZ"),
        ("UK-32015", "UZ"),
        ("EK32003", "AM"),
        ("YV1740", "VE"),
        ("YV-1740", "VE"),
        ("HI1033", "DO"),
        (" ra-85001 ", "RU"),  # trimmed and upper-cased
        ("n123ab", "US"),
        # a dash-using mark written without its dash is not read (ambiguous with serials):
        ("RA85001", None),
        ("MM62311", None),  # Italian military serial, not M- Isle of Man
        ("ZM400", None),  # RAF serial, not ZM- New Zealand
        ("ZZ336", None),
        ("22-03496", None),  # US military serial
        ("NATO01", None),  # N must be followed by a digit 1-9
        ("N0123", None),
        ("N123456", None),  # an N-number has at most five characters after N
        ("", None),
        ("-", None),
        ("TWR", None),
        (None, None),
    ],
)
def test_dashes_and_non_registrations(reg: str | None, iso2: str | None) -> None:
    assert country_of_registration(reg) == iso2
    assert countries_of_registrations(pa.array([reg], pa.string())).to_pylist() == [iso2]


def test_table_shape_and_coverage() -> None:
    table = registration_prefixes()
    assert table.schema.names == ["prefix", "iso2", "country", "pattern"]
    assert table.num_rows >= 200
    rows = table.to_pylist()
    lengths = [len(r["prefix"]) for r in rows]
    assert lengths == sorted(lengths, reverse=True), "rows come in match order"
    plain = [r["prefix"] for r in rows if r["pattern"] is None]
    assert len(plain) == len(set(plain))
    for row in rows:
        assert re.fullmatch(r"[A-Z0-9][A-Z0-9-]*", row["prefix"])
        assert re.fullmatch(r"[A-Z]{2}", row["iso2"])
        if row["pattern"] is not None:  # a pattern refines its own prefix
            assert row["pattern"].startswith(row["prefix"])
            re.compile(row["pattern"])
    # every state with an address block has at least one nationality mark
    states = set(address_blocks().column("iso2").to_pylist())
    assert states <= {r["iso2"] for r in rows}


PREFIXES = sorted(set(registration_prefixes().column("prefix").to_pylist()))
SUFFIX = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", max_size=7)
LIKELY = st.tuples(st.sampled_from(PREFIXES), SUFFIX).map("".join)
ANY_REG = st.one_of(st.none(), st.text(max_size=10), LIKELY, LIKELY.map(str.lower))
ISO2 = set(registration_prefixes().column("iso2").to_pylist())


@settings(max_examples=300, deadline=None)
@given(reg=ANY_REG)
def test_any_input_gives_a_state_or_none(reg: str | None) -> None:
    result = country_of_registration(reg)
    assert result is None or result in ISO2


@settings(max_examples=100, deadline=None)
@given(regs=st.lists(ANY_REG, max_size=40))
def test_vectorised_agrees_with_scalar(regs: list[str | None]) -> None:
    expected = [country_of_registration(r) for r in regs]
    arr = pa.array(regs, pa.string())
    assert countries_of_registrations(arr).to_pylist() == expected
    assert countries_of_registrations(arr.dictionary_encode()).to_pylist() == expected
    assert countries_of_registrations(pa.chunked_array([arr], pa.string())).to_pylist() == expected


SQL_MATCH = """
    SELECT r.reg, p.iso2 FROM regs r
    LEFT JOIN registration_prefixes p
      ON starts_with(upper(trim(r.reg)), p.prefix)
     AND (p.pattern IS NULL OR regexp_full_match(upper(trim(r.reg)), p.pattern))
    QUALIFY row_number() OVER (
        PARTITION BY r.reg ORDER BY length(p.prefix) DESC, p.pattern IS NULL) = 1
"""


def _tar1090_chunk() -> dict[str, list[str | None]]:
    return json.loads(gzip.decompress(shared("tar1090-db/1.js").read_bytes()))  # type: ignore[no-any-return]


def test_real_capture_russian_marks_map_to_russia() -> None:
    doc = _tar1090_chunk()
    regs = [v[0] for v in doc.values() if isinstance(v, list) and v and v[0]]
    russian = [r for r in regs if r.startswith(("RA-", "RF-"))]
    assert len(russian) > 0.5 * len(regs)
    assert {country_of_registration(r) for r in russian} == {"RU"}
    got = countries_of_registrations(pa.array(regs)).to_pylist()
    assert got == [country_of_registration(r) for r in regs]
    assert got.count("RU") >= len(russian)


def test_real_capture_address_and_mark_agree() -> None:
    """Where an aircraft in ``1.js`` has a nationality mark, it mostly names the address's state."""
    doc = _tar1090_chunk()
    pairs = [
        (country_of_address("1" + k.lower()), country_of_registration(v[0]))
        for k, v in doc.items()
        if isinstance(v, list) and v and v[0]
    ]
    marked = [(a, r) for a, r in pairs if r is not None]
    agree = sum(a == r for a, r in marked)
    assert marked
    assert agree / len(marked) > 0.9


def test_sql_join_agrees_on_real_capture() -> None:
    doc = _tar1090_chunk()
    regs = sorted({v[0] for v in doc.values() if isinstance(v, list) and v and v[0]})
    regs += ["B-18901", "B-1234", "SU-YAH", "NATO01", "N123AB"]
    con = duckdb.connect()
    register_registration_prefixes(con)
    con.register("regs", pa.table({"reg": regs}))
    got = dict(con.sql(SQL_MATCH).fetchall())
    assert got == {r: country_of_registration(r) for r in regs}
