"""Look aircraft up: one by address or registration (with reasons), or many by class and list.

Both (re)build ``aircraft_class`` first when it is stale (``Classifier.ensure``): when positions
or aircraft changed (row counts, newest ingest or import), or the rules or watchlists did.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa

from basewatch.config import Config, load_config
from basewatch.errors import UsageError
from basewatch.identify.classify import TABLE, Classifier
from basewatch.store import Store

_ADDRESS = re.compile(r"~?[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Reason:
    """One piece of evidence: which rule, what it says (military/state/civil), how strongly."""

    rule: str
    says: str
    weight: float
    detail: str
    source: str


@dataclass(frozen=True)
class Watched:
    name: str
    label: str


@dataclass(frozen=True)
class AircraftIdentity:
    """Who an aircraft is, and why basewatch believes it (``as_json`` is the CLI's shape)."""

    icao24: str
    country: str | None
    country_name: str | None
    registration: str | None
    type: str | None
    type_desc: str | None
    operator: str | None
    military: bool | None
    state: bool | None
    verdict: str
    confidence: float | None
    reasons: tuple[Reason, ...]
    watchlists: tuple[Watched, ...]
    seen: bool

    def as_json(self) -> dict[str, Any]:
        """``aircraft show --json``: DESIGN.md's keys first, then verdict, confidence, ..."""
        return {
            "icao24": self.icao24,
            "country": self.country,
            "registration": self.registration,
            "type": self.type,
            "operator": self.operator,
            "military": self.military,
            "state": self.state,
            "reasons": [asdict(r) for r in self.reasons],
            "verdict": self.verdict,
            "confidence": self.confidence,
            "watchlists": [asdict(w) for w in self.watchlists],
            "country_name": self.country_name,
            "type_desc": self.type_desc,
            "seen": self.seen,
        }


def identify(
    store: Store,
    hex_or_reg: str,
    config: Config | None = None,
    classifier: Classifier | None = None,
) -> AircraftIdentity:
    """The identity of one aircraft, by ICAO address (``~`` ones too) or by registration.

    An address the store has never seen is still classified (country, military ranges); an
    unknown registration is a UsageError.
    """
    config = config if config is not None else load_config(None)
    classifier = classifier or Classifier.from_config(config)
    classifier.ensure(store)
    query = hex_or_reg.strip()
    if _ADDRESS.fullmatch(query):
        rows = _rows(store, f"SELECT * FROM {TABLE} WHERE icao24 = ?", [query.lower()])
        if not rows:
            rows = classifier.probe(store, [query.lower()]).to_pylist()
            return identity_of(rows[0], config, seen=False)
        return identity_of(rows[0], config, seen=True)
    rows = _rows(
        store,
        f"SELECT * FROM {TABLE} WHERE replace(upper(registration), '-', '') = ? "
        "ORDER BY upper(registration) = ? DESC, verdict = 'unknown', icao24 LIMIT 1",
        [query.upper().replace("-", ""), query.upper()],
    )
    if not rows:
        raise UsageError(
            f"no aircraft with address or registration {query!r} in {store.path}; give a "
            "6-hex-digit ICAO address, or import an aircraft database (basewatch aircraft import)"
        )
    return identity_of(rows[0], config, seen=True)


def list_aircraft(
    store: Store,
    military: bool | None = None,
    country: str | None = None,
    watchlist: str | None = None,
    state: bool | None = None,
    config: Config | None = None,
    classifier: Classifier | None = None,
) -> pa.Table:
    """Classified aircraft (table ``aircraft_class``), filtered, ordered by address.

    ``military``/``state`` True keeps those classified so, False those classified not so;
    ``country`` is an ISO 3166-1 alpha-2 code; ``watchlist`` a watchlist name from the config.
    """
    config = config if config is not None else load_config(None)
    if watchlist is not None and config.watchlist(watchlist) is None:
        known = ", ".join(w.name for w in config.watchlists) or "none configured"
        raise UsageError(f"unknown watchlist {watchlist!r} (in {config.origin}: {known})")
    (classifier or Classifier.from_config(config)).ensure(store)
    where: list[str] = ["TRUE"]
    params: list[object] = []
    for column, value in (("military", military), ("state", state)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if country is not None:
        where.append("country = ?")
        params.append(country.strip().upper())
    if watchlist is not None:
        where.append("list_contains(watchlists, ?)")
        params.append(watchlist)
    sql = f"SELECT * FROM {TABLE} WHERE {' AND '.join(where)} ORDER BY icao24"
    table: pa.Table = store.con.sql(sql, params=params).to_arrow_table()
    return table


def _rows(store: Store, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = store.con.sql(sql, params=params).to_arrow_table().to_pylist()
    return rows


def identity_of(row: dict[str, Any], config: Config, seen: bool) -> AircraftIdentity:
    """An aircraft's identity from its row of the lookup query (registry, class, watchlists);
    ``seen``: whether the store holds positions of it."""
    labels = {w.name: w.label for w in config.watchlists}
    return AircraftIdentity(
        icao24=row["icao24"],
        country=row["country"],
        country_name=row["country_name"],
        registration=row["registration"],
        type=row["type_code"],
        type_desc=row["type_desc"],
        operator=row["operator"],
        military=row["military"],
        state=row["state"],
        verdict=row["verdict"],
        confidence=row["confidence"],
        reasons=tuple(Reason(**r) for r in row["reasons"]),
        watchlists=tuple(Watched(n, labels.get(n, n)) for n in row["watchlists"]),
        seen=seen,
    )
