"""The web dashboard through an in-process client, on the report scenario's store (readsb traces
of Russian state flights to Hmeimim ingested like user data, flights and classes built as
``basewatch report`` leaves them, then served read-only): every page and its JSON with the
facts the report states, 404s, 400s with their message, the access token, security headers,
no stack trace on a 500, no path traversal, report downloads equal to ``render``'s bytes."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from basewatch import Store, load_config
from basewatch.report import Report, ReportBuilder, render
from basewatch.web import create_app
from basewatch.web.downloads import REPORT_CSP
from basewatch.web.security import CSP
from tests.report_scenario import AN124, IL62, IL76, build_store

WEEK = {"since": "2025-10-24", "until": "2025-10-29"}
SINCE = datetime(2025, 10, 24, tzinfo=UTC)
UNTIL = datetime(2025, 10, 29, 23, 59, 59, tzinfo=UTC)
DARK_FLIGHT = "15a3c2-20251027T050152Z"  # the Il-76's Benina → Hmeimim flight, dark on approach
SPOOFED_FLIGHT = "15008a-20251026T110215Z"  # the An-124's Sunday arrival, one position spoofed


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report, dict[str, bytes]]:
    """The store (flights and classes built by the report, as the CLI leaves them), the week's
    report, and the files ``render`` writes for it."""
    root = tmp_path_factory.mktemp("web")
    db = build_store(root)
    with Store.open(db) as store:
        report = ReportBuilder("hmeimim", load_config(None), SINCE, UNTIL).build(store)
        newest = store.con.execute("SELECT max(time) FROM positions").fetchall()[0][0]
    (root / "newest.txt").write_text(newest.strftime("%Y-%m-%dT%H:%M:%SZ"))
    out = root / "rendered"
    files = {}
    for fmt in ("html", "json", "md"):
        for path in render(report, fmt, out / f"report_hmeimim.{fmt}"):
            files[path.name] = path.read_bytes()
    return db, report, files


@pytest.fixture(scope="module")
def client(scenario: tuple[Path, Report, dict[str, bytes]]) -> Iterator[TestClient]:
    app = create_app(scenario[0], load_config(None))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def api(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


PAGES = [
    ("/", "/api/bases"),
    ("/bases/hmeimim", "/api/bases/hmeimim"),
    ("/bases/hmeimim?since=2025-10-24&until=2025-10-29",
     "/api/bases/hmeimim?since=2025-10-24&until=2025-10-29"),
    ("/bases/OSDI", "/api/bases/OSDI"),
    (f"/aircraft/{IL76.icao24}", f"/api/aircraft/{IL76.icao24}"),
    (f"/flights/{DARK_FLIGHT}", f"/api/flights/{DARK_FLIGHT}"),
    ("/search?q=RF-78820", "/api/search?q=RF-78820"),
    ("/live", "/api/live"),
]  # fmt: skip


@pytest.mark.parametrize(("page", "twin"), PAGES)
def test_every_page_and_its_json_twin(client: TestClient, page: str, twin: str) -> None:
    shown_page = client.get(page)
    assert shown_page.status_code == 200, shown_page.text
    assert shown_page.headers["content-type"].startswith("text/html")
    doc = api(client, twin)
    embedded = re.search(
        r'<script type="application/json" id="page-data">(.*?)</script>', shown_page.text, re.S
    )
    assert embedded is not None
    # the page's script reads the very document of its twin (as_of of /api/live aside)
    shown = json.loads(embedded.group(1))
    assert {k: v for k, v in shown.items() if k != "as_of"} == {
        k: v for k, v in doc.items() if k != "as_of"
    }
    assert "<script>" not in shown_page.text  # scripts come from files only (CSP)
    assert " style=" not in shown_page.text  # nor inline style


def test_openapi_and_docs(client: TestClient) -> None:
    spec = api(client, "/api/openapi.json")
    paths = set(spec["paths"])
    assert {"/api/bases", "/api/bases/{name}", "/api/flights/{flight_id}/track"} <= paths
    assert not any(p.startswith("/bases") or p == "/" for p in paths)  # pages are not API
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()


def test_overview_reports_the_resumption(
    client: TestClient, scenario: tuple[Path, Report, dict[str, bytes]]
) -> None:
    doc = api(client, "/api/bases")
    assert doc["as_of"] == (scenario[0].parent / "newest.txt").read_text()  # the last position
    hmeimim = next(b for b in doc["bases"] if b["name"] == "hmeimim")
    # 3 spring arrivals (27 Mar, 10 Apr, 24 Apr) and 5 in the resumption week
    assert hmeimim["visits"] == {
        "total": 8,
        "last_7_days": 5,
        "last_30_days": 5,
        "last_365_days": 8,
    }
    assert {m["month"]: m["visits"] for m in hmeimim["months"] if m["visits"]} == {
        "2025-03": 1,
        "2025-04": 2,
        "2025-10": 5,
    }
    assert hmeimim["last_arrival"]["icao24"] == AN124.icao24  # Wed 29 Oct
    assert hmeimim["last_arrival"]["time"].startswith("2025-10-29T07:")
    kinds = {b["kind"]: b["text"] for b in hmeimim["badges"]}
    assert kinds["resumption"] == "resumed Fri 24 Oct after 183 days"
    assert [b["name"] for b in doc["bases"]] == [b.name for b in load_config(None).bases]
    page = client.get("/").text
    assert "resumed Fri 24 Oct after 183 days" in page


def test_base_json_states_what_the_report_states(
    client: TestClient, scenario: tuple[Path, Report, dict[str, bytes]]
) -> None:
    report = scenario[1]
    doc = api(client, "/api/bases/hmeimim?since=2025-10-24&until=2025-10-29")
    assert doc["headline"] == report.headline
    assert doc["summary"] == list(report.summary)
    assert [e["sentence"] for e in doc["events"]] == [e.sentence for e in report.events]
    assert [v["flight_id"] for v in doc["visits"]] == [v.record["flight_id"] for v in report.visits]
    assert [v["reasoning"] for v in doc["visits"]] == [v.reasoning for v in report.visits]
    assert [v["icao24"] for v in doc["visits"]] == [
        IL62.icao24, AN124.icao24, AN124.icao24, IL76.icao24, AN124.icao24,
    ]  # fmt: skip
    dark = next(v for v in doc["visits"] if v["flight_id"] == DARK_FLIGHT)
    assert dark["inferred"] and dark["destination"] == "UUMU"
    everything = api(client, "/api/bases/hmeimim")
    assert len(everything["visits"]) == 8
    assert [p["days"] for p in everything["activity"]["pauses"]] == [183.0]


def test_visit_evidence_equals_the_report_evidence(
    client: TestClient, scenario: tuple[Path, Report, dict[str, bytes]]
) -> None:
    """Positions used, sources and set-aside counts of every visit of the week, read with
    constant filters, equal what the report's set-based query found."""
    report = scenario[1]
    doc = api(client, "/api/bases/hmeimim?since=2025-10-24&until=2025-10-29")
    for item, facts in zip(doc["visits"], report.visits, strict=True):
        ev = api(client, item["evidence_url"])
        used = facts.positions
        assert used is not None
        assert ev["positions"] == {
            "count": used.count,
            "first_seen": used.first_seen.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "last_seen": used.last_seen.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "closest_km": used.closest_km,
            "by_source": used.by_source,
        }
        assert ev["set_aside"] == used.set_aside
        assert [(s["path"], s["sha256"], s["positions"]) for s in ev["sources"]] == [
            (s.path, s.sha256, s.positions) for s in facts.sources
        ]
        assert ev["reasoning"] == facts.reasoning
        assert len(ev["tracks"]["arrival"]["lat"]) == min(used.count, 1500)
    spoofed = api(client, f"/api/bases/hmeimim/visits/{SPOOFED_FLIGHT}")
    assert spoofed["set_aside"] == {"impossible jump (> 1000 kt out and back)": 1}
    dark = api(client, f"/api/bases/hmeimim/visits/{DARK_FLIGHT}")
    assert dark["dark_gap"][:2] == [dark["evidence"]["seen_lat"], dark["evidence"]["seen_lon"]]
    assert dark["tracks"]["departure"]["flight_id"] == dark["departure_flight_id"]


