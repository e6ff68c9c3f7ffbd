"""Serving the dashboard: the access token (bearer header or the cookie ``/?token=T`` sets) and
its absence, the live view with and without a watcher (server-sent events), stores whose flights
are missing or older than their positions (said on the page, no crash), and ``basewatch serve``
refusing to expose the store beyond loopback without a token."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from basewatch import Store, load_config
from basewatch.alerts import Alert, Dispatcher, MemorySink
from basewatch.cli import app
from basewatch.errors import UsageError
from basewatch.report import ReportBuilder
from basewatch.sources.feeds import FeedSet
from basewatch.watch.watcher import CycleReport, Watcher
from basewatch.web import create_app
from basewatch.web.security import check_bind, is_loopback
from tests.report_scenario import build_store, write_traces

TOKEN = "s3cret-token_1234"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report scenario's store with its flights and classes built."""
    path = build_store(tmp_path_factory.mktemp("serve"))
    with Store.open(path) as store:
        ReportBuilder("hmeimim", load_config(None)).build(store)
    return path


@pytest.fixture(scope="module")
def guarded(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(db, load_config(None), token=TOKEN)) as client:
        yield client


@pytest.mark.parametrize("url", ["/", "/bases/hmeimim", "/api/bases", "/static/app.css"])
def test_token_needed(guarded: TestClient, url: str) -> None:
    response = guarded.get(url)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["x-frame-options"] == "DENY"
    if url.startswith("/api"):
        assert "Authorization: Bearer" in response.json()["error"]
    wrong = guarded.get(url, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401


@pytest.mark.parametrize("url", ["/", "/bases/hmeimim", "/api/bases", "/static/app.css"])
def test_bearer_token(guarded: TestClient, url: str) -> None:
    response = guarded.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200


def test_token_in_the_address_sets_a_cookie_once(guarded: TestClient) -> None:
    guarded.cookies.clear()
    wrong = guarded.get("/?token=guess", follow_redirects=False)
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    first = guarded.get(f"/bases/hmeimim?since=2025-10-24&token={TOKEN}", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/bases/hmeimim?since=2025-10-24"  # token dropped
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # the client keeps the cookie: later requests need nothing else
    assert guarded.get("/api/bases").status_code == 200
    assert guarded.get("/bases/hmeimim").status_code == 200
    guarded.cookies.clear()
    assert guarded.get("/api/bases").status_code == 401


def test_no_token_no_gate(db: Path) -> None:
    with TestClient(create_app(db, load_config(None))) as client:
        assert client.get("/api/bases").status_code == 200


def test_loopback_only_without_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    check_bind("127.0.0.1", None, insecure=False)
    check_bind("0.0.0.0", TOKEN, insecure=False)
    check_bind("0.0.0.0", None, insecure=True)
    with pytest.raises(Exception, match=r"--host 0\.0\.0\.0 makes the dashboard reachable"):
        check_bind("0.0.0.0", None, insecure=False)
    with pytest.raises(Exception, match="--token: use 8 to 200 letters"):
        check_bind("127.0.0.1", "a b;c", insecure=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--host", "0.0.0.0"), "--host 0.0.0.0 makes the dashboard reachable from other"),
        (("--host", "192.168.1.5", "--token", "short"), "--token: use 8 to 200 letters"),
        (("--watch",), "no feeds configured"),
    ],
)
def test_serve_refuses(db: Path, args: tuple[str, ...], message: str) -> None:
    result = CliRunner().invoke(app, ["--db", str(db), "serve", *args])
    assert isinstance(result.exception, UsageError)
    assert message in str(result.exception)


def test_serve_needs_a_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "none.duckdb"), "serve"])
    assert isinstance(result.exception, UsageError)
    assert "no store at" in str(result.exception)
    assert not (tmp_path / "none.duckdb").exists()


def test_allowed_hosts(db: Path) -> None:
    app = create_app(db, load_config(None), allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app) as client:  # DNS rebinding: a page elsewhere names its own host
        assert client.get("http://attacker.example/api/bases").status_code == 400
        assert client.get("http://127.0.0.1:8000/api/bases").status_code == 200


def events(client: TestClient, url: str) -> list[tuple[str, Any]]:
    """The server-sent events of ``url`` (which must end: ``limit`` or no watcher)."""
    out: list[tuple[str, Any]] = []
    with client.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                out.append((str(kind), json.loads(line[6:])))
    return out


def test_live_without_watcher(db: Path) -> None:
    with TestClient(create_app(db, load_config(None))) as client:
        doc = client.get("/api/live").json()
        assert doc["running"] is False and doc["alerts"] == []
        # one status event, then the stream ends (the page closes it on ``running: false``)
        assert events(client, "/api/live/events") == [
            ("status", {"running": False, "cycles": 0, "status": "no watcher runs in this server"})
        ]
        page = client.get("/live").text
        assert "No watcher runs in this server" in page


