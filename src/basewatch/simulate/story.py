"""The Russian state side of the story: regular rotations to Hmeimim, the pause, the resumption
week (the An-124 three times, an Il-62M, an Il-76 Benina → Hmeimim → Chkalovsky), and the state
distractors (landings at Damascus, a cruise overflight and a low pass at Hmeimim in the pause)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from basewatch.simulate.fleet import STATE_FLEET, Aircraft, by_registration, of_type
from basewatch.simulate.geo import offset
from basewatch.simulate.paths import CASPIAN_IRAN_IRAQ, MED_LIBYA, RU_ENTRY, TO_OSLK
from basewatch.simulate.places import field as airport
from basewatch.simulate.planner import DAY, HOUR, Flown, Planner

TYPE_WEIGHTS = {"IL76": 0.5, "A124": 0.15, "IL62": 0.12, "T154": 0.12, "T204": 0.11}
DARK_ARRIVAL_P = 0.2
DARK_DEPARTURE_P = 0.15
HMEIMIM = "state-hmeimim"


@dataclass
class StateStory:
    """Plans the state flights of one scenario into ``planner``."""

    planner: Planner
    story: bool  # seed 7: the news story exactly
    roles: dict[str, Aircraft] = field(default_factory=dict)

    @property
    def rng(self) -> np.random.Generator:
        return self.planner.rng

    def plan(self) -> None:
        self.regular()
        self.resumption_week()
        self.after_week()
        self.damascus()
        self.pause_overflights()

    # -- rotations ---------------------------------------------------------------------------
    def rotation(
        self,
        ac: Aircraft,
        arrive: float,
        *,
        libya: bool = False,
        dark: bool | None = None,
        dwell_h: float | None = None,
    ) -> list[Flown]:
        """Its base → OSLK landing at ``arrive`` (→ HLLB → OSLK) → back to that base; legs whose
        departure falls after the data's end are not flown (the aircraft stays)."""
        rng, p = self.rng, self.planner
        out_call, back_call = p.state_callsign(ac)
        dark = bool(rng.random() < DARK_ARRIVAL_P) if dark is None else dark
        first = {"dark_approach": dark, **self._dark_params()}
        base = p.where(ac, arrive - 8 * HOUR)
        legs = [p.leg(ac, base, "OSLK", out_call, HMEIMIM, arrive=arrive, fields=first)]
        stops = [("HLLB", HMEIMIM), ("OSLK", HMEIMIM)] if libya else []
        for dest, kind in [*stops, (base, HMEIMIM)]:
            prev = legs[-1]
            hours = dwell_h if dwell_h is not None else float(rng.uniform(3, 28))
            depart = prev.traj.on_block + hours * HOUR
            if depart > p.calendar.end:
                break
            fields = {
                **self._departure(prev.plan.dark_approach, prev.plan.destination),
                "dark_approach": dest == "OSLK" and bool(rng.random() < DARK_ARRIVAL_P),
                **self._dark_params(),
            }
            call = back_call if dest != "OSLK" else out_call
            legs.append(
                p.leg(ac, prev.plan.destination, dest, call, kind, depart=depart, fields=fields)
            )
        return legs

    def _dark_params(self) -> dict[str, float]:
        return {
            "dark_ft": float(self.rng.uniform(3000, 10_000)),
            "dark_km": float(self.rng.uniform(20, 60)),
        }

    def _departure(self, came_dark: bool, origin: str) -> dict[str, object]:
        """Dark departures (from OSLK only), and how long before taxi the transponder is on:
        after a dark arrival it often reappears on the ground hours before leaving."""
        rng = self.rng
        if origin != "OSLK":
            return {"on_before_s": float(rng.uniform(120, 900))}
        dark = bool(rng.random() < (0.4 if came_dark else DARK_DEPARTURE_P))
        early = came_dark and rng.random() < 0.5
        return {
            "dark_departure": dark,
            "on_before_s": float(rng.uniform(1, 3) * HOUR if early else rng.uniform(120, 900)),
        }

    def _pick(self, start: float, end: float, types: dict[str, float]) -> Aircraft | None:
        """A free aircraft, of a type drawn by weight when one is free."""
        names = list(types)
        weights = np.array([types[n] for n in names])
        for _ in range(4):
            t = str(self.rng.choice(names, p=weights / weights.sum()))
            free = [a for a in of_type(t) if self.planner.free(a, start, end)]
            if free:
                return free[int(self.rng.integers(len(free)))]
        free = [a for a in STATE_FLEET if a.type_code in types and self.planner.free(a, start, end)]
        return free[int(self.rng.integers(len(free)))] if free else None

    # -- the regular period and the pause ---------------------------------------------------
    def regular(self) -> None:
        """2–4 arrivals a week until the last one before the pause (that day, forced)."""
        cal, rng = self.planner.calendar, self.rng
        times = []
        week = cal.start + DAY
        while week < cal.last_before:
            for d in rng.choice(7, int(rng.integers(2, 5)), replace=False):
                t = week + float(d) * DAY + float(rng.uniform(4, 20)) * HOUR
                if t < cal.last_before - DAY / 2:
                    times.append(t)
            week += 7 * DAY
        times.append(cal.last_before + float(rng.uniform(6, 16)) * HOUR)
        for i, t in enumerate(sorted(times)):
            last = i == len(times) - 1
            ac = self._pick(t - 8 * HOUR, t + 5 * DAY, TYPE_WEIGHTS)
            if ac is None:
                continue
            # a Libya loop adds a later arrival: only when it stays before the last one
            libya = ac.type_code == "IL76" and rng.random() < 0.25 and t + 4 * DAY < cal.last_before
            self.rotation(ac, t, libya=libya, dwell_h=None if not last else 20.0)

    def resumption_week(self) -> None:
        """Fri: the An-124 (first arrival: the resumption) and the Il-62M; the An-124 twice more
        by Wednesday; an Il-76 from Chkalovsky over Syria to Benina, then Benina → Hmeimim →
        Chkalovsky (leaving Hmeimim late evening, landing after midnight)."""
        rng, fri = self.rng, self.planner.calendar.resumption
        an124 = by_registration("RA-82038") if self.story else of_type("A124")[int(rng.integers(2))]
        il62 = by_registration("RA-86496")
        il76s = [a for a in of_type("IL76") if a.adsb]
        il76 = by_registration("RF-76552") if self.story else il76s[int(rng.integers(len(il76s)))]
        self.roles = {"an124": an124, "il62": il62, "il76": il76}
        if self.story:
            days = [0, 2, 5]
        else:
            a = int(rng.integers(2, 4))
            days = [0, a, int(rng.integers(a + 2, 6))]
        for i, d in enumerate(days):
            hour = rng.uniform(6.5, 9.5) if i == 0 else rng.uniform(7, 17)
            dark = (i == 1) if self.story else None
            self.rotation(
                an124,
                fri + d * DAY + float(hour) * HOUR,
                dark=dark,
                dwell_h=float(rng.uniform(4, 12)),
            )
        self.rotation(
            il62,
            fri + float(rng.uniform(12, 16)) * HOUR,
            dark=False,
            dwell_h=float(rng.uniform(14, 26)),
        )
        self._libya_route(il76, fri)

    def _libya_route(self, il76: Aircraft, fri: float) -> None:
        rng, p = self.rng, self.planner
        out_call, back_call = p.state_callsign(il76)
        depart = fri + DAY + float(rng.uniform(2, 6)) * HOUR
        first = p.leg(
            il76,
            p.where(il76, depart),
            "HLLB",
            out_call,
            "overflight",
            depart=depart,
            note="cruise overflight of Syria past Latakia, on to Benina",
        )
        k = 3 if self.story else int(rng.integers(2, 5))
        arrive = max(
            fri + k * DAY + float(rng.uniform(8, 13)) * HOUR, first.traj.on_block + 14 * HOUR
        )
        leg = p.leg(
            il76,
            "HLLB",
            "OSLK",
            back_call,
            HMEIMIM,
            arrive=arrive,
            note="Libya → Latakia → Moscow route, first leg",
        )
        day_end = (leg.traj.on_block // DAY + 1) * DAY
        depart = max(day_end - float(rng.uniform(1.5, 2.5)) * HOUR, leg.traj.on_block + 3 * HOUR)
        p.leg(
            il76,
            "OSLK",
            "UUMU",
            f"RFF{int(back_call[3:]) + 2}",
            HMEIMIM,
            depart=depart,
            note="Libya → Latakia → Moscow route, second leg (crosses midnight UTC)",
        )

    def after_week(self) -> None:
        """Arrivals after the resumption week up to the data's end; in the story one Tu-154 that
        goes dark on approach and is not seen again."""
        cal, rng = self.planner.calendar, self.rng
        fri = cal.resumption
        if self.story:
            tu = by_registration("RA-85041")
            self.rotation(tu, fri + 8 * DAY + 10.5 * HOUR, dark=True, dwell_h=40.0)
            return
        for _ in range(int(rng.integers(0, 3))):
            t = fri + float(rng.uniform(6, 9)) * DAY
            ac = self._pick(t - 8 * HOUR, t + DAY, {"T154": 1, "T204": 1, "IL76": 1})
            if ac is not None and t < cal.end - 6 * HOUR:
                self.rotation(ac, t)

    # -- distractors -------------------------------------------------------------------------
    def damascus(self) -> None:
        """State flights to Damascus every one to three weeks, the pause included."""
        cal, rng, p = self.planner.calendar, self.rng, self.planner
        t = cal.start + float(rng.uniform(3, 10)) * DAY
        while t < cal.end - 2 * DAY:
            ac = self._pick(t - 8 * HOUR, t + 2 * DAY, {"IL76": 2, "T154": 1})
            if ac is not None:
                out_call, back_call = p.state_callsign(ac)
                note = "Russian state flight to Damascus, not Hmeimim"
                base = p.where(ac, t - 12 * HOUR)
                leg = p.leg(ac, base, "OSDI", out_call, "state-elsewhere", arrive=t, note=note)
                depart = leg.traj.on_block + float(rng.uniform(3, 20)) * HOUR
                p.leg(ac, "OSDI", base, back_call, "state-elsewhere", depart=depart, note=note)
            t += float(rng.uniform(9, 21)) * DAY

    def pause_overflights(self) -> None:
        """In the pause: a state aircraft crosses Syria at cruise to Benina and comes back days
        later with a low approach at Hmeimim (2,000–3,500 ft, 5–9 km) and a go-around."""
        cal, rng, p = self.planner.calendar, self.rng, self.planner
        pause = cal.resumption - cal.last_before
        for _ in range(1 if self.story else int(rng.integers(1, 3))):
            t = cal.last_before + float(rng.uniform(0.3, 0.7)) * pause
            ac = self._pick(t - 8 * HOUR, t + 5 * DAY, {"T204": 1, "IL76": 1})
            if ac is None:
                continue
            out_call, back_call = p.state_callsign(ac)
            base = p.where(ac, t)
            first = p.leg(
                ac,
                base,
                "HLLB",
                out_call,
                "overflight",
                depart=t,
                note="cruise overflight of Syria past Latakia, on to Benina",
            )
            oslk = airport("OSLK")
            bearing, km = float(rng.uniform(200, 290)), float(rng.uniform(5, 9))
            lat, lon = offset(oslk.lat, oslk.lon, bearing, km * 1000)
            height = float(rng.uniform(2000, 3500))
            low = (round(float(lat), 4), round(float(lon), 4))
            route = (
                *reversed(MED_LIBYA),
                low,
                *reversed(TO_OSLK),
                *reversed(CASPIAN_IRAN_IRAQ),
                *reversed(RU_ENTRY[base]),
            )
            note = (
                f"low approach at Hmeimim ({height:,.0f} ft above the field, {km:.1f} km "
                "from it) and go-around; did not land"
            )
            p.leg(
                ac,
                "HLLB",
                base,
                back_call,
                "overflight",
                route=route,
                note=note,
                depart=first.traj.on_block + float(rng.uniform(1, 3)) * DAY,
                fields={"low_pass": (low[0], low[1], height)},
            )
