"""State/military classification: each rule kind on tiny built stores, conflicts, unknowns,
non-ICAO addresses, watchlists, the real plane-alert-db and tar1090-db captures, and fuzzing."""

from __future__ import annotations

import csv
import gzip
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basewatch import Store
from basewatch.config import parse_config
from basewatch.errors import ConfigError
from basewatch.identify.blocks import country_of_address
from basewatch.identify.classify import Classifier
from basewatch.identify.rules import literal_prefix, load_rules
from tests.conftest import shared

RULES = load_rules()


def rule_row(table: str, **match: Any) -> dict[str, Any]:
    """The packaged rule a test relies on, so expected weights come from the data."""
    rows = [
        r for r in getattr(RULES, table).to_pylist() if all(r[k] == v for k, v in match.items())
    ]
    assert len(rows) == 1, (table, match)
    return rows[0]


def db_weight(name: str) -> float:
    return float(rule_row("database", name=name)["weight"])


def add_positions(store: Store, *rows: tuple[str, str | None]) -> None:
    """(icao24, callsign) positions; the ingest row is made once."""
    store.con.execute(
        "INSERT INTO ingests (ingest_id, path, format, sha256, started_at) "
        "SELECT 1, 'test', 'test', 'x', now() WHERE NOT EXISTS (SELECT 1 FROM ingests)"
    )
    for icao24, callsign in rows:
        store.con.execute(
            "INSERT INTO positions (time, icao24, callsign, lat, lon, pos_source, ingest_id) "
            "VALUES (now(), ?, ?, 35.4, 35.9, 'adsb', 1)",
            [icao24, callsign],
        )


def add_aircraft(store: Store, icao24: str, source: str = "tar1090_db", **fields: Any) -> None:
    names = ["icao24", *fields]
    sources = dict.fromkeys(fields, source)
    store.con.execute(
        f"INSERT INTO aircraft ({', '.join(names)}, field_sources) "
        f"VALUES ({', '.join('?' * len(names))}, MAP(?, ?))",
        [icao24, *fields.values(), list(sources), list(sources.values())],
    )


def classify(store: Store, config_text: str | None = None) -> dict[str, dict[str, Any]]:
    config = parse_config(config_text, "test.yaml") if config_text else None
    table = Classifier.from_config(config).classify(store)
    return {row["icao24"]: row for row in table.to_pylist()}


def rules_of(row: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["rule"], r["says"]) for r in row["reasons"]]


def strength(row: dict[str, Any], kinds: tuple[str, ...]) -> float:
    """Noisy-OR of the row's reasons of these kinds, recomputed from the reasons themselves."""
    return 1 - math.prod(1 - r["weight"] for r in row["reasons"] if r["says"] in kinds)


def test_database_flag_both_ways(store: Store) -> None:
    add_aircraft(store, "155555", military=True)
    add_aircraft(store, "3c6544", military=False)
    got = classify(store)
    mil, civ = got["155555"], got["3c6544"]
    assert (mil["verdict"], mil["military"], mil["state"]) == ("military", True, True)
    assert mil["reasons"][0]["source"] == "tar1090_db"
    assert mil["confidence"] == round(db_weight("military_flag"), 3)
    assert (civ["verdict"], civ["military"], civ["state"]) == ("civil", False, False)
    assert civ["confidence"] == round(db_weight("not_military"), 3)
    assert rules_of(civ) == [("database.military_flag", "civil")]


@pytest.mark.parametrize(("cmpg", "verdict"), [("Mil", "military"), ("Gov", "state"),
                                               ("Pol", "state"), ("Civ", "civil")])  # fmt: skip
def test_plane_alert_cmpg(store: Store, cmpg: str, verdict: str) -> None:
    add_aircraft(store, "155555", source="plane_alert", cmpg=cmpg)
    row = classify(store)["155555"]
    assert row["verdict"] == verdict
    assert row["reasons"][0]["rule"] == "plane_alert.cmpg"
    assert row["reasons"][0]["source"] == "plane_alert"
    if verdict == "state":  # a state vote says nothing about military: left open
        assert (row["military"], row["state"]) == (None, True)


