"""The evidence report's facts against the scenario's truth (tests/report_scenario.py) and
against the ``visits --json`` / ``activity --json`` verbs on the same store."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from basewatch import Store, load_config
from basewatch.report import Report, ReportBuilder, report_document
from tests.report_scenario import A320, AN124, IL62, IL76, TU154, build_store
from tests.test_cli import run

SINCE = "2025-10-24T00:00:00Z"
UNTIL = "2025-10-29T23:59:59Z"


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("facts"))


def _report(db: Path, base: str = "hmeimim", **period: datetime | None) -> Report:
    with Store.open(db) as store:
        return ReportBuilder(base, load_config(None), **period).build(store)


@pytest.fixture(scope="module")
def week(db: Path) -> Report:
    return _report(db, since=_t(SINCE), until=_t(UNTIL))


def test_headline_resumption_after_a_pause_that_began_before_the_period(week: Report) -> None:
    # last spring arrival Thu 24 Apr ~08:30, the Il-62M on Fri 24 Oct ~09:30: 183 days later
    assert week.headline == (
        "Russian state flights to Hmeimim resumed on Fri 24 Oct 2025 after a 183-day pause: "
        "Il-62M RA-86496, An-124 RA-82038 (3 arrivals, Fri 24 Oct to Wed 29 Oct) and "
        "Il-76MD RF-78820."
    )
    [pause] = [e for e in week.events if e.kind == "pause"]
    assert pause.start < _t(SINCE) < pause.end
    assert pause.days == pytest.approx(183.0, abs=0.1)


def test_counts_routes_and_no_distractors(week: Report) -> None:
    counts = {c.icao24: c for c in week.counts}
    assert counts[AN124.icao24].sentence == (
        "An-124 RA-82038 arrived 3 times between Fri 24 Oct and Wed 29 Oct."
    )
    assert counts[IL62.icao24].arrivals == counts[IL76.icao24].arrivals == 1
    seen = {v.icao24 for v in week.visits}
    assert A320.icao24 not in seen and TU154.icao24 not in seen
    routes = {r.icao24: r.sentence for r in week.routes}
    assert routes[IL76.icao24] == (
        "Il-76MD RF-78820: Benina (HLLB) → Hmeimim (OSLK) → Chkalovsky (UUMU)"
    )


def test_evidence_rests_on_the_positions_and_files(week: Report, db: Path) -> None:
    root = db.parent
    aside_total = 0
    with Store.open(db) as store:
        for v in week.visits:
            start, end, n, aside = store.con.execute(
                "SELECT f.start_time, f.end_time, count(p.time), "
                "(SELECT count(*) FROM set_aside s WHERE s.icao24 = f.icao24 "
                " AND s.time BETWEEN f.start_time AND f.end_time) "
                "FROM flights f JOIN positions p ON p.icao24 = f.icao24 "
                "AND p.time BETWEEN f.start_time AND f.end_time "
                "WHERE f.flight_id = ? GROUP BY 1, 2, f.icao24",
                [v.record["flight_id"]],
            ).fetchall()[0]
            assert v.positions is not None
            assert v.positions.count == n - aside
            assert sum(v.positions.set_aside.values()) == aside
            assert start <= v.positions.first_seen and v.positions.last_seen <= end
            aside_total += aside
            [source] = v.sources
            trace = root / "traces" / f"trace_full_{v.icao24}.json"
            assert source.path == f"traces/{trace.name}"
            assert source.sha256 == hashlib.sha256(trace.read_bytes()).hexdigest()
    assert aside_total == 1  # the An-124's spoofed position on Sun 26 Oct
    dark = [v for v in week.visits if v.inferred]
    assert [v.icao24 for v in dark] == [IL76.icao24]
    # it went dark 2,500 ft above the field: on a 3° path that is ~15 km out
    assert dark[0].positions is not None and 10 < dark[0].positions.closest_km < 20
    assert "went dark heading for the field" in dark[0].reasoning
    assert all(v.positions and v.positions.closest_km < 3 for v in week.visits if not v.inferred)


def test_json_agrees_with_the_visits_and_activity_verbs(week: Report, db: Path) -> None:
    doc = json.loads(json.dumps(report_document(week)))
    out = run("visits", "--base", "hmeimim", "--since", SINCE, "--until", UNTIL, "--json", db=db)
    assert out.returncode == 0, out.stderr
    visits = json.loads(out.stdout)
    assert len(doc["visits"]) == len(visits) == 5
    for mine, theirs in zip(doc["visits"], visits, strict=True):
        assert {k: mine[k] for k in theirs} == theirs
    activity = json.loads(run("activity", "--base", "hmeimim", "--json", db=db).stdout)
    assert doc["activity"] == activity
    assert [r["time"] for r in activity["resumptions"]] == [doc["visits"][0]["arrival_time"]]


def test_whole_history_and_an_unseen_stretch(db: Path) -> None:
    report = _report(db)
    assert len(report.visits) == 8  # 2 spring Il-76, 1 spring An-124, and the week's 5
    routes = {r.icao24: r.route for r in report.routes}
    # from its April return to Damascus to Benina in October, the Il-76's flights were unseen
    assert " … Benina (HLLB) → Hmeimim (OSLK)" in routes[IL76.icao24]
    assert report.period.start == report.visits[0].arrival_time


def test_a_quiet_period_says_so(db: Path) -> None:
    report = _report(db, since=_t("2025-06-01T00:00:00Z"), until=_t("2025-07-01T00:00:00Z"))
    assert report.visits == () and report.tracks == ()
    assert report.headline == (
        "No state arrivals at Hmeimim between Sun 1 Jun 2025 and Tue 1 Jul 2025; the last "
        "before was on Thu 24 Apr 2025; the next came on Fri 24 Oct 2025."
    )
    assert any("No state arrival at Hmeimim since Thu 24 Apr 2025" in s for s in report.summary)


def test_second_base_and_a_base_without_visits(db: Path) -> None:
    moscow = _report(db, "chkalovsky")
    assert [(v.icao24, v.inferred) for v in moscow.visits] == [(IL76.icao24, False)]
    assert moscow.headline.startswith("1 Russian state arrival at Chkalovsky on Mon 27 Oct 2025")
    tartus = _report(db, "tartus")
    assert tartus.visits == ()
    assert tartus.headline == "No state arrivals at Tartus naval base in the store."
