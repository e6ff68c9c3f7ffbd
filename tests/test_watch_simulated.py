"""The watcher on the simulator's scenario: the demo's history stored up to the morning of the
resumption, then the simulator's own ADS-B Exchange snapshot stream replayed live from a
feed server on 127.0.0.1. The watcher must raise exactly what the ground truth says happened
in that hour: the An-124's arrival at Hmeimim and, with it, the resumption after 183 days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import orjson
import pytest

from basewatch import Store
from basewatch.alerts import Alert, Dispatcher, MemorySink
from basewatch.config import parse_config
from basewatch.simulate import Scenario
from basewatch.sources.feeds import FeedSet, build_feeds
from basewatch.watch.watcher import Watcher
from tests.feedserver import ReplayServer, Reply

POINT = "/v2/point/35.4011/35.9487/250"
CONFIG = """
bases:
  hmeimim: {{icao: OSLK, radius_km: 15, watch: [state]}}
feeds:
  - {{kind: adsbx_v2, url: "{url}", point: hmeimim, radius_nm: 250, every_s: 30,
      point_path: "/v2/point/{{lat}}/{{lon}}/{{radius}}"}}
alerts:
  rules:
    - {{on: arrival, base: hmeimim}}
    - {{on: resumption, base: hmeimim, after_days: 30}}
  sinks: [{{kind: stdout}}]
"""


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, list[Alert]]]:
    out = tmp_path_factory.mktemp("sim")
    truth = Scenario(seed=7, civil_scale=0.2).write(out)
    resumed = _time(truth["expected"]["resumption"]["time"])
    start, end = resumed - timedelta(minutes=45), resumed + timedelta(minutes=20)
    lines = (out / "data" / "adsbx" / "point_oslk.jsonl").read_bytes().splitlines()
    live = [
        x
        for x in lines
        if start.timestamp() * 1000 <= orjson.loads(x)["now"] <= end.timestamp() * 1000
    ]
    server = ReplayServer().start()
    try:
        for line in live:
            server.script(POINT, Reply(line, headers={"content-type": "application/json"}))
        with Store.open(out / "watch.duckdb") as store:
            store.ingest([str(out / "data" / "globe_history")])
            store.con.execute("DELETE FROM positions WHERE time >= ?", [start])  # to be seen live
            config = parse_config(CONFIG.format(url=server.url), "test.yaml")
            client = httpx.Client()
            sink = MemorySink()
            watcher = Watcher(store, config, FeedSet(build_feeds(config, {}, client)),
                              Dispatcher(store, [sink], sleep=lambda s: None))  # fmt: skip
            for line in live:
                watcher.cycle(
                    datetime.fromtimestamp(orjson.loads(line)["now"] / 1000, start.tzinfo)
                )
            for minutes in (5, 10, 15):  # the feed falls silent: dark arrivals may settle
                watcher.cycle(end + timedelta(minutes=minutes))
            client.close()
        yield truth, sink.alerts
    finally:
        server.stop()


def test_exactly_the_arrival_and_the_resumption(watched: tuple[dict, list[Alert]]) -> None:
    truth, alerts = watched
    resumption = truth["expected"]["resumption"]
    assert [(a.kind, a.icao24) for a in alerts] == [
        ("arrival", resumption["icao24"]),
        ("resumption", resumption["icao24"]),
    ]
    arrival, resumed = alerts
    t = _time(resumption["time"])
    assert abs((arrival.time - t).total_seconds()) <= truth["tolerance"]["arrival_observed_s"]
    assert arrival.evidence["inferred"] is False
    assert abs(resumed.evidence["after_days"] - resumption["after_days"]) <= 1
    assert "An-124" in arrival.title or "A124" in arrival.title
