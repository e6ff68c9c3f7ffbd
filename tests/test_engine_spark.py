"""The Spark engine gives the DuckDB engine's flights, classes, visits and events, row for row.

The per-partition tasks (engines/partition.py) are checked without Spark: any split of the
addresses into partitions and batches gives the store's rows. The Spark tests run pyspark in
local mode and skip, saying why, without pyspark or Java. Floats are compared exactly: both
engines run the same numpy kernel and the same SQL text over the same rows of each aircraft,
and Parquet keeps float64/float32 bit for bit, so any difference is a bug, not rounding.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from basewatch import (
    ActivityAnalyzer,
    Classifier,
    Config,
    FlightBuilder,
    Store,
    VisitDetector,
    load_config,
    resolve_base,
)
from basewatch.engines.partition import (
    ASIDE_COLUMN,
    CLASS_COLUMN,
    FLIGHT_COLUMN,
    ClassTask,
    FlightTask,
    VisitTask,
    unpack,
    whole_aircraft,
)
from basewatch.engines.spark import activity_by_base
from basewatch.flights.build import ORDER
from basewatch.flights.segment import COLUMNS
from basewatch.simulate import Scenario
from tests.track_store import insert, table
from tests.tracks import Track

MIDNIGHT = datetime(2024, 3, 2, tzinfo=UTC)
FLIGHT_KEYS = ["icao24", "start_time"]
ASIDE_KEYS = ["icao24", "time", "lat", "lon", "reason"]
VISIT_KEYS = ["base", "arrival_time", "icao24", "flight_id"]


# -- the DuckDB side ---------------------------------------------------------------------------
class Reference:
    """The DuckDB engine's results for a store: flights, classes, visits of every base, and
    the activity of each base's arrivals (as the report reads them: to the second)."""

    def __init__(self, store: Store, config: Config) -> None:
        self.bases = [resolve_base(b.name, config) for b in config.bases]
        self.flights = FlightBuilder().build(store)
        self.set_aside = store.con.sql("SELECT * FROM set_aside").to_arrow_table()
        Classifier.from_config(config).ensure(store)
        self.aircraft = store.con.sql("SELECT * FROM aircraft").to_arrow_table()
        self.classes = store.con.sql("SELECT * FROM aircraft_class").to_arrow_table()
        self.visits = pa.concat_tables(
            VisitDetector(b, config, save=False).detect(store) for b in self.bases
        )
        self.activity = activity_by_base(self.visits, ActivityAnalyzer(), self._names())
        self.sorted_positions = store.con.sql(
            f"SELECT {', '.join(COLUMNS)} FROM positions ORDER BY {ORDER}"
        ).to_arrow_table()

    def _names(self) -> list[str]:
        return [b.name for b in self.bases]


def same_rows(duck: pa.Table, other: pa.Table, keys: list[str]) -> None:
    """Same columns, same rows (sorted by ``keys``), values equal exactly."""
    assert sorted(other.schema.names) == sorted(duck.schema.names)
    other = other.select(duck.schema.names).cast(duck.schema)
    a, b = (
        duck.sort_by([(k, "ascending") for k in keys]),
        other.sort_by([(k, "ascending") for k in keys]),
    )
    assert a.num_rows == b.num_rows
    for name in duck.schema.names:
        assert a.column(name).equals(b.column(name)), name


def midnight_tracks() -> pa.Table:
    """Six aircraft; the first flies Zurich → Moscow across midnight UTC, the second lands at
    Hmeimim just after it, dark below 6,000 ft."""
    late = (MIDNIGHT.timestamp()) - 50 * 60
    a = Track("4b1805", "SWR1390", start=late, seed=1).at("LSZH").taxi(4).hop("UUEE").taxi(3)
    b = Track("15a3c2", "RFF7001", start=late, seed=2).at("UUMU").taxi(3).hop("OSLK").taxi(3)
    b.park(90).taxi(3).hop("HLLB", dark_below_agl_ft=6_000).gap(240, move=False).appear()
    tracks = [a, b]
    for i, (dep, to) in enumerate([("LFPG", "EGLL"), ("EDDF", "LSZH"), ("OSDI", "OSLK")]):
        t = Track(f"4ca{i:03d}", f"TST{i}", start=late + 600 * i, seed=10 + i)
        tracks.append(t.at(dep).taxi(3).hop(to).taxi(2).park(20).taxi(2).hop(dep).taxi(2))
    tracks.append(Track("~a0b1c2", None, start=late, seed=9).at("LFPG").taxi(2).hop("LFLL"))
    return table(tracks)


