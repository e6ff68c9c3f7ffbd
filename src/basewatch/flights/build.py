"""Build the ``flights`` and ``set_aside`` tables from ``positions``, aircraft bucket by bucket.

Positions are read sorted by (icao24, time) in hash buckets of addresses so memory stays bounded;
a flight never spans buckets because a flight never spans aircraft. Rebuilt when stale.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pyarrow as pa

from basewatch.flights.endpoints import EndpointFinder
from basewatch.flights.segment import COLUMNS, SET_ASIDE_SCHEMA, Segmenter
from basewatch.store import Store

#: Sort order of the segmenter's input; the tie-breakers make repeated times deterministic.
ORDER = "icao24, time, lat, lon, alt_baro_ft NULLS LAST, gs_kt NULLS LAST"
#: Positions per bucket: small enough that its arrays are reused from bucket to bucket (fewer
#: page faults), large enough that the per-bucket scan of the table stays cheap.
BUCKET_POSITIONS = 1_000_000


@dataclass(frozen=True)
class FlightBuilder:
    """Segmentation + airport attribution over the whole store (the flights stage's verb)."""

    segmenter: Segmenter = field(default_factory=Segmenter)
    endpoints: EndpointFinder = field(default_factory=EndpointFinder)
    bucket_positions: int = BUCKET_POSITIONS

    def build(self, store: Store) -> pa.Table:
        """Recompute ``flights`` and ``set_aside``; returns the flights."""
        con = store.con
        total = con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
        buckets = max(1, math.ceil(total / self.bucket_positions))
        flights, aside = [], []
        for b in range(buckets):
            where = f"WHERE hash(icao24) % {buckets} = {b}" if buckets > 1 else ""
            table = con.sql(
                f"SELECT {', '.join(COLUMNS)} FROM positions {where} ORDER BY {ORDER}"
            ).to_arrow_table()
            f, a = self.segmenter.segments(table)
            flights.append(self.endpoints.attribute(con, f))
            aside.append(a)
        result = pa.concat_tables(flights).sort_by(
            [("icao24", "ascending"), ("start_time", "ascending")]
        )
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("bw_new_flights", result)
            con.execute("CREATE OR REPLACE TABLE flights AS SELECT * FROM bw_new_flights")
            con.register("bw_new_aside", pa.concat_tables(aside).cast(SET_ASIDE_SCHEMA))
            con.execute("CREATE OR REPLACE TABLE set_aside AS SELECT * FROM bw_new_aside")
            con.execute(
                "CREATE OR REPLACE TABLE flights_build AS SELECT ? AS fingerprint",
                [fingerprint(store, self)],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("bw_new_flights")
            con.unregister("bw_new_aside")
        return result

    def ensure(self, store: Store) -> None:
        """Build unless the stored flights come from the same positions and settings."""
        has = store.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'flights_build'"
        ).fetchall()[0][0]
        if has:
            row = store.con.execute("SELECT fingerprint FROM flights_build").fetchall()
            if row and row[0][0] == fingerprint(store, self):
                return
        self.build(store)


def fingerprint(store: Store, builder: FlightBuilder) -> str:
    """What the flights depend on: positions (count, newest ingest) and the settings."""
    count, newest = store.con.execute(
        "SELECT count(*), coalesce(max(ingest_id), 0) FROM positions"
    ).fetchall()[0]
    return json.dumps([count, newest, repr(builder.segmenter), repr(builder.endpoints)])