def test_sources_name_the_files_by_sha256(
    client: TestClient, scenario: tuple[Path, Report, dict[str, bytes]]
) -> None:
    ev = api(client, f"/api/bases/hmeimim/visits/{DARK_FLIGHT}")
    [source] = ev["sources"]
    on_disk = scenario[0].parent / source["path"]
    assert source["sha256"] == hashlib.sha256(on_disk.read_bytes()).hexdigest()


def test_base_page_holds_timeline_table_and_downloads(client: TestClient) -> None:
    text = client.get("/bases/hmeimim").text
    assert '<svg id="timeline"' in text and '<g class="pause">' in text
    assert "183-day pause" in text
    assert text.count('<tr class="visit"') == 8
    for fmt in ("html", "json", "md"):
        assert f'href="/bases/hmeimim/report.{fmt}"' in text


def test_aircraft(client: TestClient) -> None:
    doc = api(client, f"/api/aircraft/{IL76.icao24}")
    who = doc["identity"]
    assert (who["registration"], who["type"], who["verdict"]) == ("RF-78820", "IL76", "military")
    assert any(r["rule"] == "callsign" and "RFF7820" in r["detail"] for r in who["reasons"])
    # three visits to Hmeimim, each there and away again: six flights
    assert doc["flights_total"] == 6 and len(doc["flights"]) == 6
    assert {"date": "2025-10-27", "route": "HLLB → OSLK → UUMU"} in doc["routes_by_day"]
    page = client.get(f"/aircraft/{IL76.icao24}").text
    assert "Why basewatch classifies it so" in page and "RF-78820" in page