def test_plane_alert_category_and_operator(store: Store) -> None:
    add_aircraft(store, "448001", source="plane_alert", category="Police Forces")
    add_aircraft(store, "400100", operator="Ministry of Defence")
    add_aircraft(store, "4b1001", owner="Federal Police")  # owner counts like operator
    got = classify(store)
    assert got["448001"]["verdict"] == "state"
    assert ("plane_alert.category", "state") in rules_of(got["448001"])
    assert ("operator", "military") in rules_of(got["400100"])
    assert got["4b1001"]["verdict"] == "state"
    assert 'owner "Federal Police"' in got["4b1001"]["reasons"][0]["detail"]


def test_type_catalogue_and_its_civil_operators(store: Store) -> None:
    add_aircraft(store, "a00001", type_code="C17")
    add_aircraft(store, "155555", type_code="A124", operator="Volga-Dnepr Airlines")
    add_aircraft(store, "155556", type_code="a124")  # no operator: the weak type vote alone
    got = classify(store)
    c17, a124 = rule_row("types", designator="C17"), rule_row("types", designator="A124")
    assert got["a00001"]["verdict"] == "military"
    assert got["a00001"]["confidence"] == round(c17["weight"], 3)
    volga = got["155555"]
    assert set(rules_of(volga)) == {("type", "military"), ("type.civil_operator", "civil")}
    assert volga["verdict"] == "civil"  # a listed civil user outweighs the dual-use type
    assert got["155556"]["verdict"] == "military"
    assert got["155556"]["confidence"] == round(a124["weight"], 3)


def test_callsign_patterns(store: Store) -> None:
    add_positions(store, ("155555", "RFF7421"), ("155555", "rff7422"), ("155555", "AFL123"))
    add_positions(store, ("a00002", "RCH123"), ("3c6544", "DLH4AB"), ("~1a2b3c", "RSD352"))
    got = classify(store)
    rff = got["155555"]
    assert rules_of(rff) == [("callsign", "military")]  # one reason per rule, not per callsign
    assert "RFF7421, RFF7422" in rff["reasons"][0]["detail"]
    assert got["a00002"]["verdict"] == "military"
    assert got["3c6544"]["verdict"] == "unknown"
    tilde = got["~1a2b3c"]
    assert (tilde["verdict"], tilde["country"]) == ("state", None)


def test_registration_patterns(store: Store) -> None:
    add_aircraft(store, "150001", registration="RF-86496")
    add_aircraft(store, "3f0001", registration="10+23")
    add_aircraft(store, "150002", registration="RA-86496")
    got = classify(store)
    assert got["150001"]["verdict"] == "state"
    assert got["150001"]["military"] is None
    assert got["3f0001"]["verdict"] == "military"
    assert got["150002"]["verdict"] == "unknown"


def test_military_address_ranges_first_last_and_outside(store: Store) -> None:
    ranges = RULES.ranges.to_pylist()
    inside = [f"{r[k]:06x}" for r in ranges for k in ("lo", "hi")]
    outside = [f"{r['hi'] + 1:06x}" for r in ranges if r["hi"] + 1 < 2**24] + [
        f"{r['lo'] - 1:06x}" for r in ranges if r["lo"] > 0
    ]
    outside = [a for a in outside if a not in inside]
    add_positions(store, *((a, None) for a in inside + outside))
    got = classify(store)
    for address in inside:
        assert got[address]["verdict"] == "military", address
        assert rules_of(got[address]) == [("address_range", "military")]
    for address in outside:
        assert ("address_range", "military") not in rules_of(got[address]), address
    for famous in ("ae0000", "afffff", "43c000", "43cfff"):
        assert famous in inside or any(r["lo"] <= int(famous, 16) <= r["hi"] for r in ranges)


def test_ranges_agree_with_the_allocation_table() -> None:
    for r in RULES.ranges.to_pylist():
        assert country_of_address(r["first"]) == r["country"] == country_of_address(r["last"])


