"""The aircraft of the scenario, as a readsb database would describe them.

Russian state aircraft carry their real addresses, registrations and types (public facts, as
listed by plane-alert-db and tar1090-db); the Syrian airliners' addresses are invented inside
Syria's ICAO block (778000–77FFFF). Types lacking ADS-B out are heard by MLAT only.
"""

from __future__ import annotations

from dataclasses import dataclass

RU_AF = "Russian Air Force"
ROSSIYA = "Rossiya Special Flight Detachment"


@dataclass(frozen=True)
class Aircraft:
    """One airframe: identity (as readsb's database gives it) and how it flies and transmits."""

    icao24: str
    registration: str
    type_code: str
    desc: str
    operator: str
    year: str | None
    db_flags: int  # readsb dbFlags: bit 0 military, bit 1 interesting
    category: str  # "state" or "civil" (the truth)
    adsb: bool  # False: Mode S only, positions from MLAT
    emitter: str | None  # ADS-B emitter category
    callsign_prefix: str
    home: str
    #: altitude resolution of its transponder's replies: 25 ft, or 100 ft (Gillham-coded, as
    #: older Mode S units send); ADS-B positions always come with 25 ft
    alt_step_ft: float = 25.0


def _ru(
    icao: str,
    reg: str,
    t: str,
    desc: str,
    op: str,
    flags: int = 1,
    adsb: bool = True,
    home: str = "UUMU",
    year: str | None = None,
    alt_step_ft: float = 25.0,
) -> Aircraft:
    return Aircraft(
        icao,
        reg,
        t,
        desc,
        op,
        year=year,
        db_flags=flags,
        category="state",
        adsb=adsb,
        emitter="A3" if t in ("T154", "T204") else "A5",
        callsign_prefix="RSD" if op == ROSSIYA else "RFF",
        home=home,
        alt_step_ft=alt_step_ft,
    )


AN124 = "ANTONOV An-124 Ruslan"
IL76 = "ILYUSHIN Il-76/82"
STATE_FLEET: tuple[Aircraft, ...] = (
    _ru("154076", "RA-82038", "A124", AN124, RU_AF, flags=3, home="UUEM", year="1990"),
    _ru("154077", "RA-82039", "A124", AN124, RU_AF, home="UUEM", year="1990"),
    _ru("1551e0", "RA-86496", "IL62", "ILYUSHIN Il-62", ROSSIYA, adsb=False, alt_step_ft=100.0),
    _ru("152b08", "RF-76552", "IL76", IL76, RU_AF, home="UWOO"),
    _ru("152b06", "RF-76550", "IL76", IL76, RU_AF, home="UUEM"),
    _ru("1533da", "RF-78810", "IL76", IL76, RU_AF, adsb=False, home="UWLW"),
    _ru("152a26", "RF-76326", "IL76", IL76, RU_AF, home="UUMU"),
    _ru("154c31", "RA-85041", "T154", "TUPOLEV Tu-154", RU_AF, home="UUMU", year="1998"),
    _ru("14fbf8", "RA-64504", "T204", "TUPOLEV Tu-204/214/224/234", ROSSIYA, home="UUWW"),
)


def _civil(icao: str, reg: str, t: str, op: str, prefix: str, home: str) -> Aircraft:
    desc = {"A320": "AIRBUS A-320", "A321": "AIRBUS A-321"}[t]
    return Aircraft(
        icao,
        reg,
        t,
        desc,
        op,
        year=None,
        db_flags=0,
        category="civil",
        adsb=True,
        emitter="A3",
        callsign_prefix=prefix,
        home=home,
    )


CIVIL_FLEET: tuple[Aircraft, ...] = (
    _civil("7780a1", "YK-AKA", "A320", "Syrian Arab Airlines", "SYR", "OSLK"),
    _civil("7780a5", "YK-AKE", "A320", "Syrian Arab Airlines", "SYR", "OSLK"),
    _civil("7781c7", "YK-BAG", "A320", "Cham Wings Airlines", "SAW", "OSLK"),
    _civil("151dc8", "RA-73160", "A321", "Red Wings Airlines", "RWZ", "UUDD"),
)

FLEET: tuple[Aircraft, ...] = STATE_FLEET + CIVIL_FLEET


def by_registration(reg: str) -> Aircraft:
    """The fleet's aircraft with registration ``reg``."""
    return next(a for a in FLEET if a.registration == reg)


def of_type(type_code: str) -> tuple[Aircraft, ...]:
    """The state aircraft of one type."""
    return tuple(a for a in STATE_FLEET if a.type_code == type_code)
