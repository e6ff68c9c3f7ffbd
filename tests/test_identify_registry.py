"""Aircraft database imports: real tar1090-db and plane-alert-db captures, fixtures, merge."""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basewatch import FormatError, Store, UsageError
from basewatch.identify.registry import (
    IMPORTERS,
    detect,
    format_names,
    import_aircraft,
    rebuild_aircraft,
)
from basewatch.identify.registry import loader as load_module
from basewatch.sources.base import Blob
from tests.conftest import FIXTURES, ROOT, shared

TAR1090 = FIXTURES / "tar1090_db"
FOLDER = TAR1090 / "db"
CSV_GZ = TAR1090 / "aircraft.csv.gz"
BASIC = FIXTURES / "basic_ac_db" / "basic-ac-db.json"
OPENSKY_OLD = FIXTURES / "opensky_aircraft" / "aircraftDatabase.csv"
OPENSKY_NEW = FIXTURES / "opensky_aircraft" / "aircraft-database-complete-2025-08.csv"
PLANE_ALERT_HEADER = (
    "$ICAO,$Registration,$Operator,$Type,$ICAO Type,#CMPG,$Tag 1,$#Tag 2,$#Tag 3,Category,$#Link"
)


def query(store: Store, sql: str, *params: Any) -> list[dict[str, Any]]:
    rel = store.con.execute(sql, list(params))
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def aircraft(store: Store) -> dict[str, dict[str, Any]]:
    return {row["icao24"]: row for row in query(store, "SELECT * FROM aircraft")}


def records(store: Store, source: str) -> dict[str, dict[str, Any]]:
    rows = query(store, "SELECT * FROM aircraft_records WHERE source = ?", source)
    return {row["icao24"]: row for row in rows}


def rejects(store: Store) -> list[tuple[str, int | None, str]]:
    rows = store.con.execute(
        "SELECT path, record, reason FROM aircraft_rejects ORDER BY path, record"
    ).fetchall()
    return [(Path(p).name, r, reason) for p, r, reason in rows]


def clean(value: str | None) -> str | None:
    value = value.strip() if isinstance(value, str) else None
    return value or None


def gz(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode(), mtime=0))
    return path


# --- the real captures ------------------------------------------------------------------------


def plane_alert_rows() -> list[dict[str, str]]:
    with shared("plane-alert-db/plane-alert-mil.csv").open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_plane_alert_mil_capture(store: Store) -> None:
    rows = plane_alert_rows()
    [result] = import_aircraft(store, [str(shared("plane-alert-db/plane-alert-mil.csv"))])
    assert (result.format, result.status) == ("plane_alert", "imported")
    assert result.accepted + result.rejected == len(rows)
    # what the file itself says: a valid 24-bit address (leading zeros may have been dropped)
    by_hex: dict[str, dict[str, str]] = {}
    for row in rows:
        hex_ = row["$ICAO"].strip().lower().zfill(6)
        if re.fullmatch("[0-9a-f]{6}", hex_) and (row["$Registration"] or row["$ICAO Type"]):
            by_hex.setdefault(hex_, row)
    assert result.accepted == len(by_hex)
    got = aircraft(store)
    assert set(got) == set(by_hex)
    for hex_, row in by_hex.items():
        ac = got[hex_]
        assert ac["registration"] == clean(row["$Registration"])
        assert ac["type_code"] == clean(row["$ICAO Type"])
        assert ac["type_desc"] == clean(row["$Type"])
        assert ac["operator"] == clean(row["$Operator"])
        assert ac["cmpg"] == clean(row["#CMPG"])
        assert ac["category"] == clean(row["Category"])
        assert ac["military"] is (row["#CMPG"] == "Mil")
        tags = [t.strip() for t in (row["$Tag 1"], row["$#Tag 2"], row["$#Tag 3"]) if t.strip()]
        assert ac["tags"] == (tags or None)
        assert ac["field_sources"]["military"] == "plane_alert"
        assert ac["field_sources"]["registration"] == "plane_alert"
    assert sum(r["#CMPG"] == "Mil" for r in rows) == sum(a["military"] for a in got.values())