def test_flight_and_track(client: TestClient) -> None:
    doc = api(client, f"/api/flights/{DARK_FLIGHT}")
    assert doc["takeoff"]["airport"] == "HLLB" and not doc["takeoff"]["inferred"]
    assert doc["landing"]["airport"] == "OSLK" and doc["landing"]["inferred"]
    assert doc["landing"]["name"] == "Hmeimim (OSLK)"  # the config's name for the field
    assert doc["next_flight"] == "15a3c2-20251027T090509Z"
    track = api(client, doc["track_url"])
    n = doc["n_positions"]
    assert track["positions"] == track["points"] == len(track["t"]) == len(track["alt_ft"]) == n
    assert track["t"] == sorted(track["t"])
    thin = api(client, f"{doc['track_url']}?max_points=10")
    assert thin["points"] == 10 and thin["positions"] == n
    assert (thin["t"][0], thin["t"][-1]) == (track["t"][0], track["t"][-1])
    spoofed = api(client, f"/api/flights/{SPOOFED_FLIGHT}/track")
    [aside] = spoofed["set_aside"]
    assert aside["reason"].startswith("impossible jump")
    assert (aside["lat"], aside["lon"]) not in set(zip(spoofed["lat"], spoofed["lon"], strict=True))


@pytest.mark.parametrize(
    ("q", "aircraft", "callsigns"),
    [
        ("15a3", [IL76.icao24], []),
        ("RF-78820", [IL76.icao24], []),
        ("rf78820", [IL76.icao24], []),
        ("RFF70", [], [AN124.callsign]),
        ("IL62", [IL62.icao24], []),
        ("Rossiya", ["150dd4", "152f1b"], []),
        ("%", [], []),  # a LIKE wildcard is matched as itself
        ("_", [], []),
        ("' OR 1=1 --", [], []),  # text, never SQL
    ],
)
def test_search(client: TestClient, q: str, aircraft: list[str], callsigns: list[str]) -> None:
    doc = client.get("/api/search", params={"q": q}).json()
    assert sorted(a["icao24"] for a in doc["aircraft"]) == aircraft
    assert [c["callsign"] for c in doc["callsigns"]] == callsigns


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/bases/nowhere", "unknown base 'nowhere'"),
        ("/api/bases/hmeimim/visits/15a3c2-20250101T000000Z", "is not an arrival at hmeimim"),
        ("/api/aircraft/abcdef", "no aircraft abcdef in the store"),
        ("/api/flights/abcdef-20250101T000000Z", "no flight abcdef-20250101T000000Z"),
        ("/api/flights/abcdef-20250101T000000Z/track", "no flight abcdef-20250101T000000Z"),
        ("/api/nothing", "nothing at /api/nothing"),
        ("/bases/hmeimim/report.pdf", "no report format 'pdf'"),
    ],
)
def test_not_found(client: TestClient, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    text = response.json()["error"] if url.startswith("/api") else html.unescape(response.text)
    assert message in text


def test_not_found_pages_are_pages(client: TestClient) -> None:
    for url in ("/bases/nowhere", "/aircraft/abcdef", "/flights/abcdef-20250101T000000Z"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Not found" in response.text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/bases/hmeimim?since=yesterday", "since: 'yesterday' is not an ISO 8601 date"),
        ("/api/bases/hmeimim?until=2025-13-01", "until: '2025-13-01' is not an ISO 8601 date"),
        ("/api/bases/hmeimim?since=2025-10-29&until=2025-10-24", "is after until"),
        ("/api/aircraft/xyz", "'xyz' is not an ICAO 24-bit address"),
        ("/api/flights/nope", "'nope' is not a flight id"),
        ("/api/bases/hmeimim/visits/nope", "'nope' is not a flight id"),
        (f"/api/flights/{DARK_FLIGHT}/track?max_points=1", "max_points: "),
        (f"/api/flights/{DARK_FLIGHT}/track?max_points=many", "max_points: "),
        ("/api/search", "q: give an address"),
        ("/api/search?q=%20", "q: give an address"),
        ("/api/search?q=" + "x" * 65, "q: at most 64"),
        ("/api/live/events?limit=0", "limit: "),
    ],
)
def test_bad_parameters(client: TestClient, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_bad_parameter_page(client: TestClient) -> None:
    response = client.get("/aircraft/xyz")
    assert response.status_code == 400
    assert "is not an ICAO 24-bit address" in response.text
    assert client.get("/search").status_code == 200  # the empty search form


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/api/bases",
        "/api/nothing",
        "/api/search",
        "/static/app.css",
        "/api/live/events?limit=1",
        "/bases/hmeimim/report.json",
    ],
)
def test_security_headers(client: TestClient, url: str) -> None:
    headers = client.get(url).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"] == CSP
    assert "default-src 'self'" in CSP and "unsafe-inline" not in CSP


