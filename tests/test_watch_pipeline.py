"""The watch pipeline on built tracks fed in small time-ordered batches: the same visits as a
batch run, and the expected alerts (arrivals incl. a dark one once silent, the departure, the
resumption after a pause, watchlist sightings, an emergency squawk near the base), each once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from basewatch import Store, VisitDetector, resolve_base
from basewatch.alerts import Alert, Dispatcher, MemorySink
from basewatch.config import parse_config
from basewatch.flights import FlightBuilder
from basewatch.watch import AlertRules, Pipeline, RuleContext
from tests.test_identify_classify import add_aircraft
from tests.track_store import insert, table
from tests.tracks import T0, Track

CONFIG = parse_config(
    """
bases:
  hmeimim: {icao: OSLK, radius_km: 15, watch: [state]}
watchlists:
  ru-transports: {types: [IL76, A124], countries: [RU]}
alerts:
  rules:
    - {on: arrival, base: hmeimim}
    - {on: departure, base: hmeimim}
    - {on: resumption, base: hmeimim, after_days: 30}
    - {on: watchlist, watch: ru-transports}
    - {on: squawk, base: hmeimim, radius_km: 100}
  sinks: [{kind: stdout}]
""",
    "test.yaml",
)
START = datetime.fromtimestamp(T0, UTC)


def _scenario() -> pa.Table:
    il76 = Track("15a3c2", "RFF7001").at("UUMU").taxi(3).hop("OSLK").taxi(3).park(120)
    il76.taxi(3).hop("HLLB").taxi(2).park(60).gap(60 * 24 * 60, move=False)
    il76.taxi(3).hop("OSLK", dark_below_agl_ft=5_000)  # dark approach, never seen again
    civil = Track("778012", "SYR441", start=T0 + 3_600).at("OSDI").taxi(3).hop("OSLK").taxi(3)
    emergency = Track("4b1805", "SWR18", start=T0 + 1_800).at("OSDI").taxi(3).hop("OSLK")
    rows = table([il76, civil, emergency])
    squawk = pc.if_else(
        pc.equal(rows.column("icao24"), "4b1805"), pa.scalar("7700"), rows.column("squawk")
    )
    return rows.set_column(rows.schema.get_field_index("squawk"), "squawk", squawk)


ROWS = _scenario().sort_by("time")


def _parts(n: int) -> list[pa.Table]:
    size = -(-ROWS.num_rows // n)
    return [ROWS.slice(i, size) for i in range(0, ROWS.num_rows, size)]


def _run(store: Store, parts: list[pa.Table]) -> list[Alert]:
    add_aircraft(store, "15a3c2", registration="RF-76999", type_code="IL76")
    pipeline, rules = Pipeline(store, CONFIG), AlertRules(CONFIG)
    sink = MemorySink()
    dispatcher = Dispatcher(store, [sink], sleep=lambda s: None)
    last = START
    for part in [*parts, None]:  # the last cycle has no new data: time passes, silence
        ids = []
        if part is not None:
            ids = [insert(store, part)]
            last = pc.max(part.column("time")).as_py()
        else:
            last += timedelta(minutes=15)
        pipeline.process(ids, last)
        ctx = RuleContext(now=last, since=START - timedelta(days=1), ingest_ids=ids)
        dispatcher.raise_alerts(rules.evaluate(store, ctx), now=last)
    pipeline.flush()
    pipeline.refresh_visits()
    return sink.alerts


@pytest.fixture(scope="module")
def watched() -> tuple[list[Alert], list[tuple[object, ...]]]:
    with Store.open(":memory:") as store:
        alerts = _run(store, _parts(30))
        visits = store.con.execute("SELECT * FROM visits ORDER BY arrival_time").fetchall()
        flights = store.con.execute("SELECT * FROM flights ORDER BY flight_id").fetchall()
    return alerts, visits + flights


def test_visits_equal_the_batch_run(watched: tuple[list[Alert], list[tuple[object, ...]]]) -> None:
    with Store.open(":memory:") as store:
        add_aircraft(store, "15a3c2", registration="RF-76999", type_code="IL76")
        insert(store, ROWS)
        FlightBuilder().build(store)
        VisitDetector(resolve_base("hmeimim", CONFIG), CONFIG).detect(store)
        batch = store.con.execute("SELECT * FROM visits ORDER BY arrival_time").fetchall()
        assert len(batch) == 2
        batch += store.con.execute("SELECT * FROM flights ORDER BY flight_id").fetchall()
    assert watched[1] == batch


def test_arrivals_departure_and_resumption_once_each(
    watched: tuple[list[Alert], list[tuple[object, ...]]],
) -> None:
    alerts = watched[0]
    kinds = [(a.kind, a.icao24) for a in alerts if a.kind != "watchlist"]
    assert kinds.count(("arrival", "15a3c2")) == 2
    assert kinds.count(("departure", "15a3c2")) == 1
    assert kinds.count(("resumption", "15a3c2")) == 1
    assert ("arrival", "778012") not in kinds  # civil traffic is not watched
    assert len({a.alert_id for a in alerts}) == len(alerts)
    arrivals = [a for a in alerts if a.kind == "arrival"]
    assert arrivals[0].evidence["inferred"] is False
    assert arrivals[1].evidence["inferred"] is True  # the dark approach
    resumption = next(a for a in alerts if a.kind == "resumption")
    assert resumption.time == arrivals[1].time.replace(microsecond=0)
    assert 60 <= resumption.evidence["after_days"] <= 62


def test_dark_arrival_waits_for_silence(
    watched: tuple[list[Alert], list[tuple[object, ...]]],
) -> None:
    alerts = watched[0]
    dark = next(a for a in alerts if a.kind == "arrival" and a.evidence["inferred"])
    # raised, with the resumption it makes, only in the last cycle (15 min of silence after the
    # last position): while the aircraft might still show up, neither is announced
    assert alerts[-2:] in ([dark, alerts[-1]], [alerts[-2], dark])
    assert {a.kind for a in alerts[-2:]} == {"arrival", "resumption"}


def test_watchlist_and_squawk(watched: tuple[list[Alert], list[tuple[object, ...]]]) -> None:
    alerts = watched[0]
    seen = [a for a in alerts if a.kind == "watchlist"]
    assert {a.icao24 for a in seen} == {"15a3c2"}
    days = sorted(a.time.date() for a in seen)
    assert len(days) == len(set(days)) >= 2  # once per day seen, not once per position
    squawks = [a for a in alerts if a.kind == "squawk"]
    assert [(a.icao24, a.evidence["squawk"]) for a in squawks] == [("4b1805", "7700")]
    assert squawks[0].evidence["source"].startswith("built-")


def test_replaying_the_same_cycles_raises_nothing_new() -> None:
    with Store.open(":memory:") as store:
        first = _run(store, _parts(5))
        sink = MemorySink()
        d = Dispatcher(store, [sink], sleep=lambda s: None)
        end = pc.max(ROWS.column("time")).as_py() + timedelta(hours=1)
        ctx = RuleContext(now=end, since=START - timedelta(days=1), ingest_ids=[1, 2, 3, 4, 5])
        assert d.raise_alerts(AlertRules(CONFIG).evaluate(store, ctx), now=end) == []
        assert first


def test_extended_flights_stay_incomplete_until_the_flush_makes_them_exact() -> None:
    with Store.open(":memory:") as store:
        add_aircraft(store, "15a3c2", registration="RF-76999", type_code="IL76")
        pipeline = Pipeline(store, CONFIG, near_every_s=0.0, catchup_s=0.0)
        for part in _parts(30):
            pipeline.process([insert(store, part)], pc.max(part.column("time")).as_py())
        assert pipeline.counts["extended"] > 0  # running flights were extended from windows
        stamp = store.con.execute("SELECT fingerprint FROM flights_build").fetchall()
        assert stamp == [("incomplete",)]  # their path_km may differ in the last bits
        pipeline.flush()
        assert store.con.execute("SELECT count(*) FROM bw_inexact").fetchall() == [(0,)]
        flights = store.con.execute("SELECT * FROM flights ORDER BY flight_id").fetchall()
    with Store.open(":memory:") as store:
        insert(store, ROWS)
        FlightBuilder().build(store)
        assert flights == store.con.execute("SELECT * FROM flights ORDER BY flight_id").fetchall()
