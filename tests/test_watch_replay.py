"""``watch`` end to end against a replay feed server on 127.0.0.1: scripted ADS-B Exchange v2
snapshots of a scenario (a Russian state Il-76 back at Hmeimim after 40 days, going dark on the
approach; a civil aircraft squawking 7700 nearby), with faults injected (500, truncated JSON,
429 + Retry-After, a repeated response) and the watcher killed and restarted half-way: the
expected alerts arrive in order, once each, and no position is stored twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from basewatch import FlightBuilder, Store
from basewatch.alerts import Alert, Dispatcher, JsonlSink
from basewatch.config import parse_config
from basewatch.sources.feeds import FeedSet, build_feeds
from basewatch.watch.watcher import Watcher
from tests.feedserver import ReplayServer, Reply
from tests.test_identify_classify import add_aircraft
from tests.track_store import insert, table
from tests.tracks import Track

STEP = timedelta(seconds=120)
POINT = "/v2/point/35.4011/35.9487/250"


def _scenario() -> tuple[pa.Table, pa.Table]:
    """(history stored before the watch starts, what the feed will show live)."""
    il76 = Track("15a3c2", "RFF7001").at("UUMU").taxi(3).hop("OSLK").taxi(3).park(120)
    il76.taxi(3).hop("HLLB").taxi(2).park(30).gap(40 * 24 * 60, move=False)
    live_from = il76.t
    il76.taxi(3).hop("OSLK", dark_below_agl_ft=5_000)
    emergency = Track("4b1805", "SWR18", start=live_from + 1_800).at("OSDI").taxi(3).hop("OSLK")
    rows = table([il76, emergency]).sort_by("time")
    live = pc.greater_equal(
        rows.column("time"),
        pa.scalar(live_from * 1e6, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
    )
    squawk = pc.if_else(pc.equal(rows.column("icao24"), "4b1805"), "7700", rows.column("squawk"))
    rows = rows.set_column(rows.schema.get_field_index("squawk"), "squawk", squawk)
    return rows.filter(pc.invert(live)), rows.filter(live)


HISTORY, LIVE = _scenario()


def _snapshot(live: pa.Table, now: datetime) -> dict[str, object]:
    """What an ADS-B Exchange v2 point query answers at ``now``: each aircraft's latest
    position of the last minute, with ``seen_pos``."""
    window = live.filter(
        pc.and_(
            pc.less_equal(live.column("time"), pa.scalar(now)),
            pc.greater(live.column("time"), pa.scalar(now - STEP)),
        )
    )
    latest: dict[str, dict[str, object]] = {}
    for r in window.to_pylist():
        latest[r["icao24"]] = r
    ac = []
    for icao, r in sorted(latest.items()):
        ac.append({
            "hex": icao, "type": "adsb_icao", "flight": f"{r['callsign']:<8}",
            "alt_baro": "ground" if r["on_ground"] else r["alt_baro_ft"],
            "gs": r["gs_kt"], "track": r["track_deg"], "baro_rate": r["vrate_fpm"],
            "squawk": r["squawk"], "lat": r["lat"], "lon": r["lon"],
            "seen_pos": round((now - r["time"]).total_seconds(), 3), "seen": 0.1,
        })  # fmt: skip
    ms = int(now.timestamp() * 1000)
    return {"ac": ac, "msg": "No error", "now": ms, "total": len(ac), "ctime": ms, "ptime": 2}


def _times() -> list[datetime]:
    first = pc.min(LIVE.column("time")).as_py().replace(microsecond=0) + STEP
    last = pc.max(LIVE.column("time")).as_py() + timedelta(minutes=20)  # then silence
    n = int((last - first) / STEP) + 1
    return [first + i * STEP for i in range(n)]


TIMES = _times()
FAULTS = {
    10: Reply(b"upstream broke", status=500),
    20: Reply.json({"ac": []}, cut_at=5),  # truncated JSON
    30: Reply(b"", status=429, headers={"Retry-After": "240"}),
}


def _config(url: str, tmp: Path) -> str:
    return f"""
bases:
  hmeimim: {{icao: OSLK, radius_km: 15, watch: [state]}}
watchlists:
  ru-transports: {{types: [IL76, A124], countries: [RU]}}
feeds:
  - {{kind: adsbx_v2, url: "{url}", point: hmeimim, radius_nm: 250, every_s: 120,
      point_path: "/v2/point/{{lat}}/{{lon}}/{{radius}}"}}
alerts:
  rules:
    - {{on: arrival, base: hmeimim}}
    - {{on: departure, base: hmeimim}}
    - {{on: resumption, base: hmeimim, after_days: 30}}
    - {{on: watchlist, watch: ru-transports}}
    - {{on: squawk, base: hmeimim, radius_km: 100}}
  sinks:
    - {{kind: jsonl, path: "{tmp / "alerts.jsonl"}"}}
