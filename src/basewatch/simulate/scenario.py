"""The scenario: settings, the flights of the story flown and recorded, the files written.

``Scenario(seed=7).write(out_dir)`` writes the readsb trace tree, the ADS-B Exchange recording
and ``truth.json`` under ``out_dir`` and returns the truth; the same seed gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from basewatch.simulate.coverage import Coverage
from basewatch.simulate.emit import Points, record
from basewatch.simulate.fleet import FLEET, Aircraft
from basewatch.simulate.planner import DAY, Calendar, Flown, Planner, story_calendar
from basewatch.simulate.story import StateStory
from basewatch.simulate.traffic import plan_civil
from basewatch.simulate.truth import build_truth
from basewatch.simulate.writers import ADSBX_FILE, adsbx_recording, trace_files

TRUTH_FILE = "truth.json"


@dataclass(frozen=True)
class Scenario:
    """Settings of a simulated scenario (defaults: the demo).

    ``regular_weeks`` of regular state flights precede the pause; ``pause_days`` fixes the pause
    (default: 183 days for seed 7, 60–200 drawn for others); ``civil_scale`` scales the civil
    schedule (1 = as scheduled, 0 = none); ``adsbx`` adds the ADS-B Exchange recording of the
    resumption week and of the last week before the pause.
    """

    seed: int = 7
    regular_weeks: int = 16
    pause_days: int | None = None
    civil_scale: float = 1.0
    adsbx: bool = True

    def fly(self) -> tuple[Calendar, list[tuple[str, Flown, Points]], dict[str, Aircraft]]:
        """The calendar, every flight (id, flown leg, recorded points) in time order, and the
        story's roles (``an124``, ``il62``, ``il76``)."""
        rng = np.random.default_rng(self.seed)
        calendar = story_calendar(self.seed, rng, self.regular_weeks, self.pause_days)
        planner = Planner(rng, calendar)
        story = StateStory(planner, story=self.seed == 7)
        story.plan()
        plan_civil(planner, self.civil_scale)
        order = sorted(planner.flights, key=lambda f: (f.traj.liftoff, f.plan.aircraft.icao24))
        coverage = Coverage.default()
        flights = []
        for i, flown in enumerate(order, start=1):
            fid = f"F{i:04d}"
            points = record(flown.traj, coverage, np.random.default_rng([flown.seed, 1]), fid)
            flights.append((fid, flown, points))
        return calendar, flights, story.roles

    def files(
        self, calendar: Calendar, flights: list[tuple[str, Flown, Points]]
    ) -> dict[str, bytes]:
        """Relative path → content of every data file."""
        out: dict[str, bytes] = {}
        for ac in FLEET:
            legs = [(f, p) for _, f, p in flights if f.plan.aircraft.icao24 == ac.icao24]
            out.update(trace_files(ac, legs))
        if self.adsbx:
            windows = [
                (calendar.last_before - 6 * DAY, calendar.last_before + DAY),
                (calendar.resumption, calendar.resumption + 6 * DAY),
            ]
            legs = [(f, p) for _, f, p in flights]
            rng = np.random.default_rng([self.seed, 2])
            out[ADSBX_FILE] = adsbx_recording(legs, windows, Coverage.default(), rng)
        return dict(sorted(out.items()))

    def write(self, out_dir: Path) -> dict[str, Any]:
        """Write the files and ``truth.json`` under ``out_dir``; returns the truth."""
        out_dir = Path(out_dir)
        calendar, flights, roles = self.fly()
        files = self.files(calendar, flights)
        _remove_stale(out_dir, set(files))
        for rel, data in files.items():
            path = out_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        digests = {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}
        truth = build_truth(self.seed, calendar, flights, roles, digests)
        text = json.dumps(truth, sort_keys=True, indent=1, ensure_ascii=False)
        (out_dir / TRUTH_FILE).write_text(text + "\n", encoding="utf-8")
        return truth


def _remove_stale(out_dir: Path, keep: set[str]) -> None:
    """Delete the files a previous run listed in its truth and this run does not write."""
    old = out_dir / TRUTH_FILE
    if not old.exists():
        return
    try:
        listed = json.loads(old.read_text("utf-8")).get("files", {})
    except (json.JSONDecodeError, OSError, AttributeError):
        return
    for rel in sorted(set(listed) - keep):
        path = out_dir / rel
        if ".." not in Path(rel).parts and path.is_file():
            path.unlink()


def simulate(out_dir: Path, seed: int = 7) -> dict[str, Any]:
    """Simulate the demo scenario for ``seed`` into ``out_dir``; returns the truth."""
    return Scenario(seed=seed).write(Path(out_dir))
