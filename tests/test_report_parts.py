"""The report's parts on their own: words, clipping, the bundled basemap, map frames and scale
bars, timeline ticks, route chains and the JSON conversion."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources

import numpy as np
import pytest

from basewatch import load_config
from basewatch.report.basemap import RESOURCE, load_basemap
from basewatch.report.clip import clip_polyline, clip_ring
from basewatch.report.facts import NOT_IN_JSON, Leg, jsonable
from basewatch.report.itinerary import chain_text
from basewatch.report.maplayers import graticule_step
from basewatch.report.svg import num, thin
from basewatch.report.svgmap import fit, nice_km
from basewatch.report.timeline import Scale, ticks
from basewatch.report.words import (
    adjective,
    airport_name,
    day,
    duration,
    listing,
    times,
    type_label,
)


def test_words() -> None:
    friday = datetime(2025, 10, 24, 9, 30, tzinfo=UTC)  # 24 Oct 2025 was a Friday
    assert day(friday) == "Fri 24 Oct 2025"
    assert day(datetime(2025, 11, 2, tzinfo=UTC), year=False) == "Sun 2 Nov"
    assert [duration(s) for s in (45, 720, 4_800, 7_200, 180_000)] == [
        "45 s", "12 min", "1 h 20 min", "2 h", "2 d 2 h",
    ]  # fmt: skip
    assert [times(n) for n in (1, 2, 3)] == ["once", "twice", "3 times"]
    assert listing(["a", "b", "c"]) == "a, b and c"
    assert listing([f"x{i}" for i in range(7)]) == "x0, x1, x2, x3, x4 and 2 more"
    assert adjective(["RU", "RU"]) == "Russian"
    assert adjective(["RU", "BY"]) is None and adjective([None]) is None


def test_type_and_airport_names() -> None:
    assert type_label("IL76", "ILYUSHIN IL-76MD") == "Il-76MD"  # a database's capitals
    assert type_label("A124", None) == "An-124"  # the packaged catalogue
    assert type_label("IL62", None) == "Il-62M"
    assert type_label("ZZZZ", None) == "ZZZZ"
    config = load_config(None)
    assert airport_name("OSLK", config) == "Hmeimim (OSLK)"  # the configured base's name
    assert airport_name("OSLK") == "Bassel Al-Assad (OSLK)"  # airportsdata, shortened
    assert airport_name("HLLB", config) == "Benina (HLLB)"
    assert airport_name(None) == "?"


def test_clip_polyline_splits_where_it_leaves() -> None:
    line = np.array([[-1, 0.5], [0.5, 0.5], [0.5, 2], [0.7, 2], [0.7, 0.2], [2, 0.2]], float)
    pieces = clip_polyline(line, (0, 0, 1, 1))
    assert [p.round(6).tolist() for p in pieces] == [
        [[0, 0.5], [0.5, 0.5], [0.5, 1]],
        [[0.7, 1], [0.7, 0.2], [1, 0.2]],
    ]
    assert clip_polyline(np.array([[5.0, 5.0], [6.0, 6.0]]), (0, 0, 1, 1)) == []


def test_clip_ring() -> None:
    square = np.array([[-1, -1], [2, -1], [2, 2], [-1, 2]], float)
    assert sorted(map(tuple, clip_ring(square, (0, 0, 1, 1)).tolist())) == [
        (0, 0), (0, 1), (1, 0), (1, 1),
    ]  # fmt: skip
    far = np.array([[5, 5], [6, 5], [6, 6]], float)
    assert len(clip_ring(far, (0, 0, 1, 1))) == 0


def test_bundled_basemap() -> None:
    raw = (resources.files("basewatch") / RESOURCE).read_bytes()
    assert len(raw) < 600_000
    doc = json.loads(gzip.decompress(raw))
    assert doc["source"].startswith("world-atlas 2.0.2")
    basemap = load_basemap()
    levant = (34.0, 33.0, 37.0, 37.0)
    coast = basemap.lines("coast", levant)
    assert coast and all(
        (p[:, 0] >= 34 - 1e-9).all() and (p[:, 0] <= 37 + 1e-9).all() for p in coast
    )
    # the Syrian coast runs near 35.9°E at Latakia (35.5°N): some coastline point is close
    pts = np.vstack(coast)
    near = pts[np.abs(pts[:, 1] - 35.5) < 0.2]
    assert len(near) and np.abs(near[:, 0] - 35.8).min() < 0.2
    assert basemap.lines("border", levant)  # Syria, Turkey, Lebanon…
    assert basemap.land(levant)
    assert basemap.lines("coast", (-30.0, -10.0, -29.0, -9.0)) == []  # mid-Atlantic


def test_frames_scale_bars_and_graticules() -> None:
    frame = fit([20.0, 38.0], [32.0, 56.0])
    assert frame.west < 20 and frame.east > 38 and frame.south < 32 and frame.north > 56
    assert 420 <= frame.height <= 900
    assert nice_km(173.0) == 100 and nice_km(260.0) == 200 and nice_km(7.0) == 5
    assert graticule_step(24.0) == 5.0 and graticule_step(1.0) == 0.2
    assert num(-0.04) == "0.0" and num(12.345) == "12.3"
    points = np.column_stack([np.linspace(0, 100, 1001), np.zeros(1001)])
    kept = thin(points, 1.0)
    assert len(kept) == 101 and (kept[0] == points[0]).all() and (kept[-1] == points[-1]).all()


def test_timeline_ticks() -> None:
    week = Scale(datetime(2025, 10, 24, tzinfo=UTC), datetime(2025, 10, 30, tzinfo=UTC))
    assert [label for _, label in ticks(week)][:2] == ["Fri 24 Oct", "Sat 25 Oct"]
    year = Scale(datetime(2025, 3, 27, tzinfo=UTC), datetime(2025, 10, 30, tzinfo=UTC))
    labels = [label for _, label in ticks(year)]
    assert labels[0] == "Apr 2025" and labels[-1] == "Oct 2025"


def _leg(origin: str | None, to: str | None) -> Leg:
    t = datetime(2025, 10, 27, tzinfo=UTC)
    return Leg("f", origin, to, str(origin), str(to), t, t, t, t, False)


def test_route_chain() -> None:
    config = load_config(None)
    chain = (_leg("HLLB", "OSLK"), _leg("OSLK", "UUMU"))
    assert chain_text(chain, config) == "Benina (HLLB) → Hmeimim (OSLK) → Chkalovsky (UUMU)"
    gap = (_leg("OSDI", "OSLK"), _leg("HLLB", "OSLK"), _leg(None, "OSDI"))
    assert chain_text(gap, config) == (
        "Damascus (OSDI) → Hmeimim (OSLK) … Benina (HLLB) → Hmeimim (OSLK) … ? → Damascus (OSDI)"
    )


def test_jsonable_times_tuples_and_left_out_fields() -> None:
    @dataclass(frozen=True)
    class Thing:
        when: datetime
        items: tuple[int, ...]
        hidden: tuple[float, ...] = field(default=(), metadata=NOT_IN_JSON)

    thing = Thing(datetime(2025, 10, 24, 9, 30, 55, 123, tzinfo=UTC), (1, 2), (0.5,))
    assert jsonable(thing) == {"when": "2025-10-24T09:30:55Z", "items": [1, 2]}


@pytest.mark.parametrize("fmt", ["pdf", "MD", ""])
def test_unknown_format(fmt: str) -> None:
    from basewatch.errors import UsageError
    from basewatch.report.render import check_format

    with pytest.raises(UsageError, match="unknown report format"):
        check_format(fmt)


def test_no_line_is_drawn_across_an_unseen_stretch() -> None:
    """An MLAT-only aircraft seen near Latakia and again near Moscow: two stretches, not a
    straight line across Turkey."""
    from basewatch.report.maplayers import seen_stretches

    syria = [(35.9, 35.4), (36.0, 35.6), (36.1, 35.8)]
    russia = [(38.0, 55.0), (38.0, 55.2)]
    lonlat = np.array(syria + russia, dtype=np.float64)
    pieces = seen_stretches(lonlat)
    assert [len(p) for p in pieces] == [3, 2]
    assert seen_stretches(np.array(syria, dtype=np.float64))[0].shape == (3, 2)
