"""The store's tables, versioned: each migration runs once, in order, inside a transaction."""

from __future__ import annotations

import duckdb

from basewatch.errors import StoreError

_POSITION_COLUMNS = """
    time TIMESTAMPTZ NOT NULL,
    icao24 VARCHAR NOT NULL,
    callsign VARCHAR,
    lat DOUBLE NOT NULL,
    lon DOUBLE NOT NULL,
    alt_baro_ft INTEGER,
    alt_geom_ft INTEGER,
    gs_kt FLOAT,
    track_deg FLOAT,
    vrate_fpm FLOAT,
    on_ground BOOLEAN,
    squawk VARCHAR,
    pos_source VARCHAR NOT NULL,
    new_leg BOOLEAN,
    stale BOOLEAN,
    ingest_id BIGINT NOT NULL
"""

_AIRCRAFT_FIELDS = """
    registration VARCHAR, type_code VARCHAR, type_desc VARCHAR, operator VARCHAR, owner VARCHAR,
    year VARCHAR, military BOOLEAN, interesting BOOLEAN, pia BOOLEAN, ladd BOOLEAN,
    cmpg VARCHAR, category VARCHAR, tags VARCHAR[], link VARCHAR
"""

#: Migration n brings the store from version n to n + 1.
MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE TABLE ingests (
        ingest_id BIGINT PRIMARY KEY,
        path VARCHAR NOT NULL,
        format VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        size_bytes BIGINT,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        accepted BIGINT NOT NULL DEFAULT 0,
        rejected BIGINT NOT NULL DEFAULT 0,
        duplicates BIGINT NOT NULL DEFAULT 0,
        first_time TIMESTAMPTZ,
        last_time TIMESTAMPTZ
    );
    CREATE TABLE positions ({_POSITION_COLUMNS});
    CREATE TABLE rejects (
        ingest_id BIGINT NOT NULL,
        path VARCHAR NOT NULL,
        record BIGINT,
        byte_offset BIGINT,
        reason VARCHAR NOT NULL,
        raw VARCHAR
    );
    """,
    # 2: aircraft databases imported by the user, field by field with their source
    f"""
    CREATE TABLE aircraft_imports (
        import_id BIGINT PRIMARY KEY,
        path VARCHAR NOT NULL,
        format VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        size_bytes BIGINT,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        accepted BIGINT NOT NULL DEFAULT 0,
        rejected BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE aircraft_records (
        icao24 VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        import_id BIGINT NOT NULL,
        {_AIRCRAFT_FIELDS},
        PRIMARY KEY (icao24, source)
    );
    CREATE TABLE aircraft_rejects (
        import_id BIGINT NOT NULL,
        path VARCHAR NOT NULL,
        record BIGINT,
        byte_offset BIGINT,
        reason VARCHAR NOT NULL,
        raw VARCHAR
    );
    CREATE TABLE aircraft (
        icao24 VARCHAR PRIMARY KEY,
        {_AIRCRAFT_FIELDS},
        field_sources MAP(VARCHAR, VARCHAR)
    );
    """,
    # 3: which aircraft imports the merged ``aircraft`` table reflects (imports written by the
    # ingest, from readsb trace headers, are merged by the identify stage when it next runs)
    """
    CREATE TABLE aircraft_merge_state (merged_upto BIGINT NOT NULL);
    INSERT INTO aircraft_merge_state VALUES (0);
    """,
    # 4: alerts raised (one row per stable alert id: dedup across restarts and feeds) and their
    # delivery to each sink (a row without delivered_at is retried when the watcher restarts)
    """
    CREATE TABLE alerts (
        alert_id VARCHAR PRIMARY KEY,
        seq BIGINT NOT NULL,
        kind VARCHAR NOT NULL,
        subject VARCHAR NOT NULL,
        event_time TIMESTAMPTZ NOT NULL,
        raised_at TIMESTAMPTZ NOT NULL,
        doc VARCHAR NOT NULL
    );
    CREATE TABLE alert_deliveries (
        alert_id VARCHAR NOT NULL,
        sink VARCHAR NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        delivered_at TIMESTAMPTZ,
        last_error VARCHAR,
        PRIMARY KEY (alert_id, sink)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open store (0 for an empty database)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()  # fetchall closes the result (fetchone leaves it open for later .sql calls)
    if not exists[0][0]:
        return 0
    rows = con.execute("SELECT max(version) FROM schema_version").fetchall()
    return int(rows[0][0]) if rows[0][0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection, path: str) -> int:
    """Apply pending migrations; refuse a store written by a newer basewatch."""
    version = current_version(con)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: store schema version {version} is newer than this basewatch "
            f"({SCHEMA_VERSION}); upgrade basewatch to open it"
        )
    if version == SCHEMA_VERSION:
        return version
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        for target, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [target])
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise StoreError(f"{path}: migrating the store failed: {exc}") from exc
    return SCHEMA_VERSION