def test_no_stack_trace_on_a_server_error(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("secret internals at /srv/x.py line 3")

    monkeypatch.setattr("basewatch.web.api.overview_doc", broken)
    monkeypatch.setattr("basewatch.web.pages.overview_doc", broken)
    for url, kind in (("/api/bases", "application/json"), ("/", "text/html")):
        response = client.get(url)
        assert response.status_code == 500
        assert response.headers["content-type"].startswith(kind)
        assert "secret" not in response.text and "Traceback" not in response.text
        assert "the details are in its log" in response.text
        assert response.headers["content-security-policy"] == CSP
    assert "secret internals" in caplog.text  # the server's log has them


@pytest.mark.parametrize(
    "url",
    [
        "/bases/..%2F..%2Fetc%2Fpasswd/report.html",
        "/bases/%2e%2e/report.html",
        "/bases/../../etc/passwd/report.json",
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/api/bases/..%2Fhmeimim",
        "/bases/hmeimim%00/report.html",
    ],
)
def test_path_traversal_is_refused(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert "create_app" not in response.text and "root:" not in response.text


def test_report_downloads_are_the_rendered_bytes(
    client: TestClient, scenario: tuple[Path, Report, dict[str, bytes]]
) -> None:
    files = scenario[2]
    for fmt in ("html", "json"):
        response = client.get(f"/bases/hmeimim/report.{fmt}", params=WEEK)
        assert response.status_code == 200
        assert response.content == files[f"report_hmeimim.{fmt}"]
        assert response.headers["content-disposition"] == (
            f'attachment; filename="report_hmeimim.{fmt}"'
        )
    report_html = client.get("/bases/hmeimim/report.html", params=WEEK)
    assert report_html.headers["content-security-policy"] == REPORT_CSP
    md = client.get("/bases/hmeimim/report.md", params=WEEK)
    assert md.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(md.content)) as archive:
        inside = {name: archive.read(name) for name in archive.namelist()}
    assert inside == {
        name: files[name]
        for name in ("report_hmeimim.md", "report_hmeimim_map.svg", "report_hmeimim_timeline.svg")
    }
    assert client.get("/bases/hmeimim/report.md", params=WEEK).content == md.content


def test_the_store_is_read_only(client: TestClient) -> None:
    store = client.app.state.context.store  # type: ignore[attr-defined]
    with pytest.raises(duckdb.Error, match="read-only"):
        store.con.execute("CREATE TABLE intruder (a INTEGER)")
    before = store.con.execute("SELECT count(*), max(arrival_time) FROM visits").fetchall()
    api(client, "/api/bases/hmeimim?since=2025-10-29")  # detects visits without saving them
    assert store.con.execute("SELECT count(*), max(arrival_time) FROM visits").fetchall() == before