def test_plane_alert_short_hex_is_zero_padded(store: Store) -> None:
    rows = [r for r in plane_alert_rows() if len(r["$ICAO"]) < 6]
    if not rows:
        pytest.skip("this plane-alert-mil.csv has no address with dropped leading zeros")
    import_aircraft(store, [str(shared("plane-alert-db/plane-alert-mil.csv"))])
    got = aircraft(store)
    for row in rows:
        assert got[row["$ICAO"].lower().zfill(6)]["registration"] == row["$Registration"]


def chunk_entries() -> dict[str, list[Any]]:
    data = json.loads(gzip.decompress(shared("tar1090-db/1.js").read_bytes()))
    return {("1" + k).lower(): v for k, v in data.items() if k != "children"}


def test_tar1090_chunk_capture(store: Store) -> None:
    entries = chunk_entries()
    [result] = import_aircraft(store, [str(shared("tar1090-db/1.js"))])
    assert (result.format, result.status) == ("tar1090_db", "imported")
    assert result.accepted + result.rejected == len(entries)
    valid = {h: v for h, v in entries.items() if len(h) == 6 and (clean(v[0]) or clean(v[1]))}
    assert result.accepted == len(valid)
    got = aircraft(store)
    assert set(got) == set(valid)
    for hex_, (reg, type_, flags, desc) in valid.items():
        ac = got[hex_]
        assert (ac["registration"], ac["type_code"], ac["type_desc"]) == (
            clean(reg),
            clean(type_),
            clean(desc),
        )
        assert ac["military"] is (flags[0] == "1")
        assert ac["interesting"] is (flags[1:2] == "1")
        assert ac["pia"] is (flags[2:3] == "1")
        assert ac["ladd"] is (flags[3:4] == "1")
        assert ac["field_sources"]["military"] == "tar1090_db"
    flagged = {h for h, v in valid.items() if v[2][0] == "1"}
    assert flagged == {h for h, a in got.items() if a["military"]}


def test_plane_alert_then_tar1090_merges_per_field(store: Store) -> None:
    import_aircraft(store, [str(shared("plane-alert-db/plane-alert-mil.csv"))])
    import_aircraft(store, [str(shared("tar1090-db/1.js"))])
    alert, tar = records(store, "plane_alert"), records(store, "tar1090_db")
    both = set(alert) & set(tar)
    assert both, "the two captures share addresses (Russian military aircraft)"
    got = aircraft(store)
    assert set(got) == set(alert) | set(tar)
    for hex_ in both:
        ac, sources = got[hex_], got[hex_]["field_sources"]
        for field in ("registration", "type_code", "type_desc", "military"):
            newest, older = tar[hex_][field], alert[hex_][field]
            expected = (newest, "tar1090_db") if newest is not None else (older, "plane_alert")
            if expected[0] is None:
                assert field not in sources
            else:
                assert (ac[field], sources[field]) == expected
        for field in ("operator", "cmpg", "category", "link"):  # only plane-alert has these
            assert (ac[field], sources.get(field)) == (alert[hex_][field], "plane_alert")