@pytest.fixture(scope="module")
def midnight(tmp_path_factory: pytest.TempPathFactory) -> tuple[Reference, Path, Config]:
    folder = tmp_path_factory.mktemp("midnight")
    config = load_config(None)
    with Store.open(folder / "store.duckdb") as store:
        insert(store, midnight_tracks())
        reference = Reference(store, config)
        store.export_positions(folder / "positions", "parquet")
    return reference, folder / "positions", config


# -- the tasks, without Spark ------------------------------------------------------------------
def random_batches(t: pa.Table, seed: int, most: int = 400) -> list[pa.RecordBatch]:
    rng, out, at = random.Random(seed), [], 0
    while at < t.num_rows:
        size = rng.randint(1, most)
        out += t.slice(at, size).to_batches()
        at += size
    return out


def test_whole_aircraft_never_splits_an_address(
    midnight: tuple[Reference, Path, Config],
) -> None:
    positions = midnight[0].sorted_positions
    for rows in (1, 97, 1_000, 10**9):
        chunks = list(whole_aircraft(random_batches(positions, rows), rows))
        seen = [set(pc.unique(c.column("icao24")).to_pylist()) for c in chunks]
        assert sum(len(s) for s in seen) == len(set().union(*seen)) == 6
        assert pa.concat_tables(chunks).equals(positions)
        if rows == 1:
            assert len(chunks) == 6


def test_flight_task_equals_flight_builder_whatever_the_split(
    midnight: tuple[Reference, Path, Config],
) -> None:
    reference = midnight[0]
    positions = reference.sorted_positions
    icao = positions.column("icao24").to_pylist()
    for seed, chunk in ((0, 150), (1, 10**6)):
        # two "partitions": the addresses dealt at random, each partition sorted like Spark's
        rng = random.Random(seed)
        side = {a: rng.random() < 0.5 for a in set(icao)}
        mask = pa.array([side[a] for a in icao])
        task = FlightTask(chunk_positions=chunk)
        parts = [positions.filter(mask), positions.filter(pc.invert(mask))]
        out = pa.Table.from_batches([b for p in parts for b in task(random_batches(p, seed))])
        same_rows(reference.flights, unpack(out, FLIGHT_COLUMN), FLIGHT_KEYS)
        same_rows(reference.set_aside, unpack(out, ASIDE_COLUMN), ASIDE_KEYS)
    crossing = reference.flights.filter(pc.equal(reference.flights.column("icao24"), "4b1805"))
    row = crossing.to_pylist()[0]
    assert row["start_time"] < MIDNIGHT < row["end_time"]
    assert (row["takeoff_airport"], row["landing_airport"]) == ("LSZH", "UUEE")


def test_class_and_visit_tasks_equal_the_store(
    midnight: tuple[Reference, Path, Config],
) -> None:
    reference, _, config = midnight
    calls = reference.sorted_positions.select(["icao24", "callsign"])
    first = pc.less(calls.column("icao24"), "4ca001")  # two partitions of addresses
    task = ClassTask(config, reference.aircraft)
    classes = pa.concat_tables(task.classify(calls.filter(m)) for m in (first, pc.invert(first)))
    same_rows(reference.classes, classes, ["icao24"])
    packed = pc.make_struct(
        *[reference.classes.column(n) for n in reference.classes.schema.names[1:]],
        field_names=reference.classes.schema.names[1:],
    )
    by_icao = dict(zip(reference.classes.column("icao24").to_pylist(), packed, strict=True))
    flights = reference.flights
    rows = flights.append_column(
        CLASS_COLUMN,
        pa.array([by_icao[a].as_py() for a in flights.column("icao24").to_pylist()], packed.type),
    )
    visits = pa.Table.from_batches(
        VisitTask(config, reference.bases)(random_batches(rows, 3, most=5))
    )
    same_rows(reference.visits, visits, VISIT_KEYS)
    assert visits.num_rows > 0  # Hmeimim, and Chkalovsky the state aircraft came from


