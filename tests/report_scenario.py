"""A small, deterministic scenario for the evidence report, written as readsb trace files and
ingested like user data (so ``ingests`` holds real paths and sha256s).

Russian state flights to Hmeimim (OSLK) in spring 2025, the last on Thu 24 Apr 2025, then
nothing until the resumption week of Fri 24 Oct - Wed 29 Oct 2025:

* Il-62M RA-86496 (150dd4, RSD096) arrives Fri 24 Oct from Damascus — the resumption, 183 days
  after the Il-76's arrival of 24 Apr — and leaves for Damascus;
* An-124 RA-82038 (15008a, RFF7038) arrives three times (Fri 24, Sun 26, Wed 29 Oct) from
  Damascus, going back there in between; it also came on Thu 10 Apr;
  one position of its Sunday taxi-in is spoofed 600 km away (the report must not count it);
* Il-76MD RF-78820 (15a3c2, RFF7820) came on Thu 27 Mar and Thu 24 Apr, and on Mon 27 Oct flies
  Benina → Hmeimim, going dark 2,500 ft above the field (an inferred arrival), then on to
  Chkalovsky (UUMU: the visit of a second base);
* distractors: a Syrian Air A320 (civil) landing at Hmeimim on Sat 25 Oct, and a Russian state
  Tu-154 landing at Damascus, not Hmeimim, the same day.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from basewatch import Store
from tests.track_store import trace_points
from tests.tracks import Track

FOLDER = "traces"


@dataclass(frozen=True)
class Plane:
    icao24: str
    callsign: str
    registration: str
    type_code: str
    desc: str
    operator: str
    db_flags: int


IL62 = Plane("150dd4", "RSD096", "RA-86496", "IL62", "ILYUSHIN Il-62M", "Special Flight "
             "Detachment Rossiya", 0)  # fmt: skip
AN124 = Plane("15008a", "RFF7038", "RA-82038", "A124", "ANTONOV An-124 Ruslan",
              "Russian Air Force", 1)  # fmt: skip
IL76 = Plane("15a3c2", "RFF7820", "RF-78820", "IL76", "ILYUSHIN Il-76MD", "Russian Air Force", 1)
A320 = Plane("778f12", "SYR501", "YK-AKB", "A320", "AIRBUS A-320", "Syrian Arab Airlines", 0)
TU154 = Plane("152f1b", "RSD155", "RA-85155", "T154", "TUPOLEV Tu-154M", "Special Flight "
              "Detachment Rossiya", 0)  # fmt: skip


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def _shuttle(
    plane: Plane,
    start: float,
    back: bool,
    seed: int,
    origin: str = "OSDI",
    to: str = "OSLK",
    spoofed: bool = False,
) -> Track:
    """From ``origin`` to Hmeimim (or ``to``), and (``back``) home again after an hour there;
    ``spoofed``: one position while taxiing in is 600 km off (set aside by the flights stage)."""
    t = Track(plane.icao24, plane.callsign, start=start, seed=seed, spacing=(3.0, 12.0))
    t.at(origin).taxi(3).hop(to, cruise_ft=20_000)
    if spoofed:
        t.taxi(1).spoof(km=600, points=1)
    t.taxi(2)
    if back:
        t.park(60).taxi(3).hop(origin, cruise_ft=20_000).taxi(2)
    return t


def tracks() -> dict[Plane, list[Track]]:
    """Every aircraft's flights, in time order."""
    il76_oct = Track(IL76.icao24, IL76.callsign, start=at(2025, 10, 27, 5), seed=7,
                     spacing=(4.0, 14.0))  # fmt: skip
    il76_oct.at("HLLB").taxi(3).hop("OSLK", cruise_ft=28_000, dark_below_agl_ft=2_500)
    il76_oct.park(120).appear().taxi(3).hop("UUMU", cruise_ft=30_000).taxi(2)
    return {
        IL76: [
            _shuttle(IL76, at(2025, 3, 27, 8), True, 1),
            _shuttle(IL76, at(2025, 4, 24, 8), True, 2),
            il76_oct,
        ],
        AN124: [
            _shuttle(AN124, at(2025, 4, 10, 9), True, 3),
            _shuttle(AN124, at(2025, 10, 24, 13), True, 4),
            _shuttle(AN124, at(2025, 10, 26, 11), True, 5, spoofed=True),
            _shuttle(AN124, at(2025, 10, 29, 7), False, 6),
        ],
        IL62: [_shuttle(IL62, at(2025, 10, 24, 9), True, 8)],
        A320: [_shuttle(A320, at(2025, 10, 25, 10), True, 9)],
        TU154: [_shuttle(TU154, at(2025, 10, 25, 12), False, 10, origin="LCLK", to="OSDI")],
    }


def write_traces(folder: Path) -> list[Path]:
    """One readsb ``trace_full`` file per aircraft (plain JSON, with the database header)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for plane, flights in tracks().items():
        first = flights[0].rows[0]["time"].timestamp()
        points = [p for t in flights for p in trace_points(t, first)]
        doc = {
            "icao": plane.icao24,
            "r": plane.registration,
            "t": plane.type_code,
            "desc": plane.desc,
            "ownOp": plane.operator,
            "dbFlags": plane.db_flags,
            "timestamp": first,
            "trace": points,
        }
        path = folder / f"trace_full_{plane.icao24}.json"
        path.write_text(json.dumps(doc))
        paths.append(path)
    return sorted(paths)


def build_store(root: Path, db: str = "report.duckdb") -> Path:
    """Write the traces under ``root/traces`` and ingest them (by relative path, so the store
    records the same paths wherever ``root`` is) into ``root/db``."""
    root.mkdir(parents=True, exist_ok=True)
    with contextlib.chdir(root):
        files = write_traces(Path(FOLDER))
        with Store.open(db) as store:
            store.ingest([str(p) for p in files], workers=1)
    return root / db