def test_conflict_keeps_both_sides_and_follows_the_documented_rule(store: Store) -> None:
    add_aircraft(store, "155555", military=False)  # the database says civil ...
    add_positions(store, ("155555", "RFF7421"))  # ... the callsign says Russian Air Force
    row = classify(store)["155555"]
    assert set(rules_of(row)) == {("database.military_flag", "civil"), ("callsign", "military")}
    mil, civ = strength(row, ("military",)), strength(row, ("civil",))
    assert mil > civ
    assert (row["verdict"], row["military"], row["state"]) == ("military", True, True)
    assert row["confidence"] == round(mil * (1 - civ), 3)
    assert [r["weight"] for r in row["reasons"]] == sorted(
        (r["weight"] for r in row["reasons"]), reverse=True
    )


def test_tie_is_disputed_never_guessed(store: Store) -> None:
    config = """
identify:
  callsigns: [{pattern: '^ZZZ\\d', kind: military, weight: 0.5}]
  registrations: [{pattern: '^ZZ-', kind: civil, weight: 0.5}]
"""
    add_aircraft(store, "155555", registration="ZZ-001")
    add_positions(store, ("155555", "ZZZ1"))
    row = classify(store, config)["155555"]
    assert (row["verdict"], row["military"], row["state"], row["confidence"]) == (
        "disputed",
        None,
        None,
        None,
    )
    assert {r["source"] for r in row["reasons"]} == {"test.yaml"}


def test_unknown_and_country(store: Store) -> None:
    add_positions(store, ("3c6544", None), ("~abcdef", None))
    add_aircraft(store, "f00000", registration="5A-ONE")  # unallocated block: the mark says
    add_aircraft(store, "~00abcd", registration="RA-12345")  # non-ICAO: no country at all
    got = classify(store)
    assert set(got) == {"3c6544", "~abcdef", "f00000", "~00abcd"}
    german = got["3c6544"]
    assert (german["verdict"], german["military"], german["state"]) == ("unknown", None, None)
    assert (german["confidence"], german["reasons"]) == (None, [])
    assert (german["country"], german["country_source"]) == ("DE", "address")
    assert country_of_address("f00000") is None
    assert (got["f00000"]["country"], got["f00000"]["country_source"]) == ("LY", "registration")
    assert got["~abcdef"]["country"] is None
    assert got["~00abcd"]["country"] is None


def test_user_rules_replace_packaged_ones(store: Store) -> None:
    add_aircraft(store, "155555", type_code="A124")
    config = "identify:\n  types:\n    A124: {name: An-124, kind: military, weight: 0.8}\n"
    row = classify(store, config)["155555"]
    assert row["reasons"] == [
        {
            "rule": "type",
            "says": "military",
            "weight": 0.8,
            "detail": "type A124 (An-124)",
            "source": "test.yaml",
        }
    ]


def test_overlapping_user_range_is_refused() -> None:
    config = parse_config(
        "identify:\n  address_ranges:\n"
        "    - {first: '43c800', last: '43d000', kind: state, weight: 0.5}\n",
        "mine.yaml",
    )
    with pytest.raises(ConfigError, match="overlaps 43c000-43cfff"):
        load_rules(config)


WATCH = """
watchlists:
  ru-transports: {label: Russian transports, types: [A124, IL76], countries: [RU]}
  by-address: {addresses: [AE0001]}
  by-reg: {registrations: [ra82078]}
  by-operator: {operators: ['volga']}
  by-callsign: {callsigns: ['^rff']}
  military: {military: true}
  not-military: {military: false}
"""


