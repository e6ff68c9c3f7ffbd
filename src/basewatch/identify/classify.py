"""Set-based state/military classification of every address in the store, with its reasons.

Every address in ``positions`` ∪ ``aircraft`` gets one row of table ``aircraft_class`` (derived;
rebuilt whole with CREATE OR REPLACE). Evidence comes from one SELECT per rule kind (evidence.py);
each piece of evidence *votes* ``military``, ``state`` or ``civil`` with a weight w in (0, 1].

The rule for the final answer, conflicting evidence included:

1. Votes on one side combine as independent signals (noisy-OR): strength = 1 − Π(1 − wᵢ).
   MIL is the strength of the military votes; STATE of the military *and* state votes (state ⊇
   military: Chicago Convention art. 3(b), aircraft in military, customs and police service are
   state aircraft); CIV of the civil votes.
2. ``military`` is true when MIL > CIV, false when CIV > MIL, null when they are equal (no votes
   either way, or a tie). ``state`` likewise compares STATE with CIV. Hence military ⇒ state, and
   not state ⇒ not military.
3. ``verdict``: ``military`` if military; else ``state`` if state; else ``civil`` if state is
   false; ``disputed`` when the evidence ties; ``unknown`` when there is none — never a guess.
4. ``confidence`` is the winning strength discounted by the losing one: MIL·(1 − CIV) for
   military, STATE·(1 − CIV) for state, CIV·(1 − STATE) for civil; null for disputed/unknown.

Nothing is dropped: every vote, on both sides, stays in ``reasons`` (strongest first). So a
database that does not flag an aircraft (civil, 0.35) against a Russian Air Force callsign
(military, 0.95) gives military, confidence 0.95 × 0.65 ≈ 0.62, with both reasons listed.

Country is the address block's state, else the registration's nationality mark; non-ICAO (``~``)
addresses get none.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict

import duckdb
import pyarrow as pa

from basewatch.config import Config, Watchlist
from basewatch.errors import StoreError
from basewatch.identify.blocks import register_blocks
from basewatch.identify.evidence import evidence_sql, match_patterns, prepare_names
from basewatch.identify.registrations import register_registration_prefixes
from basewatch.identify.registry.merge import ensure_aircraft
from basewatch.identify.rules import RuleSet, load_rules
from basewatch.identify.watchlists import match_watchlists
from basewatch.store import Store

TABLE = "aircraft_class"
BUILD_TABLE = "aircraft_class_build"

_FINGERPRINT = """
SELECT (SELECT count(*) FROM positions), (SELECT coalesce(max(ingest_id), 0) FROM ingests),
       (SELECT count(*) FROM aircraft), (SELECT coalesce(max(import_id), 0) FROM aircraft_imports)
"""

_VOTES = """
CREATE OR REPLACE TEMP TABLE _bw_votes AS
SELECT icao24,
       round(1 - coalesce(product(1 - weight) FILTER (WHERE says = 'military'), 1), 9) AS mil,
       round(1 - coalesce(product(1 - weight) FILTER (WHERE says <> 'civil'), 1), 9) AS sta,
       round(1 - coalesce(product(1 - weight) FILTER (WHERE says = 'civil'), 1), 9) AS civ
FROM _bw_ev GROUP BY icao24
"""

#: every reason of an address, strongest first (list_sort on a leading sort key is far cheaper
#: than an ordered aggregate), then the key dropped
_REASONS = """
SELECT icao24,
       [{'rule': r.rule, 'says': r.says, 'weight': r.weight, 'detail': r.detail,
         'source': r.source}
        FOR r IN list_sort(list({'key': -weight, 'rule': rule, 'says': says, 'weight': weight,
                                 'detail': detail, 'source': source}))] AS reasons