# -- Spark -------------------------------------------------------------------------------------
def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'basewatch[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and Path(java_home, "bin", "java").exists()):
        return "no Java runtime for Spark (Debian: apt-get install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    why = _spark_missing()
    if why:
        pytest.skip(why)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("basewatch-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "100000")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "2000")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_results(folder: Path) -> dict[str, pa.Table]:
    names = ("flights", "set_aside", "aircraft_class", "visits")
    return {name: pq.read_table(folder / name) for name in names}


def check_run(
    spark: Any, reference: Reference, positions: Path, out: Path, config: Config, **opts: Any
) -> dict[str, Any]:
    """``SparkEngine.run`` over the exported positions, compared with the DuckDB results."""
    import json

    from basewatch.engines import SparkEngine

    engine = SparkEngine(spark, config, aircraft=reference.aircraft, **opts)
    counts = engine.run(str(positions), str(out))
    got = spark_results(out)
    same_rows(reference.flights, got["flights"], FLIGHT_KEYS)
    same_rows(reference.set_aside, got["set_aside"], ASIDE_KEYS)
    same_rows(reference.classes, got["aircraft_class"], ["icao24"])
    same_rows(reference.visits, got["visits"], VISIT_KEYS)
    assert json.loads((out / "activity.json").read_text()) == reference.activity
    assert counts["flights"] == reference.flights.num_rows
    return counts


def test_cli_run_then_attach_serves_the_spark_flights(
    spark: Any, midnight: tuple[Reference, Path, Config], tmp_path: Path
) -> None:
    """spark aircraft → spark run → spark attach: the store then answers ``visits`` from the
    Spark flights without rebuilding them (they count as current: same positions)."""
    import json

    from typer.testing import CliRunner

    from basewatch.activity.visits import visit_json
    from basewatch.cli import app
    from basewatch.flights.build import fingerprint

    reference, positions, _ = midnight
    db, out, registry = tmp_path / "s.duckdb", tmp_path / "out", tmp_path / "aircraft.parquet"
    shutil.copy(positions.parent / "store.duckdb", db)
    runner = CliRunner()

    def cli(*args: str) -> str:
        done = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        return done.stdout

    cli("spark", "aircraft", "--db", db, "--out", registry)
    summary = json.loads(
        cli(
            "spark",
            "run",
            "--positions",
            positions,
            "--out",
            out,
            "--aircraft",
            registry,
            "--master",
            "local[2]",
            "--json",
        )
    )
    assert summary["flights"] == reference.flights.num_rows
    assert summary["read"]["positions"] == reference.sorted_positions.num_rows
    assert json.loads(cli("spark", "attach", "--db", db, "--results", out, "--json"))["current"]
    with Store.open(db) as store:
        built = store.con.execute("SELECT fingerprint FROM flights_build").fetchall()[0][0]
        assert built == fingerprint(store, FlightBuilder())
        aside = store.con.sql("SELECT * FROM set_aside").to_arrow_table()
        same_rows(reference.set_aside, aside, ASIDE_KEYS)
    got = json.loads(cli("visits", "--base", "hmeimim", "--db", db, "--json"))
    hmeimim = reference.visits.filter(pc.equal(reference.visits.column("base"), "hmeimim"))
    assert got == [visit_json(r) for r in hmeimim.to_pylist()]
    assert got, "the Il-76 of the midnight tracks visits Hmeimim"


def test_engine_flag_makes_the_flights_on_spark_once(
    spark: Any, midnight: tuple[Reference, Path, Config], tmp_path: Path
) -> None:
    """``basewatch --engine spark flights|visits``: stale flights are made on Spark (export,
    run, attach) and read as DuckDB's would be; once current, nothing runs again."""
    import json

    from typer.testing import CliRunner

    from basewatch.cli import app

    reference, positions, _ = midnight
    duck, db = tmp_path / "duck.duckdb", tmp_path / "s.duckdb"
    shutil.copy(positions.parent / "store.duckdb", duck)
    shutil.copy(duck, db)
    with Store.open(db) as store:  # as after an ingest: no flights yet
        store.con.execute("DROP TABLE flights; DROP TABLE flights_build; DROP TABLE set_aside")
    runner = CliRunner()

    def cli(*args: str) -> Any:
        done = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        return done

    first = cli("--engine", "spark", "flights", "--db", db, "--json")
    assert "spark (" in first.stderr and (tmp_path / "s.duckdb.spark" / "results").is_dir()
    assert json.loads(first.stdout) == json.loads(cli("flights", "--db", duck, "--json").stdout)
    with Store.open(db) as store:
        aside = store.con.sql("SELECT * FROM set_aside").to_arrow_table()
    same_rows(reference.set_aside, aside, ASIDE_KEYS)
    again = cli("--engine", "spark", "visits", "--base", "hmeimim", "--db", db, "--json")
    assert "spark" not in again.stderr  # current: read, not recomputed
    expected = cli("visits", "--base", "hmeimim", "--db", duck, "--json").stdout
    assert json.loads(again.stdout) == json.loads(expected) != []


def test_midnight_and_split_addresses_on_spark(
    spark: Any, midnight: tuple[Reference, Path, Config], tmp_path: Path
) -> None:
    reference, positions, config = midnight
    # the crossing flight's positions sit in two date folders, read by different input tasks
    dates = sorted(p.name for p in positions.iterdir())
    assert dates[:2] == ["date=2024-03-01", "date=2024-03-02"]
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")
    try:
        check_run(spark, reference, positions, tmp_path, config, partitions=7, chunk_positions=60)
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    flights = pq.read_table(tmp_path / "flights")
    crossing = flights.filter(pc.equal(flights.column("icao24"), "4b1805")).to_pylist()
    assert len(crossing) == 1
    assert crossing[0]["start_time"] < MIDNIGHT < crossing[0]["end_time"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Reference, Path, Config, Path]:
    folder = tmp_path_factory.mktemp("demo")
    Scenario(seed=7, civil_scale=0.2).write(folder / "sim")
    config = load_config(None)
    with Store.open(folder / "store.duckdb") as store:
        store.ingest([str(folder / "sim" / "data")], workers=1)
        reference = Reference(store, config)
        store.export_positions(folder / "positions", "parquet")
    return reference, folder / "positions", config, folder


def test_demo_scenario_spark_equals_duckdb(
    spark: Any, demo: tuple[Reference, Path, Config, Path], tmp_path: Path
) -> None:
    reference, positions, config, _ = demo
    counts = check_run(spark, reference, positions, tmp_path, config)
    hmeimim = reference.activity["hmeimim"]
    assert hmeimim["resumptions"], "the demo's resumption week is found by both engines"
    assert counts["visits"] == reference.visits.num_rows > 10
    # the simulated readsb noise (bad decodes, glitches, repeats) is set aside by both engines
    assert counts["set_aside"] == reference.set_aside.num_rows > 10


def test_spark_runs_on_a_dataset_written_by_ingest(
    spark: Any, demo: tuple[Reference, Path, Config, Path], tmp_path: Path
) -> None:
    """``ingest --to parquet DIR`` then ``spark run --positions DIR --aircraft
    DIR/_basewatch/aircraft.parquet``: no store at all, and DuckDB's rows from the store."""
    import json

    from typer.testing import CliRunner

    from basewatch.cli import app
    from basewatch.engines.dataset import META, REGISTRY

    reference, _, _, folder = demo
    ds, out = tmp_path / "ds", tmp_path / "out"
    runner = CliRunner()

    def cli(*args: Any) -> str:
        done = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        return done.stdout

    cli("-q", "ingest", folder / "sim" / "data", "--to", "parquet", ds)
    registry = ds / META / REGISTRY
    run = ["spark", "run", "--positions", ds, "--aircraft", registry, "--out", out, "--json"]
    summary = json.loads(cli(*run))
    assert summary["read"]["positions"] == reference.sorted_positions.num_rows
    got = spark_results(out)
    same_rows(reference.flights, got["flights"], FLIGHT_KEYS)
    same_rows(reference.set_aside, got["set_aside"], ASIDE_KEYS)
    same_rows(reference.classes, got["aircraft_class"], ["icao24"])
    same_rows(reference.visits, got["visits"], VISIT_KEYS)


def replicated(source: Path, target: Path, copies: int) -> None:
    """The demo's positions and registry ``copies`` times, each copy under other addresses
    (first hex digit changed) and shifted by some hours (so other flights cross midnight)."""
    with Store.open(target) as store:
        con = store.con
        con.execute(f"ATTACH '{source}' AS demo (READ_ONLY)")
        for k in range(copies):
            shift = f"INTERVAL {k * 7} HOUR + INTERVAL {k * 11} MINUTE"
            addr = f"printf('%06x', xor(('0x' || icao24)::INTEGER, {k << 20}))"
            con.execute(
                f"INSERT INTO positions SELECT * REPLACE ({addr} AS icao24, time + {shift} "
                "AS time) FROM demo.positions WHERE length(icao24) = 6"
            )
            con.execute(
                f"INSERT INTO aircraft SELECT * REPLACE ({addr} AS icao24) FROM demo.aircraft"
            )
        con.execute("INSERT INTO ingests SELECT * FROM demo.ingests")
        con.execute("DETACH demo")


@pytest.mark.slow
def test_a_million_positions_spark_equals_duckdb(
    spark: Any, demo: tuple[Reference, Path, Config, Path], tmp_path: Path
) -> None:
    _, _, config, folder = demo
    replicated(folder / "store.duckdb", tmp_path / "big.duckdb", copies=4)
    with Store.open(tmp_path / "big.duckdb") as store:
        n = store.con.execute("SELECT count(*) FROM positions").fetchall()[0][0]
        assert n > 1_000_000
        reference = Reference(store, config)
        store.export_positions(tmp_path / "positions", "parquet")
    check_run(spark, reference, tmp_path / "positions", tmp_path / "out", config, partitions=6)


def test_bases_are_listed_without_visits() -> None:
    empty = pa.table(
        {
            "base": pa.array([], pa.string()),
            "arrival_time": pa.array([], pa.timestamp("us", tz="UTC")),
            "icao24": pa.array([], pa.string()),
        }
    )
    got = activity_by_base(empty, ActivityAnalyzer(), ["a", "b"])
    assert got == {n: {"pauses": [], "resumptions": [], "surges": []} for n in ("a", "b")}
