"""Re-classifying only the addresses with new positions equals classifying everything again."""

from __future__ import annotations

from basewatch import Store
from basewatch.identify.classify import Classifier
from tests.test_identify_classify import add_aircraft, add_positions


def _table(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute(
        "SELECT * EXCLUDE (reasons), to_json(reasons) FROM aircraft_class ORDER BY icao24"
    ).fetchall()


def test_update_equals_a_rebuild(store: Store) -> None:
    classifier = Classifier.from_config(None)
    add_positions(store, ("4b1805", "SWR18"), ("15a3c2", None))
    add_aircraft(store, "15a3c2", registration="RF-76999", type_code="IL76")
    classifier.build(store)
    before = {row[0]: row for row in _table(store)}
    # new positions: a Russian Air Force callsign for a known address, and two new addresses
    add_positions(store, ("15a3c2", "RFF7071"), ("ae1234", "RCH123"), ("3c6586", "DLH4AB"))
    classifier.update(store, ["15a3c2", "ae1234", "3c6586"])
    updated = _table(store)
    assert classifier.is_fresh(store)
    classifier.build(store)
    assert updated == _table(store)
    rows = {row[0]: row for row in updated}
    assert set(rows) == {"4b1805", "15a3c2", "ae1234", "3c6586"}
    assert rows["4b1805"] == before["4b1805"]  # untouched
    assert rows["15a3c2"] != before["15a3c2"]  # the callsign added a reason


def test_update_after_new_imports_rebuilds(store: Store) -> None:
    classifier = Classifier.from_config(None)
    add_positions(store, ("15a3c2", None))
    classifier.build(store)
    add_aircraft(store, "4b1805", registration="HB-JCA", type_code="BCS3")
    classifier.update(store, ["15a3c2"])  # the aircraft table changed: everything is redone
    assert classifier.is_fresh(store)
    assert {r[0] for r in _table(store)} == {"15a3c2", "4b1805"}