FROM _bw_ev GROUP BY icao24
"""

_DECIDE = """
CREATE OR REPLACE TEMP TABLE _bw_decided AS
WITH d AS (
    SELECT *, CASE WHEN mil > civ THEN TRUE WHEN civ > mil THEN FALSE END AS military,
              CASE WHEN sta > civ THEN TRUE WHEN civ > sta THEN FALSE END AS state
    FROM _bw_votes
)
SELECT x.icao24, coalesce(x.block_iso2, k.iso2) AS country,
       coalesce(x.block_country, k.country) AS country_name,
       CASE WHEN x.block_iso2 IS NOT NULL THEN 'address'
            WHEN k.iso2 IS NOT NULL THEN 'registration' END AS country_source,
       CASE WHEN d.military THEN 'military' WHEN d.state THEN 'state'
            WHEN NOT d.state THEN 'civil' WHEN d.icao24 IS NOT NULL THEN 'disputed'
            ELSE 'unknown' END AS verdict,
       d.military, d.state,
       round(CASE WHEN d.military THEN d.mil * (1 - d.civ) WHEN d.state THEN d.sta * (1 - d.civ)
                  WHEN NOT d.state THEN d.civ * (1 - d.sta) END, 3) AS confidence
FROM _bw_addr x
LEFT JOIN d ON d.icao24 = x.icao24
LEFT JOIN _bw_country k ON k.icao24 = x.icao24
"""

#: addresses as integers, with the allocation block's state (blocks are disjoint: ASOF finds the
#: one block that can hold an address, the end check keeps it only if it does)
_ADDRESSES = """
CREATE OR REPLACE TEMP TABLE _bw_addr AS
WITH x AS (
    SELECT icao24, CASE WHEN length(icao24) = 6 THEN TRY_CAST('0x' || icao24 AS INTEGER) END AS addr
    FROM ({addresses}) WHERE icao24 IS NOT NULL
)
SELECT x.icao24, x.addr,
       CASE WHEN x.addr <= b."end" THEN b.iso2 END AS block_iso2,
       CASE WHEN x.addr <= b."end" THEN b.country END AS block_country
FROM x ASOF LEFT JOIN address_blocks b ON x.addr >= b.start
"""

#: the nationality mark of the registration, for ICAO addresses in no state's block: the
#: longest prefix wins, a patterned row before a plain one (registrations.py's semantics)
_COUNTRY_BY_REGISTRATION = """
CREATE OR REPLACE TEMP TABLE _bw_country AS
WITH regs AS (
    SELECT a.icao24, upper(trim(a.registration)) AS reg
    FROM _bw_ac a JOIN _bw_addr x ON x.icao24 = a.icao24
    WHERE a.registration IS NOT NULL AND x.addr IS NOT NULL AND x.block_iso2 IS NULL
)
SELECT r.icao24,
       arg_min(p.iso2, -2 * length(p.prefix) + CAST(p.pattern IS NULL AS INTEGER)) AS iso2,
       arg_min(p.country, -2 * length(p.prefix) + CAST(p.pattern IS NULL AS INTEGER)) AS country
