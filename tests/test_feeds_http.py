"""HTTP feeds against the replay server: ADSBx v2 APIs, aircraft.json, OpenSky with OAuth2.

Each response a feed hands over must store exactly what ingesting the same bytes as a file
stores; faults (5xx, timeouts, cut or non-JSON bodies, 429) never escape ``FeedSet.poll_due``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from basewatch import Store
from basewatch.config import Config, parse_config
from basewatch.errors import ConfigError, FeedError
from basewatch.sources.feeds import Feed, FeedSet, build_feeds
from basewatch.sources.feeds.adsbx import AdsbxFeed
from tests import feedserver
from tests.conftest import FIXTURES, positions, shared
from tests.feedserver import ReplayServer, Reply

replay_server = feedserver.replay_server

T0 = datetime(2025, 10, 24, 9, 40, tzinfo=UTC)
#: OSLK as airportsdata places it (35.4011 N 35.9487 E), radius 250 NM as an integer.
POINT = "/v2/point/35.4011/35.9487/250"
ADSBX = FIXTURES / "adsbx_v2" / "adsblol_point.json"
HISTORY = FIXTURES / "aircraft_json" / "history_42.json"
STATES = FIXTURES / "opensky_rest" / "states_all.json"


def config(feeds: str, watchlists: str = "") -> Config:
    """A config with the base hmeimim (OSLK) and the given ``feeds:`` items (YAML lines)."""
    text = "bases:\n  hmeimim: {icao: OSLK, radius_km: 15}\n" + watchlists + "feeds:\n" + feeds
    return parse_config(text, "<test>")


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


def one_feed(cfg: Config, client: httpx.Client, environ: dict[str, str] | None = None) -> Feed:
    [feed] = build_feeds(cfg, environ or {}, client=client)
    return feed


def stored(store: Store) -> list[dict[str, object]]:
    """Positions without the ingest id (which differs between two stores)."""
    return [{k: v for k, v in row.items() if k != "ingest_id"} for row in positions(store)]


def as_file(path: Path) -> list[dict[str, object]]:
    """What ingesting ``path`` as a file stores."""
    with Store.open(":memory:") as other:
        other.ingest([str(path)])
        return stored(other)


def poll(feeds: FeedSet | Feed, now: datetime) -> list[Any]:
    """(Blob, Source) pairs of one round of due polls."""
    fs = feeds if isinstance(feeds, FeedSet) else FeedSet([feeds])
    return [(blob, source) for _, blob, source in fs.poll_due(now)]


# --- ADSBx v2 APIs ------------------------------------------------------------------------------


def test_adsbx_point_stores_what_the_file_stores(
    replay_server: ReplayServer, client: httpx.Client, store: Store
) -> None:
    replay_server.script(POINT, Reply(ADSBX.read_bytes()))
    cfg = config(f"  - {{kind: adsbx_v2, url: '{replay_server.url}', point: hmeimim}}\n")
    feed = one_feed(cfg, client)
    [(blob, source)] = poll(feed, T0)
    assert blob.path == f"feed:adsbx_v2:127.0.0.1:{replay_server.port}{POINT}@2025-10-24T09:40:00Z"
    assert source.name == "adsbx_v2"
    [result] = store.ingest([(blob, source)])
    # six aircraft: five positions (ADS-B, MLAT, TIS-B, ground, lastPosition), one without
    assert (result.accepted, result.rejected) == (5, 0)
    assert stored(store) == as_file(ADSBX)
    row = store.con.execute("SELECT path, format FROM ingests").fetchall()
    assert row == [(blob.path, "adsbx_v2")]
    assert feed.status.up and feed.status.last_ok == T0 and feed.status.handed == 1
    assert feed.status.next_due == T0 + timedelta(seconds=10)  # the default interval


def test_adsbx_round_asks_point_mil_and_watchlist_hexes_one_per_second(
    replay_server: ReplayServer, client: httpx.Client
) -> None:
    empty = Reply.json({"ac": [], "msg": "No error", "now": 1729866000000, "total": 0})
    for path in (POINT, "/v2/mil", "/v2/hex/15063e,155e0a", "/v2/hex/4b8e3f"):
        replay_server.script(path, empty)
    lists = "watchlists:\n  ru: {addresses: [155E0A, 15063e, 4b8e3f, '~abcdef']}\n"
    cfg = config(
        f"  - {{kind: adsbx_v2, url: '{replay_server.url}', point: hmeimim, mil: true,"
        " watchlists: true, hex_batch: 2, every_s: 10}\n",
        lists,
    )
    feed = one_feed(cfg, client)
    times = [T0 + timedelta(seconds=s) for s in (0, 0.5, 1, 2, 3, 3.5, 9.9, 10)]
    polled = [now for now in times if poll(feed, now)]
    # one request per second; the next round starts every_s after the first one began
    assert polled == [times[0], times[2], times[3], times[4], times[7]]
    paths = [r.path for r in replay_server.requests]
    # sorted and batched addresses; a non-ICAO (~) address cannot be asked for
    assert paths == [POINT, "/v2/mil", "/v2/hex/15063e,155e0a", "/v2/hex/4b8e3f", POINT]


def test_two_feeds_on_one_host_share_its_pace(
    replay_server: ReplayServer, client: httpx.Client
) -> None:
    replay_server.script(POINT, Reply(ADSBX.read_bytes()))
    replay_server.script("/v2/mil", Reply(ADSBX.read_bytes()))
    url = replay_server.url
    cfg = config(
        f"  - {{kind: adsbx_v2, url: '{url}', point: hmeimim}}\n"
        f"  - {{kind: adsbx_v2, url: '{url}', mil: true}}\n"
    )
    feeds = FeedSet(build_feeds(cfg, {}, client=client))
    assert [f.name for f in feeds] == ["adsbx_v2:127.0.0.1:hmeimim", "adsbx_v2:127.0.0.1"]
    assert len(feeds.poll_due(T0)) == 1  # the second must wait a second for the host
    assert feeds.feeds[1].status.next_due == T0 + timedelta(seconds=1)
    assert feeds.next_due() == T0 + timedelta(seconds=1)
    assert [f.name for f, _, _ in feeds.poll_due(T0 + timedelta(seconds=1))] == [
        "adsbx_v2:127.0.0.1"
    ]


def test_api_key_is_sent_and_never_shown(
    replay_server: ReplayServer, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "k3y-0f-the-adsbx-plan"
    replay_server.script(POINT, Reply(status=403), Reply(ADSBX.read_bytes()))
    cfg = config(
        f"  - {{kind: adsbx_v2, url: '{replay_server.url}', point: hmeimim,"
        " api_key_env: ADSBX_KEY}\n"
    )
    feed = one_feed(cfg, client, {"ADSBX_KEY": secret})
    caplog.set_level(logging.DEBUG)
    assert poll(feed, T0) == []
    assert feed.status.last_error is not None and "HTTP 403" in feed.status.last_error
    # a refused key is not retried at once: the backoff cap (5 min) first
    assert feed.status.next_due == T0 + timedelta(seconds=300)
    [(blob, _)] = poll(feed, feed.status.next_due)
    assert [r.headers.get("api-auth") for r in replay_server.requests] == [secret, secret]
    shown = [blob.path, str(feed.status.as_json()), caplog.text]
    assert not any(secret in text for text in shown)
    with pytest.raises(ConfigError, match=r"\$ADSBX_KEY"):
        one_feed(cfg, client, {})


def test_identical_response_twice_is_stored_once(
    replay_server: ReplayServer, client: httpx.Client, store: Store
) -> None:
    replay_server.script(POINT, Reply(ADSBX.read_bytes()))  # the server's cache answers again
    cfg = config(f"  - {{kind: adsbx_v2, url: '{replay_server.url}', point: hmeimim}}\n")
    feed = one_feed(cfg, client)
    first = poll(feed, T0)
    second = poll(feed, T0 + timedelta(seconds=10))
    assert first[0][0].path != second[0][0].path
    results = store.ingest(first + second)
    assert [r.status for r in results] == ["ingested", "already ingested"]
    assert store.stats()["positions"] == 5 and store.stats()["ingests"] == 1


def test_recorded_responses_replayed_in_turn(
    replay_server: ReplayServer, client: httpx.Client, store: Store
) -> None:
    lines = (FIXTURES / "adsbx_v2" / "recording.jsonl").read_bytes().splitlines()
    replay_server.script(POINT, *(Reply(line) for line in lines))
    cfg = config(f"  - {{kind: adsbx_v2, url: '{replay_server.url}', point: hmeimim}}\n")
    feed = one_feed(cfg, client)
    work = [pair for s in (0, 10, 20) for pair in poll(feed, T0 + timedelta(seconds=s))]
    results = store.ingest(work)
    assert [r.status for r in results] == ["ingested"] * 3
    # 151d3a keeps one position (its seen_pos grows with now): stored once, as from the file
    assert stored(store) == as_file(FIXTURES / "adsbx_v2" / "recording.jsonl")


# --- faults -----------------------------------------------------------------------------------


def test_server_errors_back_off_with_jitter_then_recover(
    replay_server: ReplayServer, client: httpx.Client
) -> None:
    replay_server.script(POINT, Reply(status=500), Reply(status=503), Reply(ADSBX.read_bytes()))
    cfg = config(f"  - {{kind: adsbx_v2, url: '{replay_server.url}', point: hmeimim}}\n")
    feeds = FeedSet(build_feeds(cfg, {}, client=client))
    feed = feeds.feeds[0]
    assert feeds.poll_due(T0) == []
    s = feed.status
    assert (s.up, s.failures, s.down_since, s.errors) == (False, 1, T0, 1)
    # full jitter in [0, 1 s] after one failure, never sooner than the host gap of 1 s
    assert s.next_due == T0 + timedelta(seconds=1)
    t1 = s.next_due
    assert feeds.poll_due(t1) == []
    assert s.failures == 2 and t1 + timedelta(seconds=1) <= s.next_due <= t1 + timedelta(seconds=2)
    assert feeds.down_for(s.next_due) == {feed.name: (s.next_due - T0).total_seconds()}
    assert len(feeds.poll_due(s.next_due)) == 1
    assert (s.up, s.failures, s.down_since, s.errors) == (True, 0, None, 2)
    assert feeds.down_for(s.next_due) == {}


def test_a_timeout_is_a_retryable_failure(
    replay_server: ReplayServer, client: httpx.Client
) -> None:
    replay_server.script(POINT, Reply(ADSBX.read_bytes(), delay_s=2.0), Reply(ADSBX.read_bytes()))
    cfg = config(
        f"  - {{kind: adsbx_v2, url: '{replay_server.url}', point: hmeimim, timeout_s: 0.1}}\n"
    )
    feed = one_feed(cfg, client)
    with pytest.raises(FeedError, match="timed out") as caught:
        feed.poll(T0)
    assert caught.value.retryable
    assert feed.status.last_error is not None and "timed out" in feed.status.last_error
    assert len(poll(feed, feed.status.next_due)) == 1 and feed.status.up


def test_cut_and_non_json_bodies_are_malformed_and_skipped(
    replay_server: ReplayServer, client: httpx.Client, store: Store
) -> None:
    body = ADSBX.read_bytes()
    replay_server.script(
        POINT,
        Reply(body, cut_at=300),  # the connection drops mid-body
        Reply(body[:300]),  # a whole HTTP answer whose JSON is cut short
        Reply(b"<html>502 Bad Gateway</html>", headers={"content-type": "text/html"}),
        Reply.json({"hex": "155e0a", "lat": 35.0}),  # JSON, but no snapshot
        Reply(body),
    )
    cfg = config(f"  - {{kind: adsbx_v2, url: '{replay_server.url}', point: hmeimim}}\n")
    feeds = FeedSet(build_feeds(cfg, {}, client=client))
    now, handed = T0, []
    for _ in range(5):
        handed += feeds.poll_due(now)
        now = feeds.feeds[0].status.next_due
    assert feeds.feeds[0].status.malformed == 4
    assert len(handed) == 1  # only the good answer reached the store
    store.ingest([(blob, source) for _, blob, source in handed])
    assert store.stats()["rejected"] == 0 and store.stats()["positions"] == 5


def test_429_retry_after_moves_next_due_by_exactly_that(
    replay_server: ReplayServer, client: httpx.Client
) -> None:
    replay_server.script(POINT, Reply(status=429, headers={"Retry-After": "37"}))
    cfg = config(f"  - {{kind: adsbx_v2, url: '{replay_server.url}', point: hmeimim}}\n")
    feed = one_feed(cfg, client)
    with pytest.raises(FeedError) as caught:
        feed.poll(T0)
    assert caught.value.retry_after == 37.0
    assert feed.status.next_due == T0 + timedelta(seconds=37)
    assert not feed.due(T0 + timedelta(seconds=36.9)) and feed.due(T0 + timedelta(seconds=37))


def test_connection_refused_is_down_not_a_crash(client: httpx.Client) -> None:
    server = ReplayServer()  # bound, never started, then closed: nothing listens there
    url = server.url
    server.stop()
    cfg = config(f"  - {{kind: adsbx_v2, url: '{url}', point: hmeimim}}\n")
    feeds = FeedSet(build_feeds(cfg, {}, client=client))
    assert feeds.poll_due(T0) == []
    assert (
        feeds.feeds[0].status.last_error == "adsbx_v2:127.0.0.1:hmeimim point hmeimim: ConnectError"
    )
    assert feeds.down_for(T0 + timedelta(minutes=3)) == {"adsbx_v2:127.0.0.1:hmeimim": 180.0}


# --- aircraft.json ------------------------------------------------------------------------------


def test_aircraft_json_by_url(
    replay_server: ReplayServer, client: httpx.Client, store: Store
) -> None:
    replay_server.script("/data/aircraft.json", Reply(HISTORY.read_bytes()))
    cfg = config(f"  - {{kind: aircraft_json, url: '{replay_server.url}/data/aircraft.json'}}\n")
    feed = one_feed(cfg, client)
    work = poll(feed, T0)
    assert [s.name for _, s in work] == ["aircraft_json"]
    store.ingest(work)
    assert stored(store) == as_file(HISTORY) and stored(store)
    assert feed.status.next_due == T0 + timedelta(seconds=5)


def test_aircraft_json_file_reread_each_poll(tmp_path: Path, store: Store) -> None:
    target = tmp_path / "aircraft.json"
    cfg = config(f"  - {{kind: aircraft_json, path: '{target}', every_s: 1}}\n")
    [feed] = build_feeds(cfg, {})
    feeds = FeedSet([feed])
    assert feeds.poll_due(T0) == []  # not there yet (readsb not started): down, retried
    assert "cannot read" in (feed.status.last_error or "")
    doc = orjson.loads(HISTORY.read_bytes())
    target.write_bytes(orjson.dumps(doc))
    first = poll(feeds, feed.status.next_due)
    assert first[0][0].path.startswith(f"feed:aircraft_json:{target}@")
    unchanged = poll(feeds, feed.status.next_due)
    target.write_bytes(orjson.dumps(doc)[:200])  # caught half-written
    assert poll(feeds, feed.status.next_due) == [] and feed.status.malformed == 1
    doc["now"] += 1.0
    target.write_bytes(orjson.dumps(doc))
    moved = poll(feeds, feed.status.next_due)
    results = store.ingest(first + unchanged + moved)
    assert [r.status for r in results] == ["ingested", "already ingested", "ingested"]
    feeds.close()


def test_real_aircraft_json_capture_from_a_file(store: Store) -> None:
    capture = shared("aircraft-json/garden-radar_aircraft.json")
    cfg = config(f"  - {{kind: aircraft_json, path: '{capture}'}}\n")
    [feed] = build_feeds(cfg, {})
    store.ingest(poll(feed, T0))
    rows = stored(store)
    with_position = [a for a in orjson.loads(capture.read_bytes())["aircraft"] if "lat" in a]
    assert len(rows) == len(with_position) and rows == as_file(capture)
    feed.close()


# --- OpenSky ------------------------------------------------------------------------------------


def login_mock(tokens: list[dict[str, Any]]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """The OAuth2 token endpoint (another company's server) as a MockTransport."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=tokens[min(len(seen), len(tokens)) - 1])

    return httpx.MockTransport(handle), seen


def test_opensky_anonymous_bbox_default_interval_and_ingest(
    replay_server: ReplayServer, client: httpx.Client, store: Store
) -> None:
    replay_server.script("/api/states/all", Reply(STATES.read_bytes()))
    cfg = config(
        f"  - {{kind: opensky, url: '{replay_server.url}/api', bbox: [34.5, 35.0, 36.5, 37.0]}}\n"
    )
    feed = one_feed(cfg, client)
    [(blob, source)] = poll(feed, T0)
    assert source.name == "opensky_rest"
    [request] = replay_server.requests
    assert request.query == "lamin=34.5000&lomin=35.0000&lamax=36.5000&lomax=37.0000"
    assert "authorization" not in request.headers
    assert blob.path.startswith(f"feed:opensky:127.0.0.1:{replay_server.port}/api/states/all?lamin")
    # 4 square degrees cost 1 credit; 400 anonymous credits a day → one request per 216 s
    assert feed.status.next_due == T0 + timedelta(seconds=216)
    store.ingest([(blob, source)])
    assert stored(store) == as_file(STATES) and stored(store)


def test_opensky_point_box_costs_more_credits_when_wider(
    replay_server: ReplayServer, client: httpx.Client
) -> None:
    replay_server.script("/api/states/all", Reply(STATES.read_bytes()))
    cfg = config(
        f"  - {{kind: opensky, url: '{replay_server.url}/api', point: hmeimim, radius_nm: 250}}\n"
    )
    feed = one_feed(cfg, client)
    poll(feed, T0)
    query = dict(p.split("=") for p in replay_server.requests[0].query.split("&"))
    lamin, lamax = float(query["lamin"]), float(query["lamax"])
    assert lamax - lamin == pytest.approx(2 * 250 / 60, abs=1e-3)  # 250 NM each way
    # ±4.17° by ±5.11°: 85 square degrees, 2 credits → 432 s anonymous
    assert feed.status.next_due == T0 + timedelta(seconds=432)


def test_opensky_token_fetched_once_reused_then_renewed(
    replay_server: ReplayServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cret-of-the-client"
    tokens = [
        {"access_token": "tok-1", "expires_in": 1800, "token_type": "Bearer"},
        {"access_token": "tok-2", "expires_in": 1800, "token_type": "Bearer"},
        {"access_token": "tok-3", "expires_in": 1800, "token_type": "Bearer"},
    ]
    mock, logins = login_mock(tokens)
    replay_server.script(
        "/api/states/all", Reply(STATES.read_bytes()), Reply(STATES.read_bytes()),
        Reply(status=401), Reply(STATES.read_bytes()),
    )  # fmt: skip
    cfg = config(
        f"  - {{kind: opensky, url: '{replay_server.url}/api', bbox: [34.5, 35.0, 36.5, 37.0],"
        " client_id: basewatch-test, every_s: 30}\n"
    )
    mounts = {"all://auth.opensky-network.org": mock}
    caplog.set_level(logging.DEBUG)
    with httpx.Client(mounts=mounts) as client:
        [feed] = build_feeds(cfg, {"BASEWATCH_OPENSKY_SECRET": secret}, client=client)
        for s in (0, 30):
            assert len(poll(feed, T0 + timedelta(seconds=s))) == 1
        assert len(logins) == 1  # fetched once, reused
        form = dict(p.split("=") for p in logins[0].content.decode().split("&"))
        assert form == {
            "grant_type": "client_credentials", "client_id": "basewatch-test",
            "client_secret": secret,
        }  # fmt: skip
        assert len(poll(feed, T0 + timedelta(seconds=60))) == 1  # 401, new token, again
        assert len(logins) == 2
        # tok-2 (fetched at +60 s, valid 1800 s) is renewed 60 s before it expires: at +1800 s
        assert len(poll(feed, T0 + timedelta(seconds=1799))) == 1
        assert len(logins) == 2
        assert len(poll(feed, T0 + timedelta(seconds=1830))) == 1
        assert len(logins) == 3
    auth = [r.headers["authorization"] for r in replay_server.requests]
    assert auth == ["Bearer tok-1"] * 3 + ["Bearer tok-2"] * 2 + ["Bearer tok-3"]
    assert secret not in caplog.text and feed.status.next_due == T0 + timedelta(seconds=1860)


def test_opensky_refused_login_is_a_clear_error_without_the_secret(
    replay_server: ReplayServer,
) -> None:
    secret = "wr0ng-secret"
    refused = httpx.MockTransport(lambda r: httpx.Response(401, json={"error": "invalid_client"}))
    cfg = config(
        f"  - {{kind: opensky, url: '{replay_server.url}/api', client_id: me,"
        " client_secret_env: MY_OPENSKY}\n"
    )
    with httpx.Client(mounts={"all://auth.opensky-network.org": refused}) as client:
        [feed] = build_feeds(cfg, {"MY_OPENSKY": secret}, client=client)
        with pytest.raises(FeedError, match=r"\$MY_OPENSKY") as caught:
            feed.poll(T0)
    assert not caught.value.retryable and secret not in str(caught.value)
    assert replay_server.requests == []  # no token, no API call


def test_opensky_429_waits_what_its_own_header_says(
    replay_server: ReplayServer, client: httpx.Client
) -> None:
    replay_server.script(
        "/api/states/all", Reply(status=429, headers={"X-Rate-Limit-Retry-After-Seconds": "3600"})
    )
    cfg = config(f"  - {{kind: opensky, url: '{replay_server.url}/api'}}\n")
    feed = one_feed(cfg, client)
    assert poll(feed, T0) == []
    assert feed.status.next_due == T0 + timedelta(hours=1)


# --- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("{kind: adsbx_v2, url: 'https://api.adsb.lol', point: hmeimim, watchlist: true}",
         "unknown option 'watchlist'"),
        ("{kind: adsbx_v2, point: hmeimim}", "give url"),
        ("{kind: adsbx_v2, url: 'https://api.adsb.lol'}", "nothing to ask"),
        ("{kind: adsbx_v2, url: 'https://api.adsb.lol', point: nowhere}", "'nowhere' is neither"),
        ("{kind: adsbx_v2, url: 'https://x.org', mil: true, watchlists: [nope]}", "nope"),
        ("{kind: adsbx_v2, url: 'https://x.org', hexes: [4ca87]}", "6 hex digits: 4ca87"),
        ("{kind: aircraft_json}", "give url"),
        ("{kind: opensky, bbox: [36, 35, 34, 37]}", "bbox"),
        ("{kind: opensky, client_id: me}", r"\$BASEWATCH_OPENSKY_SECRET"),
        ("{kind: sbs, url: 'http://127.0.0.1:30003'}", "tcp://"),
    ],
)  # fmt: skip
def test_config_errors_name_the_entry(item: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        build_feeds(config(f"  - {item}\n"), {})
    assert "<test>: feeds[0]" in str(caught.value)


def test_known_api_dialects() -> None:
    cfg = config(
        "  - {kind: adsbx_v2, url: 'https://opendata.adsb.fi/api', point: hmeimim,"
        " radius_nm: 400, hexes: [4CA87C]}\n"
        "  - {kind: adsbx_v2, url: 'https://gateway.adsbexchange.com/api/aircraft', point: OSLK,"
        " hexes: [4ca87c], api_key_env: K}\n"
    )
    fi, x = build_feeds(cfg, {"K": "key"}, client=httpx.Client())
    assert isinstance(fi, AdsbxFeed) and isinstance(x, AdsbxFeed)
    assert [str(u) for _, u in fi.urls] == [
        "https://opendata.adsb.fi/api/v2/lat/35.4011/lon/35.9487/dist/250",  # clamped to 250
        "https://opendata.adsb.fi/api/v2/icao/4ca87c",
    ]
    assert [str(u) for _, u in x.urls] == [
        "https://gateway.adsbexchange.com/api/aircraft/v2/lat/35.4011/lon/35.9487/dist/250",
        "https://gateway.adsbexchange.com/api/aircraft/v2/hex/4ca87c,",  # a list, not one object
    ]
    assert x.headers == {"api-auth": "key"}
    FeedSet([fi, x]).close()
