"""The dashboard in a real browser: Debian's Chromium driven by Playwright against the real
server (uvicorn on 127.0.0.1, a free port), on the report scenario's store with a stand-in
watcher holding it as ``basewatch serve --watch`` does. The base page shows one marker per
visit, a click on a visit (marker, timeline mark or table row) opens its evidence, the timeline
shows the pause, no page logs an error, and each page's screenshot is written under
``tests/artifacts/``.

Needs ``pip install playwright`` (the Python package only) and ``apt-get install chromium``;
skipped when either is absent (no browser is ever downloaded).
"""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from basewatch import Store, load_config
from basewatch.report import ReportBuilder
from basewatch.web import create_app
from tests.report_scenario import IL76, build_store
from tests.test_web_serve import FakeWatcher

playwright = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )

import uvicorn  # noqa: E402  (after the skips: only needed when the browser runs)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DARK_FLIGHT = "15a3c2-20251027T050152Z"
PAGES = {
    "overview": "/",
    "base": "/bases/hmeimim",
    "aircraft": f"/aircraft/{IL76.icao24}",
    "flight": f"/flights/{DARK_FLIGHT}",
    "search": "/search?q=RF",
    "live": "/live",
    "api-docs": "/api/docs",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The server's address and the scenario's folder; stopped after the module."""
    root = tmp_path_factory.mktemp("browser")
    db = build_store(root)
    store = Store.open(db)
    ReportBuilder("hmeimim", load_config(None)).build(store)
    app = create_app(db, load_config(None), watcher=FakeWatcher(store))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound before the thread starts: no wait for the port
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1, lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", root
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, site: tuple[str, Path]) -> Iterator[tuple[Any, list[str]]]:
    """A page at the site's address, and the problems it logs (console errors, uncaught
    exceptions, failed requests and error responses)."""
    context = browser.new_context(base_url=site[0], viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    tab.on(
        "response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None
    )
    yield tab, problems
    context.close()


def shoot(tab: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"web_{name}.png"), full_page=True)


def test_base_page(page: tuple[Any, list[str]], site: tuple[str, Path]) -> None:
    """One marker per visit; the timeline's pause; a visit opened from the map, the timeline
    and the table shows its evidence."""
    tab, problems = page
    tab.goto(PAGES["base"])
    visits = tab.evaluate("JSON.parse(document.getElementById('page-data').textContent).visits")
    assert len(visits) == 8
    markers = tab.locator("#map path.visit-marker")
    markers.first.wait_for()
    assert markers.count() == len(visits)
    for v in visits:
        assert tab.locator(f"#map path.visit-{v['number']}").count() == 1
    tab.locator("#map path.arrival-track").nth(len(visits) - 1).wait_for(state="attached")

    # the shaded pause spans the gap from the last spring arrival (visit 3, Thu 24 Apr) to
    # the resumption (visit 4, Fri 24 Oct)
    pause = tab.locator("#timeline g.pause rect.pause")
    assert pause.count() == 1 and pause.is_visible()
    assert tab.locator("#timeline g.pause text").text_content() == "183-day pause"
    box = pause.bounding_box()
    before = tab.locator("#timeline circle.visit[data-visit='3']").bounding_box()
    after = tab.locator("#timeline circle.visit[data-visit='4']").bounding_box()
    assert abs(box["x"] - (before["x"] + before["width"] / 2)) < 2
    assert abs(box["x"] + box["width"] - (after["x"] + after["width"] / 2)) < 2

    number = next(v["number"] for v in visits if v["flight_id"] == DARK_FLIGHT)
    tab.locator(f"#map path.visit-{number}").click()
    panel = tab.locator("aside#evidence")
    panel.locator(".sources .sha256").wait_for()
    assert panel.locator("h2").inner_text() == f"Visit {number}: Il-76MD RF-78820"
    assert panel.locator(".reasoning").inner_text().startswith("Inferred: went dark")
    trace = site[1] / "traces" / f"trace_full_{IL76.icao24}.json"
    sha256 = hashlib.sha256(trace.read_bytes()).hexdigest()
    assert panel.locator(".sources .sha256").inner_text() == sha256
    assert tab.locator("#map path.opened-arrival").count() == 1
    assert tab.locator("#map path.dark-gap").count() == 1  # the unseen approach, dotted
    assert tab.locator(f"tr.visit.selected[data-visit='{number}']").count() == 1
    shoot(tab, "base_evidence")
    tab.locator("#timeline circle.visit[data-visit='4']").click()
    panel.locator("h2", has_text="Visit 4:").wait_for()
    tab.locator("tr.visit[data-visit='2'] td").first.click()
    panel.locator("h2", has_text="Visit 2:").wait_for()
    panel.locator(".sources .sha256").wait_for()
    assert problems == []


@pytest.mark.parametrize("name", list(PAGES))
def test_page_shows_without_errors(page: tuple[Any, list[str]], name: str) -> None:
    tab, problems = page
    tab.goto(PAGES[name])
    if name in ("overview", "base", "aircraft", "flight"):
        tab.locator("#map canvas").first.wait_for(state="attached")  # the basemap is drawn
    if name == "flight":
        tab.locator("#profile .uplot").wait_for()
    if name == "live":
        tab.locator("#live-events li.alert", has_text="State arrival at Hmeimim").wait_for()
    if name == "api-docs":
        tab.locator("#swagger-ui .opblock").first.wait_for()
    if name in ("base", "aircraft"):  # every track drawn
        drawn = "path.arrival-track" if name == "base" else "path.flight-track"
        count = 8 if name == "base" else 6
        tab.locator(f"#map {drawn}").nth(count - 1).wait_for(state="attached")
    shoot(tab, name)
    assert problems == []
