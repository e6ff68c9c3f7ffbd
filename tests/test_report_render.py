"""The evidence report, rendered: golden files for Markdown (with its two SVGs), HTML and JSON,
byte for byte; the same inputs built twice give the same bytes; the HTML holds the map, the
timeline and the evidence table and nothing external.

The scenario is ``tests/report_scenario.py`` (readsb traces ingested like user data); the
period is the resumption week, Fri 24 Oct - Wed 29 Oct 2025. After a deliberate change of the
report, rewrite the golden files and read the diff before accepting it:

    BASEWATCH_UPDATE_GOLDEN=1 python -m pytest tests/test_report_render.py
"""

from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from basewatch import Store, load_config
from basewatch.report import Report, ReportBuilder, render
from tests.report_scenario import AN124, IL62, IL76, build_store

GOLDEN = Path(__file__).resolve().parent / "golden"
STEM = "report_hmeimim_week"
SINCE = datetime(2025, 10, 24, tzinfo=UTC)
UNTIL = datetime(2025, 10, 29, 23, 59, 59, tzinfo=UTC)
FILES = (f"{STEM}.md", f"{STEM}_map.svg", f"{STEM}_timeline.svg", f"{STEM}.html", f"{STEM}.json")


def _build(root: Path) -> Report:
    db = build_store(root)
    with Store.open(db) as store:
        return ReportBuilder("hmeimim", load_config(None), SINCE, UNTIL).build(store)


def _render_all(report: Report, folder: Path) -> dict[str, bytes]:
    for fmt in ("md", "html", "json"):
        render(report, fmt, folder / f"{STEM}.{fmt}")
    return {name: (folder / name).read_bytes() for name in FILES}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    root = tmp_path_factory.mktemp("scenario")
    return root, _build(root)


@pytest.fixture(scope="module")
def rendered(
    scenario: tuple[Path, Report], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    return _render_all(scenario[1], tmp_path_factory.mktemp("out"))


@pytest.mark.parametrize("name", FILES)
def test_golden_files(rendered: dict[str, bytes], name: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("BASEWATCH_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(rendered[name])
    assert golden.exists(), f"{golden} missing: run with BASEWATCH_UPDATE_GOLDEN=1"
    assert rendered[name] == golden.read_bytes(), f"{name} differs from its golden file"


def test_same_inputs_same_bytes(rendered: dict[str, bytes], tmp_path: Path) -> None:
    """A second store built from scratch elsewhere gives the very same files."""
    again = _render_all(_build(tmp_path / "again"), tmp_path / "out")
    assert again == rendered


def test_markdown_links_its_images_relatively(rendered: dict[str, bytes]) -> None:
    md = rendered[f"{STEM}.md"].decode()
    assert f"]({STEM}_map.svg)" in md and f"]({STEM}_timeline.svg)" in md
    for name in (f"{STEM}_map.svg", f"{STEM}_timeline.svg"):
        root = ET.fromstring(rendered[name])
        assert root.tag == "{http://www.w3.org/2000/svg}svg"


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each table row of the evidence."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[str] = []
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr" and dict(attrs).get("class") == "visit":
            self._row = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            self.rows.append(" ".join(self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row.append(data)


def _svg(html: str, element_id: str) -> ET.Element:
    start = html.index(f'<svg id="{element_id}"')
    end = html.index("</svg>", start) + len("</svg>")
    return ET.fromstring(html[start:end])


def _classes(element: ET.Element) -> set[str]:
    return set((element.get("class") or "").split())


def test_html_holds_map_timeline_and_evidence(
    scenario: tuple[Path, Report], rendered: dict[str, bytes]
) -> None:
    root, report = scenario
    html = rendered[f"{STEM}.html"].decode()
    numbers = {str(v.number) for v in report.visits}
    assert len(numbers) == 5  # Il-62M once, An-124 three times, Il-76MD once

    figure = _svg(html, "map")
    assert [c for c in figure.iter("circle") if "base" in _classes(c)]
    arrivals = [p for p in figure.iter("path") if {"track", "arrival"} <= _classes(p)]
    assert sorted(p.get("data-visit") for p in arrivals) == sorted(numbers)
    departures = [p for p in figure.iter("path") if {"track", "departure"} <= _classes(p)]
    assert len(departures) == 4  # the An-124's last visit has not left by the end of the data
    dark = [x for x in figure.iter("line") if "track-dark" in _classes(x)]
    assert [x.get("data-visit") for x in dark] == [str(_number(report, IL76.icao24))]

    timeline = _svg(html, "timeline")
    marks = [c for c in timeline.iter("circle") if "visit" in _classes(c)]
    assert sorted(c.get("data-visit") for c in marks) == sorted(numbers)
    inferred = {c.get("data-visit") for c in marks if "inferred" in _classes(c)}
    assert inferred == {str(v.number) for v in report.visits if v.inferred}
    assert [r for r in timeline.iter("rect") if "pause" in _classes(r)]
    labels = [t.text or "" for t in timeline.iter("text")]
    assert any("183-day pause" in t for t in labels)
    assert [g for g in timeline.iter("g") if "resumption" in _classes(g)]

    parser = _Tags()
    parser.feed(html)
    assert len(parser.rows) == len(numbers)
    for row, visit in zip(parser.rows, report.visits, strict=True):
        trace = root / "traces" / f"trace_full_{visit.icao24}.json"
        assert hashlib.sha256(trace.read_bytes()).hexdigest() in row
        assert visit.aircraft_label in row


def _number(report: Report, icao24: str) -> int:
    [visit] = [v for v in report.visits if v.icao24 == icao24]
    return visit.number


def test_html_needs_nothing_from_outside(rendered: dict[str, bytes]) -> None:
    parser = _Tags()
    html = rendered[f"{STEM}.html"].decode()
    parser.feed(html)
    links = [
        value
        for _, attrs in parser.tags
        for key, value in attrs.items()
        if key in ("src", "href", "xlink:href", "action", "data") and value
    ]
    assert links == []
    assert not any(tag in ("script", "link", "img", "iframe") for tag, _ in parser.tags)
    assert "url(" not in html and "@import" not in html
    assert "http://" not in html and "https://" not in html


def test_aircraft_in_the_story(scenario: tuple[Path, Report]) -> None:
    _, report = scenario
    labels = [a.label for a in report.aircraft]
    assert labels == ["Il-62M RA-86496", "An-124 RA-82038", "Il-76MD RF-78820"]
    assert {a.icao24 for a in report.aircraft} == {IL62.icao24, AN124.icao24, IL76.icao24}
