"""``basewatch aircraft import|show|list`` as users script them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.conftest import shared
from tests.test_cli import run

SHOW_KEYS = [
    "icao24",
    "country",
    "registration",
    "type",
    "operator",
    "military",
    "state",
    "reasons",
]


def test_import_show_list(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    plane_alert = shared("plane-alert-db/plane-alert-mil.csv")
    rows = list(csv.DictReader(plane_alert.open(encoding="utf-8-sig")))
    first = run("aircraft", "import", str(plane_alert), "--json", db=db)
    assert first.returncode == 0, first.stderr
    [imp] = json.loads(first.stdout)["imports"]
    assert (imp["format"], imp["status"]) == ("plane_alert", "imported")
    assert imp["accepted"] + imp["rejected"] == len(rows)
    again = json.loads(run("aircraft", "import", str(plane_alert), "--json", db=db).stdout)
    assert again["imports"][0]["status"] == "already imported"

    # a Russian Air Force An-124 from the file, looked up by registration
    an124 = next(
        r for r in rows if r["$ICAO Type"] == "A124" and r["$Registration"].startswith("RA-")
    )
    shown = run("aircraft", "show", an124["$Registration"], "--json", db=db)
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert list(doc)[: len(SHOW_KEYS)] == SHOW_KEYS
    assert doc["icao24"] == an124["$ICAO"].lower().zfill(6)
    assert (doc["country"], doc["type"], doc["military"], doc["state"]) == (
        "RU",
        "A124",
        True,
        True,
    )
    assert any(r["rule"] == "plane_alert.cmpg" for r in doc["reasons"])

    listed = run("aircraft", "list", "--military", "--country", "RU", "--csv", db=db)
    assert listed.returncode == 0, listed.stderr
    out_rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert doc["icao24"] in {r["icao24"] for r in out_rows}
    assert {r["country"] for r in out_rows} == {"RU"}
    as_json = json.loads(run("aircraft", "list", "--military", "--json", db=db).stdout)
    assert len(as_json) >= len(out_rows)
    assert all(r["military"] is True for r in as_json)


def test_show_an_address_never_seen_still_gets_its_country(tmp_path: Path) -> None:
    doc = json.loads(run("aircraft", "show", "778123", "--json", db=tmp_path / "s.duckdb").stdout)
    assert doc["country"] == "SY"
    assert doc["military"] is None


def test_unknown_registration_and_watchlist_are_usage_errors(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    out = run("aircraft", "show", "ZZ-NOPE", db=db)
    assert out.returncode == 2
    assert "ZZ-NOPE" in out.stderr
    assert run("aircraft", "list", "--watchlist", "nope", db=db).returncode == 2
