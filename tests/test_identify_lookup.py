"""Looking aircraft up (``identify``, ``list_aircraft``) and rebuilding ``aircraft_class`` only
when it is stale."""

from __future__ import annotations

import json

import pytest

from basewatch import Store
from basewatch.config import parse_config
from basewatch.errors import UsageError
from basewatch.identify.classify import Classifier
from basewatch.identify.lookup import identify, list_aircraft
from tests.test_identify_classify import add_aircraft, add_positions

CONFIG = parse_config(
    "watchlists:\n  ru-transports: {label: Russian transports, types: [A124], countries: [RU]}\n",
    "test.yaml",
)
DESIGN_KEYS = ["icao24", "country", "registration", "type", "operator", "military", "state"]


@pytest.fixture
def filled(store: Store) -> Store:
    add_aircraft(store, "155555", registration="RA-82078", type_code="A124", military=False)
    add_positions(store, ("155555", "RFF7421"), ("3c6544", "DLH4AB"), ("ae0001", "RCH1"))
    return store


def test_identify_by_address_and_registration(filled: Store) -> None:
    by_hex = identify(filled, "155555", CONFIG)
    assert by_hex == identify(filled, "RA-82078", CONFIG) == identify(filled, "ra82078", CONFIG)
    assert (by_hex.country, by_hex.type, by_hex.verdict, by_hex.seen) == (
        "RU",
        "A124",
        "military",
        True,
    )
    doc = by_hex.as_json()
    assert list(doc)[: len(DESIGN_KEYS) + 1] == [*DESIGN_KEYS, "reasons"]
    assert {r["says"] for r in doc["reasons"]} == {"military", "civil"}  # both sides kept
    assert doc["watchlists"] == [{"name": "ru-transports", "label": "Russian transports"}]
    json.dumps(doc)  # plain JSON


def test_identify_unseen_address_and_unknown_registration(filled: Store) -> None:
    unseen = identify(filled, "43C0AB", CONFIG)
    assert (unseen.icao24, unseen.seen, unseen.country, unseen.verdict) == (
        "43c0ab",
        False,
        "GB",
        "military",
    )
    assert [r.rule for r in unseen.reasons] == ["address_range"]
    nothing = identify(filled, "~00abcd", CONFIG)
    assert (nothing.verdict, nothing.country, nothing.reasons) == ("unknown", None, ())
    with pytest.raises(UsageError, match="no aircraft with address or registration"):
        identify(filled, "N12345", CONFIG)


def test_list_aircraft_filters(filled: Store) -> None:
    every = list_aircraft(filled, config=CONFIG)
    assert every.column("icao24").to_pylist() == ["155555", "3c6544", "ae0001"]
    military = list_aircraft(filled, military=True, config=CONFIG)
    assert military.column("icao24").to_pylist() == ["155555", "ae0001"]
    assert list_aircraft(filled, military=False, config=CONFIG).num_rows == 0  # 3c6544: unknown
    assert list_aircraft(filled, country="ru", config=CONFIG).column("icao24").to_pylist() == [
        "155555"
    ]
    listed = list_aircraft(filled, watchlist="ru-transports", config=CONFIG)
    assert listed.column("icao24").to_pylist() == ["155555"]
    with pytest.raises(UsageError, match="unknown watchlist 'nope'"):
        list_aircraft(filled, watchlist="nope", config=CONFIG)


def test_rebuilt_only_when_stale(filled: Store) -> None:
    classifier = Classifier.from_config(CONFIG)
    assert classifier.ensure(filled) is True
    assert classifier.ensure(filled) is False
    add_positions(filled, ("150001", "RFF1"))  # new positions: stale
    assert classifier.is_fresh(filled) is False
    assert identify(filled, "150001", CONFIG, classifier).seen is True
    assert classifier.ensure(filled) is False
    add_aircraft(filled, "150002", registration="RF-00001")  # new aircraft: stale
    assert classifier.ensure(filled) is True
    config = parse_config("watchlists:\n  x: {countries: [RU]}\n", "b.yaml")
    other = Classifier.from_config(config)
    assert other.is_fresh(filled) is False  # other watchlists: stale
    listed = list_aircraft(filled, watchlist="x", config=config, classifier=other)
    assert listed.column("icao24").to_pylist() == ["150001", "150002", "155555"]
