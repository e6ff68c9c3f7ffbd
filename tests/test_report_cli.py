"""``basewatch report`` as users script it: files written, exit codes, error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.report_scenario import build_store
from tests.test_cli import run


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("cli"))


def test_html_report(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r" / "hmeimim.html"
    done = run("--db", str(db), "report", "--base", "hmeimim", "--format", "html",
               "--out", str(out), db=tmp_path / "unused.duckdb")  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and '<svg id="map"' in html
    assert "resumed on Fri 24 Oct 2025 after a 183-day pause" in done.stderr
    assert not (tmp_path / "unused.duckdb").exists()


def test_markdown_and_json_reports(db: Path, tmp_path: Path) -> None:
    md = tmp_path / "week.md"
    args = ("--since", "2025-10-24", "--until", "2025-10-29T23:59:59Z")
    done = run("report", "--base", "hmeimim", *args, "--format", "md", "--out", str(md), db=db)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in tmp_path.iterdir()} == {
        "week.md",
        "week_map.svg",
        "week_timeline.svg",
    }
    js = tmp_path / "week.json"
    done = run("report", "--base", "hmeimim", *args, "--format", "json", "--out", str(js), db=db)
    assert done.returncode == 0, done.stderr
    doc = json.loads(js.read_text())
    assert doc["period"]["since"] == "2025-10-24T00:00:00Z"
    assert len(doc["visits"]) == 5


def test_errors(db: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "r.html")
    bad = run("report", "--base", "hmeimim", "--format", "pdf", "--out", out, db=db)
    assert bad.returncode == 2 and "unknown report format 'pdf'" in bad.stderr
    nowhere = run("report", "--base", "nowhere", "--format", "html", "--out", out, db=db)
    assert nowhere.returncode == 2 and "unknown base 'nowhere'" in nowhere.stderr
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    unwritable = str(blocker / "r.html")
    stuck = run("report", "--base", "hmeimim", "--format", "html", "--out", unwritable, db=db)
    assert stuck.returncode == 1
    assert stuck.stderr.startswith(f"Error: cannot write the report to {unwritable}")
    missing = run("report", "--base", "hmeimim", "--format", "html", db=db)
    assert missing.returncode == 2 and "--out" in missing.stderr
