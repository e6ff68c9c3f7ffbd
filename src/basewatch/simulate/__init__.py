"""The scenario simulator: seeded, realistic traffic around Hmeimim, written as real files.

``simulate(out_dir, seed)`` writes a readsb trace tree, an ADS-B Exchange recording and the ground
truth (``truth.json``) of the demo story: regular Russian state flights to Hmeimim, a months-long
pause, the resumption week, among civil traffic and distractors. ``Scenario`` holds the settings.
"""

from basewatch.simulate.scenario import Scenario, simulate

__all__ = ["Scenario", "simulate"]