FROM regs r CROSS JOIN range(1, 9) n(len)
JOIN registration_prefixes p ON p.prefix = left(r.reg, CAST(n.len AS INTEGER))
WHERE p.pattern IS NULL OR regexp_full_match(r.reg, p.pattern)
GROUP BY r.icao24
"""


class Classifier:
    """Classify every address in a store: ``Classifier(rules).classify(store)``."""

    def __init__(self, rules: RuleSet | None = None, watchlists: Sequence[Watchlist] = ()) -> None:
        self.rules = rules if rules is not None else load_rules()
        self.watchlists = tuple(watchlists)
        listed = json.dumps([asdict(w) for w in self.watchlists], sort_keys=True)
        self.digest = hashlib.sha256((self.rules.digest + listed).encode()).hexdigest()

    @classmethod
    def from_config(cls, config: Config | None) -> Classifier:
        """Packaged rules plus the config's ``identify:`` rules, and its watchlists."""
        return cls(load_rules(config), config.watchlists if config else ())

    def classify(self, store: Store) -> pa.Table:
        """Rebuild ``aircraft_class`` and return it (ordered by icao24)."""
        self.build(store)
        return store.con.sql(f"SELECT * FROM {TABLE} ORDER BY icao24").to_arrow_table()

    def build(self, store: Store) -> None:
        """Rebuild ``aircraft_class`` and record what it was built from (see ``is_fresh``)."""
        con = store.con
        try:
            con.begin()
            self._run(con, "SELECT icao24 FROM positions UNION SELECT icao24 FROM aircraft", None)
            con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS {_FINAL}")
            fingerprint = _first(con, _FINGERPRINT)
            con.execute(
                f"CREATE OR REPLACE TABLE {BUILD_TABLE} AS SELECT ? AS positions, "
                "? AS max_ingest_id, ? AS aircraft, ? AS max_import_id, ? AS digest, "
                "now() AS built_at",
                [*(fingerprint or (0, 0, 0, 0)), self.digest],
            )
            con.commit()
        except duckdb.Error as exc:
            con.rollback()
            raise StoreError(f"{store.path}: classifying aircraft failed: {exc}") from exc
        finally:
            _drop_temps(con)

    def update(self, store: Store, addresses: Sequence[str]) -> None:
        """Re-classify just ``addresses`` (they had new positions): each address's verdict
        depends only on its own records and callsigns, so this equals a rebuild."""
        if not addresses:
            return
        self._merge_imports(store)
        if not self.is_fresh_except_positions(store):
            self.ensure(store)
            return
        table = self.probe(store, addresses)
        con = store.con
        con.register("_bw_updated", table)
        try:
            con.begin()
            con.execute(f"DELETE FROM {TABLE} WHERE icao24 IN (SELECT icao24 FROM _bw_updated)")
            con.execute(f"INSERT INTO {TABLE} SELECT * FROM _bw_updated")
            fingerprint = _first(con, _FINGERPRINT) or (0, 0, 0, 0)
            con.execute(
                f"UPDATE {BUILD_TABLE} SET positions = ?, max_ingest_id = ?, built_at = now()",
                [fingerprint[0], fingerprint[1]],
            )
            con.commit()
        except duckdb.Error as exc:
            con.rollback()
            raise StoreError(f"{store.path}: re-classifying aircraft failed: {exc}") from exc
        finally:
            con.unregister("_bw_updated")

    def is_fresh_except_positions(self, store: Store) -> bool:
        """True when ``aircraft_class`` was built from the current aircraft table, rules and
        watchlists (positions may have grown since)."""
        exists = _first(
            store.con,
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN (?, ?)",
            [TABLE, BUILD_TABLE],
        )
        if exists != (2,):
            return False
        built = _first(store.con, f"SELECT aircraft, max_import_id, digest FROM {BUILD_TABLE}")
        now = _first(store.con, _FINGERPRINT)
        return built is not None and now is not None and (*now[2:], self.digest) == tuple(built)

    def probe(self, store: Store, addresses: Sequence[str]) -> pa.Table:
        """Classify the given addresses (seen or not) without writing anything."""
        con = store.con
        wanted = pa.table({"icao24": pa.array(list(addresses), pa.string())})
        con.register("_bw_wanted", wanted)
        try:
            self._run(con, "SELECT DISTINCT icao24 FROM _bw_wanted", "_bw_wanted")
            table: pa.Table = con.sql(f"{_FINAL} ORDER BY icao24").to_arrow_table()
            return table
        except duckdb.Error as exc:
            raise StoreError(f"{store.path}: classifying {list(addresses)} failed: {exc}") from exc
        finally:
            with contextlib.suppress(duckdb.Error):
                con.unregister("_bw_wanted")
            _drop_temps(con)

    def is_fresh(self, store: Store) -> bool:
        """True when ``aircraft_class`` exists and positions, aircraft (row counts, newest ingest
        and import ids), the rules and the watchlists are all as they were when it was built."""
        con = store.con
        exists = _first(
            con,
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN (?, ?)",
            [TABLE, BUILD_TABLE],
        )
        if exists != (2,):
            return False
        built = _first(
            con,
            f"SELECT positions, max_ingest_id, aircraft, max_import_id, digest FROM {BUILD_TABLE}",
        )
        now = _first(con, _FINGERPRINT)
        return built is not None and now is not None and (*now, self.digest) == tuple(built)

    def ensure(self, store: Store) -> bool:
        """Build ``aircraft_class`` unless it is fresh; True when it was (re)built."""
        self._merge_imports(store)
        if self.is_fresh(store):
            return False
        self.build(store)
        return True

    def _merge_imports(self, store: Store) -> None:
        """Merge aircraft imports that ``aircraft`` does not reflect yet (trace headers)."""
        store.con.execute("BEGIN TRANSACTION")
        try:
            ensure_aircraft(store.con)
            store.con.execute("COMMIT")
        except BaseException:
            store.con.execute("ROLLBACK")
            raise

    def _run(self, con: duckdb.DuckDBPyConnection, addresses: str, only: str | None) -> None:
        """Create the temp tables ``_FINAL`` reads, for the given addresses."""
        register_blocks(con)
        register_registration_prefixes(con)
        con.execute(_ADDRESSES.format(addresses=addresses))
        semi = f"WHERE icao24 IN (SELECT icao24 FROM {only})" if only else ""
        con.execute(f"CREATE OR REPLACE TEMP VIEW _bw_ac AS SELECT * FROM aircraft {semi}")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _bw_calls AS "
            "SELECT DISTINCT icao24, upper(trim(callsign)) AS callsign FROM positions "
            f"{semi or 'WHERE TRUE'} AND callsign IS NOT NULL AND trim(callsign) <> ''"
        )
        for name, table in self.rules.tables().items():
            con.register(f"_bw_r_{name}", table)
        try:
            prepare_names(con)
            for section in ("callsigns", "registrations", "operators"):
                match_patterns(con, section, getattr(self.rules, section))
            con.execute(f"CREATE OR REPLACE TEMP TABLE _bw_ev AS {evidence_sql()}")
            con.execute(_VOTES)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _bw_reasons AS {_REASONS}")
            con.execute(_COUNTRY_BY_REGISTRATION)
            con.execute(_DECIDE)
            match_watchlists(con, self.watchlists)
        finally:
            for name in self.rules.tables():
                with contextlib.suppress(duckdb.Error):  # the caller rolls back on failure
                    con.unregister(f"_bw_r_{name}")