def test_plane_alert_header_variants(tmp_path: Path, store: Store) -> None:
    # 2021: a BOM and "$Ident"; the -images files: extra #ImageLink columns; CRLF line ends
    old = tmp_path / "old.csv"
    old.write_bytes(
        "\ufeff$ICAO,$Ident,$Operator,$Type,$ICAO Type,#CMPG,$Tag 1,$#Tag 2,$#Tag 3,Category,"
        "$#Link\r\n43C6F1,ZZ504,Royal Air Force,Airbus A400M,A400,Mil,Atlas,,,RAF,\r\n".encode()
    )
    images = tmp_path / "images.csv"
    images.write_text(
        PLANE_ALERT_HEADER + ",#ImageLink,#ImageLink2\n"
        "3C4A0B,16+01,German Government,Airbus A350-941 ACJ,A359,Gov,,,,Governments,,"
        "https://example.org/1.jpg,\n"
    )
    results = import_aircraft(store, [str(old), str(images)])
    assert [(r.format, r.accepted, r.rejected) for r in results] == [("plane_alert", 1, 0)] * 2
    got = aircraft(store)
    assert (got["43c6f1"]["registration"], got["43c6f1"]["tags"]) == ("ZZ504", ["Atlas"])
    assert (got["43c6f1"]["military"], got["43c6f1"]["link"]) == (True, None)
    ac = got["3c4a0b"]
    assert (ac["registration"], ac["cmpg"], ac["military"], ac["tags"]) == (
        "16+01",
        "Gov",
        False,
        None,
    )
    assert ac["category"] == "Governments"


# --- tar1090-db folder, chunks, aircraft.csv.gz -----------------------------------------------

FOLDER_EXPECTED = {  # full address → (registration, type, military, interesting, pia, ladd)
    "300a1f": ("D-EXAB", "C172", False, False, False, False),
    "3f1234": ("F-GXYZ", "A320", False, False, False, True),
    "3c4a0b": ("D-AIZZ", "A320", False, False, False, False),
    "3c7a00": ("D-ABYT", "B748", False, True, False, False),
    "3c65a1": ("D-HHEB", "EC35", False, False, True, False),
    "3c6dd2": ("54+02", "A400", True, False, False, False),
    "3d0c0c": ("HB-JCA", "BCS3", False, False, False, False),
    "3e0001": ("D-MVCT", "ULAC", False, False, False, False),
    "43c123": ("ZZ330", "A332", True, False, False, False),
    "155b1a": ("RA-82081", "A124", True, False, False, False),
}


def test_folder_follows_children_to_full_addresses(store: Store) -> None:
    [result] = import_aircraft(store, [str(FOLDER)])
    assert (result.format, result.path, result.rejected) == ("tar1090_db", str(FOLDER), 0)
    assert result.accepted == len(FOLDER_EXPECTED)
    assert result.notes == []
    got = aircraft(store)
    assert set(got) == set(FOLDER_EXPECTED)
    for hex_, (reg, type_, mil, interesting, pia, ladd) in FOLDER_EXPECTED.items():
        ac = got[hex_]
        assert (ac["registration"], ac["type_code"]) == (reg, type_)
        assert (ac["military"], ac["interesting"], ac["pia"], ac["ladd"]) == (
            mil,
            interesting,
            pia,
            ladd,
        )
    assert got["3e0001"]["type_desc"] is None
    assert "type_desc" not in got["3e0001"]["field_sources"]


def test_folder_found_inside_a_walked_tree(tmp_path: Path, store: Store) -> None:
    shutil.copytree(TAR1090, tmp_path / "tar1090-db")
    (tmp_path / "tar1090-db" / "README.md").write_text("not a database\n")
    results = import_aircraft(store, [str(tmp_path)])
    by_name = {Path(r.path).name: r for r in results}
    assert by_name["db"].accepted == len(FOLDER_EXPECTED)
    assert by_name["aircraft.csv.gz"].format == "tar1090_db"
    assert by_name["README.md"].status == "skipped"
    assert by_name["PROVENANCE.md"].status == "skipped"