"""


def _script(server: ReplayServer) -> int:
    """Script the point query's replies for every cycle; returns the snapshots served."""
    served = 0
    for i, now in enumerate(TIMES):
        fault = FAULTS.get(i)
        if fault is not None:
            server.script(POINT, fault)
            continue
        if i in (31,):  # inside the 429's Retry-After: the feed is not polled then
            continue
        reply = Reply.json(_snapshot(LIVE, now))
        server.script(POINT, reply)
        served += 1
        if i == 40:
            server.script(POINT, reply)  # the same response twice (a cached upstream)
    return served


def _watch(store: Store, config_text: str, times: list[datetime]) -> None:
    config = parse_config(config_text, "test.yaml")
    client = httpx.Client()
    feeds = FeedSet(build_feeds(config, {}, client))
    sinks = [JsonlSink(Path(str(config.alerts.sinks[0].options["path"])))]
    watcher = Watcher(store, config, feeds, Dispatcher(store, sinks, sleep=lambda s: None))
    for now in times:
        watcher.cycle(now)
        if now == times[40 % len(times)]:
            watcher.cycle(now + timedelta(seconds=1))  # polls again: the repeated response
    watcher.pipeline.flush()  # as ``run`` does when it stops
    feeds.close()
    client.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Alert], int]]:
    server = ReplayServer().start()
    try:
        yield _run(server, tmp_path_factory.mktemp("watch"))
    finally:
        server.stop()


def _run(replay_server: ReplayServer, tmp_path: Path) -> tuple[Path, list[Alert], int]:
    _script(replay_server)
    text = _config(replay_server.url, tmp_path)
    db = tmp_path / "watch.duckdb"
    with Store.open(db) as store:
        add_aircraft(store, "15a3c2", registration="RF-76999", type_code="IL76")
        insert(store, HISTORY)
        half = len(TIMES) // 2
        _watch(store, text, TIMES[:half])
    with Store.open(db) as store:  # killed and restarted half-way
        _watch(store, text, TIMES[half:])
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    return db, [_alert(json.loads(x)) for x in lines], len(replay_server.hits(POINT))


def _alert(doc: dict[str, object]) -> Alert:
    from basewatch.alerts.dispatch import _alert as parse

    return parse(doc)


def test_the_expected_alerts_in_order_once_each(run: tuple[Path, list[Alert], int]) -> None:
    _, alerts, _ = run
    kinds = [(a.kind, a.icao24) for a in alerts]
    assert kinds == [
        ("watchlist", "15a3c2"),
        ("squawk", "4b1805"),
        ("arrival", "15a3c2"),
        ("resumption", "15a3c2"),
    ]
    arrival = alerts[2]
    assert arrival.evidence["inferred"] is True  # the approach went dark
    assert 40 <= alerts[3].evidence["after_days"] <= 42
    assert len({a.alert_id for a in alerts}) == 4


def test_faults_were_served_and_nothing_was_stored_twice(
    run: tuple[Path, list[Alert], int],
) -> None:
    db, _, hits = run
    assert hits >= len(TIMES) - 1  # every cycle polled, but the one inside Retry-After
    with Store.open(db, read_only=True) as store:
        dupes = store.con.execute(
            "SELECT count(*) FROM (SELECT icao24, time, count(*) AS n FROM positions "
            "GROUP BY ALL HAVING n > 1)"
        ).fetchall()[0][0]
        statuses = store.con.execute(
            "SELECT count(*) FILTER (WHERE path LIKE 'feed:%'), count(DISTINCT sha256) FROM ingests"
        ).fetchall()[0]
    assert dupes == 0
    assert statuses[0] == statuses[1] - 1  # one ingest per distinct response (+ the history)


def test_the_live_positions_reached_the_store(run: tuple[Path, list[Alert], int]) -> None:
    db, _, _ = run
    with Store.open(db, read_only=True) as store:
        live = store.con.execute(
            "SELECT count(*) FROM positions p JOIN ingests i USING (ingest_id) "
            "WHERE i.path LIKE 'feed:adsbx_v2:%'"
        ).fetchall()[0][0]
    # one position per aircraft and snapshot, less the faulty and skipped polls
    assert live > 0.8 * sum(len(_snapshot(LIVE, t)["ac"]) for t in TIMES)  # type: ignore[arg-type]


def test_the_watched_flights_equal_a_batch_build(run: tuple[Path, list[Alert], int]) -> None:
    db, _, _ = run
    with Store.open(db) as store:
        query = "SELECT * FROM flights ORDER BY flight_id"
        watched = store.con.execute(query).fetchall()
        FlightBuilder().build(store)
        assert watched == store.con.execute(query).fetchall()
        assert len(watched) >= 3