_FINAL = """
SELECT d.icao24, a.registration, a.type_code, a.type_desc, a.operator,
       d.country, d.country_name, d.country_source, d.verdict, d.military, d.state, d.confidence,
       coalesce(r.reasons, []) AS reasons, coalesce(w.watchlists, []) AS watchlists
FROM _bw_decided d
LEFT JOIN _bw_ac a ON a.icao24 = d.icao24
LEFT JOIN _bw_reasons r ON r.icao24 = d.icao24
LEFT JOIN _bw_wl w ON w.icao24 = d.icao24
"""

_TEMPS = (
    "_bw_addr",
    "_bw_calls",
    "_bw_names",
    "_bw_values_callsigns",
    "_bw_values_registrations",
    "_bw_values_operators",
    "_bw_hits_callsigns",
    "_bw_hits_registrations",
    "_bw_hits_operators",
    "_bw_ev",
    "_bw_votes",
    "_bw_reasons",
    "_bw_country",
    "_bw_decided",
    "_bw_wl",
)


def _first(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> tuple[object, ...] | None:
    """The first row of a query, the result read to its end (DuckDB wants that before new work)."""
    rows = con.execute(sql, params or []).fetchall()
    return tuple(rows[0]) if rows else None


def _drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS _bw_ac")
    for name in _TEMPS:
        con.execute(f"DROP TABLE IF EXISTS {name}")