def test_folder_missing_child_and_unreachable_chunk(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "db"
    shutil.copytree(FOLDER, folder)
    (folder / "3C6.js").rename(folder / "5A.js")  # listed child gone; an orphan appears
    [result] = import_aircraft(store, [str(folder)])
    assert rejects(store) == [("3C.js", None, "missing chunk: '3C6' listed in the children of 3C")]
    assert result.accepted == len(FOLDER_EXPECTED) - 2
    assert any("5A" in note for note in result.notes)


def test_broken_gzip_chunk_is_rejected_and_the_rest_imported(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "db"
    shutil.copytree(FOLDER, folder)
    data = (folder / "3C.js").read_bytes()
    (folder / "3C.js").write_bytes(data[: len(data) // 2])
    [result] = import_aircraft(store, [str(folder)])
    [(name, record, reason)] = rejects(store)
    assert (name, record) == ("3C.js", None)
    assert reason.startswith("corrupt or truncated gzip")
    lost = {"3c4a0b", "3c7a00", "3c65a1", "3c6dd2"}  # 3C and its child 3C6
    assert set(aircraft(store)) == set(FOLDER_EXPECTED) - lost
    assert (result.accepted, result.rejected) == (len(FOLDER_EXPECTED) - len(lost), 1)
    assert any("3C6" in note for note in result.notes)


def test_single_chunk_takes_its_prefix_from_the_file_name(tmp_path: Path, store: Store) -> None:
    [result] = import_aircraft(store, [str(FOLDER / "3C.js")])
    assert set(aircraft(store)) == {"3c4a0b", "3c7a00"}
    assert result.notes and "3C6" in result.notes[0]  # children are not followed
    renamed = tmp_path / "chunk.js"
    shutil.copy(FOLDER / "3C.js", renamed)
    with pytest.raises(FormatError, match="hex prefix"):
        import_aircraft(store, [str(renamed)])


def test_chunk_bad_entries_rejected_with_record_numbers(tmp_path: Path, store: Store) -> None:
    chunk = {
        "0A1B2": ["D-GOOD", "C152", "00", "CESSNA 152"],
        "0A1B2C": ["D-LONG", "C152", "00", None],  # 7 hex digits with the prefix
        "0A1BZ": ["D-BADX", "C152", "00", None],  # not hex
        "0A1B3": [None, None, "00", "no registration, no type"],
        "0A1B4": "not a list",
    }
    path = gz(tmp_path / "4.js", json.dumps(chunk))
    [result] = import_aircraft(store, [str(path)])
    assert (result.accepted, result.rejected) == (1, 4)
    assert rejects(store) == [
        ("4.js", 2, "address not 6 hex digits: 7 digits"),
        ("4.js", 3, "address not hexadecimal: 40A1BZ"),
        ("4.js", 4, "no registration and no type"),
        ("4.js", 5, "entry not [registration, type, flags, description]"),
    ]


def test_aircraft_csv_gz(store: Store) -> None:
    [result] = import_aircraft(store, [str(CSV_GZ)])
    assert (result.format, result.accepted, result.rejected) == ("tar1090_db", 5, 0)
    got = aircraft(store)
    assert got["155b1a"]["operator"] == "Volga-Dnepr, Ulyanovsk"  # the sed'ed first ';'
    assert got["ae1234"]["operator"] == "USAF, 437th AW; Charleston"  # an escaped ';' left
    assert got["ae1234"]["registration"] is None
    assert (got["43c123"]["year"], got["43c123"]["military"]) == ("2011", True)
    assert (got["3c65a1"]["pia"], got["3c65a1"]["year"]) == (True, None)
    assert got["3c4a0b"]["type_desc"] == "AIRBUS A-320"


def test_aircraft_csv_bad_rows(tmp_path: Path, store: Store) -> None:
    good = gzip.decompress(CSV_GZ.read_bytes()).decode().splitlines()
    bad = [
        "3C4A0B1;D-SEVN;A320;00;AIRBUS A-320;;;",  # 7-character hex
        "XYZ123;D-NHEX;A320;00;AIRBUS A-320;;;",  # not hex
        "3C4A0C;D-COLS;A320;00",  # wrong column count
        "3C4A0D;;;00;;;;",  # no registration, no type
        good[0],  # the same address again
    ]
    path = gz(tmp_path / "aircraft.csv.gz", "\n".join(good[:2] + bad + good[2:]) + "\n")
    [result] = import_aircraft(store, [str(path)])
    assert (result.accepted, result.rejected) == (len(good), len(bad))
    assert rejects(store) == [
        ("aircraft.csv.gz", 3, "address not 6 hex digits: 7 digits"),
        ("aircraft.csv.gz", 4, "address not hexadecimal: XYZ123"),
        ("aircraft.csv.gz", 5, "wrong column count: 4, expected 8"),
        ("aircraft.csv.gz", 6, "no registration and no type"),
        ("aircraft.csv.gz", 7, "duplicate address: 3c4a0b (first at record 1)"),
    ]
    assert result.reject_reasons["duplicate address"] == 1


def test_truncated_csv_gz_keeps_what_was_read(tmp_path: Path, store: Store) -> None:
    lines = [f"{0x3C0000 + i:06X};D-T{i:03d};C172;00;CESSNA 172;;;" for i in range(3000)]
    data = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    path = tmp_path / "aircraft.csv.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    [result] = import_aircraft(store, [str(path)])
    assert 0 < result.accepted < len(lines)
    assert result.reject_reasons.get("corrupt or truncated gzip") == 1


# --- basic-ac-db, OpenSky ---------------------------------------------------------------------


def basic_lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in BASIC.read_text().splitlines()]


@pytest.mark.parametrize("compressed", [False, True])
def test_basic_ac_db(tmp_path: Path, store: Store, compressed: bool) -> None:
    path = gz(tmp_path / "basic-ac-db.json.gz", BASIC.read_text()) if compressed else BASIC
    [result] = import_aircraft(store, [str(path)])
    lines = basic_lines()
    assert (result.format, result.accepted, result.rejected) == ("basic_ac_db", len(lines), 0)
    got = aircraft(store)
    for line in lines:
        ac = got[line["icao"]]
        assert (ac["registration"], ac["type_code"], ac["year"]) == (
            line["reg"],
            line["icaotype"],
            line["year"],
        )
        assert (ac["military"], ac["pia"], ac["ladd"]) == (
            line["mil"],
            line["faa_pia"],
            line["faa_ladd"],
        )
        assert ac["operator"] == line["ownop"]
        assert ac["type_desc"] == f"{line['manufacturer']} {line['model']}"
        assert ac["field_sources"]["military"] == "basic_ac_db"


def test_basic_ac_db_bad_lines(tmp_path: Path, store: Store) -> None:
    text = BASIC.read_text().splitlines()
    lines = [
        text[0],
        '{"icao":"3c4a0c","reg":"D-BROKEN",',  # invalid JSON
        "",  # blank lines are not records
        '["not", "an", "object"]',
        '{"icao":"3c4a0d1","reg":"D-SEVEN","icaotype":"A320"}',
        *text[1:],
    ]
    path = tmp_path / "basic-ac-db.json"
    path.write_text("\n".join(lines) + "\n")
    [result] = import_aircraft(store, [str(path)])
    assert (result.accepted, result.rejected) == (len(text), 3)
    got = rejects(store)
    assert [(r, reason.split(":")[0]) for _, r, reason in got] == [
        (2, "invalid JSON"),
        (4, "not a JSON object"),
        (5, "address not 6 hex digits"),
    ]


@pytest.mark.parametrize("path", [OPENSKY_OLD, OPENSKY_NEW], ids=["double", "single"])
def test_opensky_aircraft(store: Store, path: Path) -> None:
    quote = "'" if path == OPENSKY_NEW else '"'
    with path.open() as fh:
        rows = list(csv.DictReader(fh, quotechar=quote))
    [result] = import_aircraft(store, [str(path)])
    assert (result.format, result.accepted, result.rejected) == ("opensky_aircraft", len(rows), 0)
    got = aircraft(store)
    for row in rows:
        row = {k.lower(): v for k, v in row.items()}
        ac = got[row["icao24"]]
        assert (ac["registration"], ac["type_code"]) == (row["registration"], row["typecode"])
        assert ac["operator"] == clean(row["operator"])
        assert ac["owner"] == clean(row["owner"])
        assert ac["year"] == (row["built"][:4] or None)
        assert ac["military"] is None  # OpenSky has no military flag
    assert got["155b1a"]["type_desc"] == "Antonov An-124-100 Ruslan"


# --- detection, idempotence, upsert, transactions ---------------------------------------------

SAMPLES = {
    "tar1090_db": [FOLDER / "3.js", FOLDER / "1.json", CSV_GZ],
    "basic_ac_db": [BASIC],
    "opensky_aircraft": [OPENSKY_OLD, OPENSKY_NEW],
}


def test_detection_by_content(tmp_path: Path, store: Store) -> None:
    assert format_names() == [i.name for i in IMPORTERS]
    for name, paths in SAMPLES.items():
        for path in paths:
            assert detect(Blob(path)).name == name, path
    alert = tmp_path / "list"
    alert.write_text(PLANE_ALERT_HEADER + "\n43C6F1,ZZ504,RAF,Airbus A400M,A400,Mil,,,,RAF,\n")
    assert detect(Blob(alert)).name == "plane_alert"
    others = [
        ROOT / "src" / "basewatch" / "data" / "sample" / "trace_full_15a3c2.json",
        FIXTURES / "aircraft_json" / "history_42.json",
        FIXTURES / "sbs" / "basestation_30003.txt",
        FOLDER / "files.js",
        TAR1090 / "PROVENANCE.md",
    ]
    for path in others:
        with pytest.raises(FormatError, match="not a known aircraft database"):
            detect(Blob(path))
    with pytest.raises(FormatError):
        import_aircraft(store, [str(others[0])])
    with pytest.raises(UsageError, match="plane_alert"):
        import_aircraft(store, [str(BASIC)], fmt="nope")
    [forced] = import_aircraft(store, [str(BASIC)], fmt="basic_ac_db")
    assert forced.format == "basic_ac_db"


def test_same_file_twice_adds_nothing(tmp_path: Path, store: Store) -> None:
    [first] = import_aircraft(store, [str(CSV_GZ)])
    copy = tmp_path / "renamed.gz"
    shutil.copy(CSV_GZ, copy)
    [again, moved] = import_aircraft(store, [str(CSV_GZ), str(copy)])
    assert again.status == moved.status == "already imported"
    assert again.import_id == moved.import_id == first.import_id
    assert (again.accepted, again.rejected) == (0, 0)
    [folder] = import_aircraft(store, [str(FOLDER)])
    [folder_again] = import_aircraft(store, [str(FOLDER)])
    assert folder_again.status == "already imported"
    assert folder_again.import_id == folder.import_id
    counts = store.con.execute(
        "SELECT (SELECT count(*) FROM aircraft_imports), (SELECT count(*) FROM aircraft_records)"
    ).fetchall()
    # one source: the folder's rows replaced the csv's for the addresses both hold
    assert counts == [(2, len(set(FOLDER_EXPECTED) | {"ae1234"}))]


def test_newer_version_replaces_the_source_rows_it_contains(tmp_path: Path, store: Store) -> None:
    v1 = tmp_path / "v1.csv"
    v1.write_text(
        PLANE_ALERT_HEADER + "\n"
        "43C6F1,ZZ504,RAF,Airbus A400M,A400,Mil,Tag,,,RAF,\n"
        "3C6DD2,54+02,GAF,Airbus A400M,A400,Mil,,,,GAF,https://example.org/a\n"
    )
    v2 = tmp_path / "v2.csv"
    v2.write_text(PLANE_ALERT_HEADER + "\n3C6DD2,54+03,GAF,Airbus A400M,A400,Gov,,,,GAF,\n")
    import_aircraft(store, [str(v1)])
    [second] = import_aircraft(store, [str(v2)])
    rows = records(store, "plane_alert")
    assert set(rows) == {"43c6f1", "3c6dd2"}  # the address v2 lacks keeps v1's row
    assert rows["3c6dd2"]["import_id"] == second.import_id
    assert (rows["3c6dd2"]["registration"], rows["3c6dd2"]["link"]) == ("54+03", None)
    ac = aircraft(store)["3c6dd2"]
    assert (ac["registration"], ac["military"], ac["cmpg"]) == ("54+03", False, "Gov")
    assert ac["link"] is None  # replaced: the newer version has no link for it


def test_merge_newest_non_null_wins_and_single_source_fields_stay(store: Store) -> None:
    import_aircraft(store, [str(CSV_GZ)])  # tar1090: registration None for ae1234
    import_aircraft(store, [str(BASIC)])  # basic-ac-db: registration None for ae1234 too
    ac = aircraft(store)["ae1234"]
    assert ac["registration"] is None and "registration" not in ac["field_sources"]
    assert (ac["operator"], ac["field_sources"]["operator"]) == (
        "UNITED STATES AIR FORCE",
        "basic_ac_db",
    )
    ac = aircraft(store)["3c65a1"]  # only in aircraft.csv.gz
    assert ac["field_sources"]["registration"] == "tar1090_db"
    import_aircraft(store, [str(OPENSKY_NEW)])
    ac = aircraft(store)["3c65a1"]
    assert (ac["operator"], ac["field_sources"]["operator"]) == (
        "ADAC Luftrettung",
        "opensky_aircraft",
    )
    assert (ac["pia"], ac["field_sources"]["pia"]) == (True, "tar1090_db")  # OpenSky: no flag
    incremental = aircraft(store)
    rebuild_aircraft(store.con)
    assert aircraft(store) == incremental


def test_failed_import_leaves_the_store_as_it_was(
    monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(load_module, "rebuild_aircraft", boom)
    with pytest.raises(RuntimeError):
        import_aircraft(store, [str(CSV_GZ)])
    for table in ("aircraft_imports", "aircraft_records", "aircraft_rejects", "aircraft"):
        assert store.con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]
    monkeypatch.undo()
    [result] = import_aircraft(store, [str(CSV_GZ)])
    assert result.status == "imported"


# --- property: what the tar1090 CSV writer writes, the importer reads back --------------------

_text = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Z"), include_characters=" "
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.integers(0, 0xFFFFFF).map(lambda a: f"{a:06X}"),
        st.tuples(_text, _text, st.sampled_from(["00", "10", "01", "0010", "0001"]), _text),
        min_size=1,
        max_size=20,
    )
)
def test_csv_writer_round_trip(
    tmp_path_factory: pytest.TempPathFactory, rows: dict[str, tuple[str, str, str, str]]
) -> None:
    path = tmp_path_factory.mktemp("rt") / "aircraft.csv.gz"
    out: list[str] = []
    writer = csv.writer(
        _Lines(out), delimiter=";", escapechar="\\", quoting=csv.QUOTE_NONE, lineterminator="\n"
    )
    for hex_, (reg, type_, flags, ownop) in rows.items():
        writer.writerow([hex_, reg, type_, flags, "", "", ownop, None])
    gz(path, "".join(out))
    with Store.open(":memory:") as store:
        [result] = import_aircraft(store, [str(path)])
        got = aircraft(store)
    kept = {h: v for h, v in rows.items() if clean(v[0]) or clean(v[1])}
    assert result.accepted == len(kept)
    for hex_, (reg, type_, flags, ownop) in kept.items():
        ac = got[hex_.lower()]
        assert (ac["registration"], ac["type_code"], ac["operator"]) == (
            clean(reg),
            clean(type_),
            clean(ownop),
        )
        assert ac["military"] is (flags[0] == "1")


class _Lines:
    def __init__(self, out: list[str]) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.append(text)
