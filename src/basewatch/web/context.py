"""What every request reads from: the store (opened read-only, or shared with the watcher that
runs in this process), the config and its bases, a fresh cursor per request, and notes on
derived tables that are missing or older than the positions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
from fastapi import HTTPException

from basewatch.activity import ResolvedBase, VisitDetector, resolve_base
from basewatch.config import Config
from basewatch.errors import UsageError
from basewatch.flights.build import FlightBuilder
from basewatch.identify.classify import Classifier
from basewatch.store import Store

#: Tables the pages read beyond ``positions`` and ``ingests``, and the verb that makes each.
DERIVED = {
    "flights": "basewatch flights",
    "set_aside": "basewatch flights",
    "aircraft_class": "basewatch aircraft list",
}


class Context:
    """The app's shared state: ``reader()`` gives each request its own cursor on the store."""

    def __init__(self, store: Store, config: Config, read_only: bool) -> None:
        self.store = store
        self.config = config
        #: True when this process may not write (no watcher): the store cannot change under us
        self.read_only = read_only
        self._lock = threading.Lock()
        self._root = store.con.cursor()  # cursors come from this one, never the watcher's own
        self._notes: tuple[list[str], set[str]] | None = None
        self._bases: dict[str, ResolvedBase] = {}

    @contextmanager
    def reader(self) -> Iterator[Store]:
        """A store over a new cursor (its own temp tables and transaction), closed after use."""
        with self._lock:
            con = self._root.cursor()
        try:
            con.execute("SET TimeZone = 'UTC'")
            yield Store(con, self.store.path)
        finally:
            con.close()

    def close(self) -> None:
        self._root.close()

    def base(self, name: str) -> ResolvedBase:
        """The base called ``name`` (config key or ICAO code), else 404."""
        key = name.strip()
        if key not in self._bases:
            try:
                self._bases[key] = resolve_base(key, self.config)
            except UsageError as exc:
                raise HTTPException(404, str(exc)) from exc
        return self._bases[key]

    def status(self, store: Store) -> tuple[list[str], set[str]]:
        """Notes for the pages (missing or stale derived tables) and the missing tables.

        A read-only store cannot change while we hold it, so it is checked once; with the
        watcher running, the pipeline keeps flights and classes current and only missing
        tables are reported."""
        if self._notes is not None:
            return self._notes
        missing = missing_tables(store)
        notes = [
            f"The store has no {table} table yet: stop the dashboard (it holds the store "
            f"read-only), run `{verb}` once, then start it again; pages show what the store holds."
            for table, verb in DERIVED.items()
            if table in missing and table != "set_aside"
        ]
        if self.read_only:
            notes += stale_notes(store, self.config, missing)
            self._notes = (notes, missing)
        return notes, missing

    def visit_rows(self, store: Store, base: ResolvedBase) -> list[dict[str, Any]]:
        """The base's visits from the stored flights and classes, in arrival order (nothing is
        written; none when flights or classes are missing)."""
        _, missing = self.status(store)
        if missing & {"flights", "aircraft_class"}:
            return []
        detector = VisitDetector(base, self.config, maintained=True, save=False)
        table: pa.Table = detector.detect(store)
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows


def missing_tables(store: Store) -> set[str]:
    """Which of the derived tables the store lacks."""
    names = list(DERIVED)
    found = store.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE list_contains(?, table_name)",
        [names],
    ).fetchall()
    return set(names) - {str(r[0]) for r in found}


def stale_notes(store: Store, config: Config, missing: set[str]) -> list[str]:
    """Notes when flights or classes were built from fewer positions than the store holds."""
    notes = []
    if "flights" not in missing and not FlightBuilder().is_current(store):
        notes.append(
            "The flights were built before the latest data was ingested (or with other "
            "settings): visits and flights shown are those of the last build; stop the "
            "dashboard and run `basewatch flights` to bring them up to date."
        )
    if "aircraft_class" not in missing and not Classifier.from_config(config).is_fresh(store):
        notes.append(
            "Aircraft classes were made before the latest data, aircraft imports or rules: "
            "stop the dashboard and run `basewatch aircraft list` to bring them up to date."
        )
    return notes
