"""Civil traffic at Latakia (OSLK is also the city's civil airport): Syrian Air and Cham Wings
A320s to the Gulf, Iraq and Jeddah, and a Russian A321 charter from Moscow every other week."""

from __future__ import annotations

from basewatch.simulate.fleet import by_registration
from basewatch.simulate.planner import DAY, HOUR, Planner

#: (registration, the other airport, weekdays (Mon = 0), hour (UTC) it leaves OSLK, callsigns)
SCHEDULE: tuple[tuple[str, str, tuple[int, ...], float, tuple[str, str]], ...] = (
    ("YK-AKA", "OMSJ", (0, 3), 5.5, ("SYR541", "SYR542")),
    ("YK-AKE", "ORBI", (1,), 7.0, ("SYR361", "SYR362")),
    ("YK-AKE", "OEJN", (5,), 6.0, ("SYR521", "SYR522")),
    ("YK-BAG", "ORER", (2,), 9.0, ("SAW731", "SAW732")),
    ("YK-BAG", "OMSJ", (6,), 19.5, ("SAW581", "SAW582")),
)
CHARTER = ("RA-73160", "UUDD", 4, 7.0, ("RWZ3801", "RWZ3802"))
CANCELLED_P = 0.05


def plan_civil(planner: Planner, scale: float) -> None:
    """Each scheduled rotation of the period, flown with probability ``scale`` (less
    cancellations); departure times vary by about half an hour."""
    cal = planner.calendar
    monday = cal.start - ((cal.start // DAY + 3) % 7) * DAY  # 1970-01-01 was a Thursday
    week = 0
    while monday + week * 7 * DAY < cal.end:
        base = monday + week * 7 * DAY
        for reg, other, days, hour, calls in SCHEDULE:
            for d in days:
                _rotation(planner, reg, "OSLK", other, base + d * DAY + hour * HOUR, calls, scale)
        reg, home, d, hour, calls = CHARTER
        if week % 2 == 0:
            _rotation(planner, reg, home, "OSLK", base + d * DAY + hour * HOUR, calls, scale)
        week += 1


def _rotation(
    planner: Planner,
    reg: str,
    home: str,
    other: str,
    depart: float,
    calls: tuple[str, str],
    scale: float,
) -> None:
    """home → other → home, the return after a 1–2 h turnaround."""
    rng, cal = planner.rng, planner.calendar
    ac = by_registration(reg)
    depart += float(rng.normal(0.0, 0.5)) * HOUR
    flown = rng.random() < scale * (1 - CANCELLED_P)
    if not flown or depart < cal.start + HOUR or depart > cal.end - DAY / 2:
        return
    if not planner.free(ac, depart - HOUR, depart + 12 * HOUR):
        return
    kind = "civil"
    on = {"on_before_s": float(rng.uniform(300, 1200))}
    out = planner.leg(ac, home, other, calls[0], kind, depart=depart, fields=on)
    back = out.traj.on_block + float(rng.uniform(1.0, 2.0)) * HOUR
    on = {"on_before_s": float(rng.uniform(300, 1200))}
    planner.leg(ac, other, home, calls[1], kind, depart=back, fields=on)
