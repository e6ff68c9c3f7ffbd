"""Shared fixtures: an in-memory store and paths to the real captures in ../shared/data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from basewatch import Store

# CI runs the same examples every time (a failure found by chance locally is kept as a test)
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "data"


def shared(relative: str) -> Path:
    """A real capture from ../shared/data, or skip the test when it is absent."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"real capture {relative} not present (../shared/data is absent)")
    return path


def sample_files(max_bytes: int | None = None) -> list[Path]:
    """Every real capture (when ../shared/data is present) and project fixture, data files only."""
    found = [p for p in SHARED.rglob("*") if p.is_file()] if SHARED.exists() else []
    found += [p for p in FIXTURES.rglob("*") if p.is_file()]
    return sorted(
        p
        for p in found
        if p.suffix != ".md" and (max_bytes is None or p.stat().st_size < max_bytes)
    )


@pytest.fixture
def store() -> Iterator[Store]:
    with Store.open(":memory:") as s:
        yield s


def positions(store: Store, where: str = "TRUE") -> list[dict[str, object]]:
    """Stored positions as dicts, ordered by time."""
    sql = f"SELECT * FROM positions WHERE {where} ORDER BY time, icao24"
    return list(store.con.sql(sql).to_arrow_table().to_pylist())