class FakeWatcher:
    """Stands in for ``Watcher``: one cycle raising one alert, then waits to be stopped."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.stopped = False

    def run(
        self,
        stop: threading.Event,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_cycle: Callable[[Any], None] | None = None,
        tick_s: float = 1.0,
    ) -> None:
        now = datetime(2025, 10, 24, 9, 31, tzinfo=UTC)
        alert = Alert(
            "arrival-0123456789abcdef", "arrival", now, "State arrival at Hmeimim",
            "Il-62M RA-86496 arrived from Damascus.", base="hmeimim", icao24="150dd4",
        )  # fmt: skip
        assert on_cycle is not None
        on_cycle(CycleReport(now, responses=1, positions=12, aircraft=1, alerts=[alert]))
        stop.wait()
        self.stopped = True

    def status(self) -> str:
        return "feeds 1/1 up · 12 positions/min · last alert 2025-10-24 09:31Z"


def test_live_streams_the_watchers_cycles_and_alerts(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "live.duckdb")  # the watcher's own, read-write
    watcher = FakeWatcher(store)
    app = create_app(tmp_path / "unused.duckdb", load_config(None), watcher=watcher)
    with TestClient(app) as client:
        got = events(client, "/api/live/events?limit=3")
        assert [kind for kind, _ in got] == ["status", "cycle", "alert"]
        assert got[0][1]["running"] is True
        assert got[1][1]["positions"] == 12 and got[1][1]["alerts"] == 1
        assert got[2][1]["title"] == "State arrival at Hmeimim"
        assert got[2][1]["icao24"] == "150dd4"
        assert client.get("/api/live").json()["running"] is True
        assert "The watcher runs in this server" in client.get("/live").text
    assert watcher.stopped  # the server's shutdown stopped the watcher
    assert not (tmp_path / "unused.duckdb").exists()  # the watcher's store was used
    store.close()


def test_store_without_flights_says_so(tmp_path: Path) -> None:
    """Positions only (nothing built yet), opened read-only: pages answer and say what to run."""
    db = tmp_path / "raw.duckdb"
    with Store.open(db) as store:
        store.ingest([str(p) for p in write_traces(tmp_path / "traces")], workers=1)
    with TestClient(create_app(db, load_config(None))) as client:
        for url in ("/", "/bases/hmeimim", "/search?q=RF"):
            page = client.get(url)
            assert page.status_code == 200
            assert "run `basewatch flights`" in page.text
        doc = client.get("/api/bases/hmeimim").json()
        assert doc["visits"] == [] and any("no flights table" in n for n in doc["notes"])
        found = client.get("/api/search?q=RF").json()
        assert (found["aircraft"], found["callsigns"]) == ([], [])
        report = client.get("/bases/hmeimim/report.json")
        assert report.status_code == 409 and "basewatch flights" in report.text


def test_store_with_stale_flights_says_so(tmp_path: Path) -> None:
    """Flights built, then more data ingested: the pages show the last build and say so."""
    traces = write_traces(tmp_path / "traces")
    db = tmp_path / "stale.duckdb"
    with Store.open(db) as store:
        store.ingest([str(p) for p in traces[:-1]], workers=1)
        ReportBuilder("hmeimim", load_config(None)).build(store)
        store.ingest([str(traces[-1])], workers=1)
    with TestClient(create_app(db, load_config(None))) as client:
        doc = client.get("/api/bases/hmeimim").json()
        assert any("built before the latest data" in n for n in doc["notes"])
        assert any("Aircraft classes were made before" in n for n in doc["notes"])
        assert doc["visits"]  # what the last build found is still shown


def test_serve_with_the_real_watcher(tmp_path: Path) -> None:
    """``serve --watch``: the real ``Watcher`` (no feeds here) owns the store read-write in a
    background thread; pages read it through their own cursors meanwhile, and the live view
    streams its cycles."""
    db = build_store(tmp_path)
    config = load_config(None)
    store = Store.open(db)
    dispatcher = Dispatcher(store, [MemorySink()])
    watcher = Watcher(store, config, FeedSet([]), dispatcher)
    app = create_app(db, config, watcher=watcher, tick_s=0.05)
    with TestClient(app) as client:
        got = events(client, "/api/live/events?limit=3")
        assert [kind for kind, _ in got] == ["status", "cycle", "cycle"]
        assert got[1][1]["status"].startswith("feeds 0/0 up")
        doc = client.get("/api/bases/hmeimim").json()  # flights the pipeline built at start
        assert len(doc["visits"]) == 8 and doc["notes"] == []
    assert client.app.state.hub.running is False  # type: ignore[attr-defined]
    store.close()