def test_watchlists_match_set_based(store: Store) -> None:
    add_aircraft(store, "155555", type_code="A124", registration="RA-82078",
                 operator="Volga-Dnepr")  # fmt: skip
    add_aircraft(store, "a00001", type_code="A124")  # an An-124 but not Russian
    add_aircraft(store, "ae0001", type_code="IL76")  # US military range, IL76: not RU
    add_positions(store, ("150009", "RFF1"), ("3c6544", None))
    got = classify(store, WATCH)
    assert got["155555"]["watchlists"] == sorted(
        ["ru-transports", "by-reg", "by-operator", "not-military"]
    )
    assert "ru-transports" not in got["a00001"]["watchlists"]
    assert sorted(got["ae0001"]["watchlists"]) == ["by-address", "military"]
    assert sorted(got["150009"]["watchlists"]) == ["by-callsign", "military"]
    assert got["3c6544"]["watchlists"] == []  # unknown military: neither true nor false


def test_packaged_rules_are_well_formed() -> None:
    for r in RULES.callsigns.to_pylist():
        assert r["key"] is not None and len(r["key"]) == 3, r["pattern"]  # hash-join path
    designators = RULES.types.column("designator").to_pylist()
    assert all(2 <= len(d) <= 4 and d.isalnum() and d.isupper() for d in designators)
    assert {"A124", "AN22", "IL76", "IL62", "IL96", "T154", "T204", "C17", "A400"} <= set(
        designators
    )
    assert literal_prefix(r"^RFF\d") == "RFF"
    assert literal_prefix(r"^RF-\d{5}$") == "RF-"
    assert literal_prefix(r"^AB?C") == "A"  # B is optional: the prefix stops before it
    assert literal_prefix(r"(?i)^x") == literal_prefix(r"^RCH|^RRR") == ""


def test_real_plane_alert_and_tar1090_captures(store: Store) -> None:
    registry = pytest.importorskip("basewatch.identify.registry")
    pa_path, tar_path = shared("plane-alert-db/plane-alert-mil.csv"), shared("tar1090-db/1.js")
    with pa_path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    chunk = json.loads(gzip.decompress(tar_path.read_bytes()))
    flagged = {"1" + k.lower() for k, v in chunk.items() if str(v[2]).startswith("1")}
    registry.import_aircraft(store, [str(pa_path), str(tar_path)])
    got = classify(store)
    # the file drops leading zeros in a few addresses (10166 is 010166): pad as the importer does
    mil = {r["$ICAO"].lower().zfill(6) for r in rows if r["#CMPG"] == "Mil"}
    assert len(mil) == sum(r["#CMPG"] == "Mil" for r in rows)
    assert mil <= set(got)
    for address in mil:
        row = got[address]
        assert row["verdict"] == "military", row
        assert ("plane_alert.cmpg", "military") in rules_of(row)
    for address in flagged & set(got):
        assert got[address]["military"] is True
        assert any(
            r["rule"] == "database.military_flag" and r["source"] == "tar1090_db"
            for r in got[address]["reasons"]
        )
    assert len(flagged & set(got)) == len(flagged)


def check_invariants(got: dict[str, dict[str, Any]]) -> None:
    for address, row in got.items():
        if row["military"]:
            assert row["state"] is True
        if row["state"] is False:
            assert row["military"] is False
        assert (row["verdict"] == "unknown") == (row["reasons"] == [])
        if address.startswith("~"):
            assert row["country"] is None
            assert all(r["rule"] != "address_range" for r in row["reasons"])


ADDRESS = st.one_of(
    st.integers(0, 2**24 - 1).map(lambda n: f"{n:06x}"),
    st.integers(0, 2**24 - 1).map(lambda n: f"~{n:06x}"),
    st.text(min_size=1, max_size=8),
)
CALLSIGN = st.one_of(
    st.none(),
    st.text(max_size=9),
    st.sampled_from(["RFF", "RCH", "RSD", "NATO", "GAF"]).flatmap(
        lambda p: st.integers(0, 99999).map(lambda n: f"{p}{n}")
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ADDRESS, CALLSIGN), min_size=1, max_size=30))
def test_random_addresses_and_callsigns_never_raise(rows: list[tuple[str, str | None]]) -> None:
    with Store.open(":memory:") as store:
        add_positions(store, *rows)
        got = classify(store)
    assert set(got) == {a for a, _ in rows}
    check_invariants(got)
