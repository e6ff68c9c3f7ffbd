"""basewatch.yaml and settings: precedence, the packaged default, errors that name file/key/line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from basewatch.config import (
    FEED_KINDS,
    SETTINGS,
    SINK_KINDS,
    Config,
    config_path,
    load_config,
    parse_config,
    resolve_setting,
)
from basewatch.errors import BasewatchError, ConfigError

GOOD = """\
bases:
  hmeimim: {icao: OSLK, radius_km: 15, watch: [state]}
  tartus:
    lat: 34.906
    lon: 35.873
    radius_km: 5
watchlists:
  ru-transports: {types: [A124, il76, IL62], countries: [RU]}
  vip: {label: VIP, registrations: [RA-96016], operators: ['special flight'], military: false}
feeds:
  - {kind: adsbx_v2, url: "https://example.invalid/v2", point: hmeimim, radius_nm: 250, every_s: 10}
  - {kind: sbs, host: 127.0.0.1, port: 30003}
alerts:
  rules:
    - {on: arrival, base: hmeimim, watch: state}
    - {on: resumption, base: hmeimim, after_days: 30}
  sinks:
    - {kind: jsonl, path: alerts.jsonl}
    - {kind: stdout}
settings:
  db: from-file.duckdb
"""


def write(tmp_path: Path, text: str, name: str = "basewatch.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``: expected lines come from the text."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_packaged_default_loads() -> None:
    config = load_config(None, environ={})
    names = [b.name for b in config.bases]
    assert names[:3] == ["hmeimim", "chkalovsky", "benina"]
    hmeimim = config.base("hmeimim")
    assert hmeimim is not None
    assert (hmeimim.icao, hmeimim.radius_km, hmeimim.watch) == ("OSLK", 15.0, ("state",))
    tartus = config.base("tartus")
    assert tartus is not None
    assert tartus.icao is None  # a naval base is a point, not an airport
    assert (tartus.lat, tartus.lon, tartus.radius_km) == (34.906, 35.873, 5.0)
    transports = config.watchlist("ru-transports")
    assert transports is not None
    assert {"A124", "IL76", "IL62", "IL96"} <= set(transports.types)
    assert transports.countries == ("RU",)
    assert [r.on for r in config.alerts.rules] == ["arrival", "resumption"]  # `on:` is not True
    assert config.origin.endswith("basewatch.yaml")


def test_parse_every_section(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), environ={})
    assert config.base("tartus") is not None
    w = config.watchlist("ru-transports")
    assert w is not None
    assert (w.types, w.label, w.military) == (("A124", "IL76", "IL62"), "ru-transports", None)
    vip = config.watchlist("vip")
    assert vip is not None
    assert (vip.label, vip.registrations, vip.operators, vip.military) == (
        "VIP",
        ("RA-96016",),
        ("special flight",),
        False,
    )
    assert [f.kind for f in config.feeds] == ["adsbx_v2", "sbs"]
    assert config.feeds[0].radius_nm == 250.0
    assert dict(config.feeds[1].options) == {"host": "127.0.0.1", "port": 30003}
    assert config.alerts.rules[1].after_days == 30.0
    assert [s.kind for s in config.alerts.sinks] == ["jsonl", "stdout"]
    assert config.settings["db"] == "from-file.duckdb"


def test_precedence_flag_env_file_default() -> None:
    config = parse_config(GOOD, "test.yaml")
    env = {"BASEWATCH_DB": "from-env.duckdb"}
    assert resolve_setting("db", "flag.duckdb", config, env) == "flag.duckdb"
    assert resolve_setting("db", None, config, env) == "from-env.duckdb"
    assert resolve_setting("db", None, config, {}) == "from-file.duckdb"
    assert resolve_setting("db", None, None, {}) == "basewatch.duckdb"
    assert config.setting("engine", environ={}) == "duckdb"
    assert {s.name for s in SETTINGS} >= {"config", "db", "engine"}
    with pytest.raises(ConfigError, match="unknown setting"):
        resolve_setting("nope")


def test_which_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert config_path(None, {}) is None  # nothing here: the packaged default
    local = write(tmp_path, GOOD)
    assert config_path(None, {}) == Path("basewatch.yaml")
    other = write(tmp_path, GOOD, "other.yaml")
    assert config_path(None, {"BASEWATCH_CONFIG": str(other)}) == other
    assert config_path(str(local), {"BASEWATCH_CONFIG": str(other)}) == local
    assert load_config(None, {"BASEWATCH_CONFIG": str(other)}).origin == str(other)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml", environ={})


BAD = [
    # (text, key path expected in the message, text of the line it is on, message fragment)
    ("bases:\n  hmeimim: {icao: OSLK, radius_km: -3}\n", "bases.hmeimim.radius_km",
     "radius_km: -3", "positive"),
    ("bases:\n  hmeimim:\n    icao: OSLK\n    radius: 15\n", "bases.hmeimim.radius",
     "radius: 15", "unknown key"),
    ("bases:\n  x:\n    lat: 34.9\n    radius_km: 5\n", "bases.x", "  x:", "lat and lon"),
    ("bases:\n  x: {lat: 95, lon: 1, radius_km: 5}\n", "bases.x.lat", "lat: 95", "out of range"),
    ("bases:\n  x: {icao: OSLK, watch: [spies]}\n", "bases.x.watch[0]", "spies", "watchlist"),
    ("watchlists:\n  w:\n    callsigns: ['RFF(']\n", "watchlists.w.callsigns[0]", "RFF(",
     "regular expression"),
    ("watchlists:\n  w:\n    label: nothing else\n", "watchlists.w", "  w:", "at least one"),
    ("watchlists:\n  w: {countries: [Russia]}\n", "watchlists.w.countries[0]", "Russia",
     "look right"),
    ("feeds:\n  - kind: adsbx\n    url: x\n", "feeds[0].kind", "kind: adsbx", "not one of"),
    ("alerts:\n  sinks:\n    - kind: jsonl\n", "alerts.sinks[0]", "kind: jsonl", "'path'"),
    ("alerts:\n  rules:\n    - {on: landing}\n", "alerts.rules[0].on", "on: landing",
     "not one of"),
    ("colours: [red]\n", "colours", "colours", "unknown key"),
    ("settings:\n  config: other.yaml\n", "settings.config", "config: other", "unknown key"),
    ("identify:\n  types:\n    XX1: {name: Thing, kind: military, weight: 2}\n",
     "identify.types.XX1.weight", "weight: 2", "out of range"),
    ("identify:\n  callsigns:\n    - {pattern: '(?<=x)y', kind: state, weight: 0.5}\n",
     "identify.callsigns[0].pattern", "(?<=x)y", "regular expression"),
    ("identify:\n  address_ranges:\n    - {first: 400000, last: 40ffff, kind: military, "
     "weight: 0.5}\n", "identify.address_ranges[0].first", "first: 400000", "in quotes"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "on_line", "fragment"), BAD)
def test_errors_name_file_key_and_line(
    tmp_path: Path, text: str, key: str, on_line: str, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    message = str(info.value)
    assert message.startswith(f"{path}, line {line_of(text, on_line)}: {key}: "), message
    assert fragment in message
    assert isinstance(info.value, BasewatchError)
    assert info.value.exit_code == 1


def test_yaml_syntax_error_and_duplicate_key_name_the_line(tmp_path: Path) -> None:
    broken = "bases:\n  hmeimim: {icao: OSLK\nwatchlists: {}\n"
    with pytest.raises(ConfigError, match=r"basewatch\.yaml, line \d+: not valid YAML"):
        load_config(write(tmp_path, broken), environ={})
    twice = "bases:\n  a: {icao: OSLK}\n  a: {icao: UUMU}\n"
    with pytest.raises(ConfigError, match=r"line 3: bases\.a: key given twice"):
        load_config(write(tmp_path, twice), environ={})


def test_yaml_12_booleans_and_strings() -> None:
    config = parse_config(
        "watchlists:\n  norway: {countries: [NO], military: true}\n", "t.yaml"
    )  # NO stays Norway, `true` is a boolean
    w = config.watchlist("norway")
    assert w is not None
    assert (w.countries, w.military) == (("NO",), True)


def test_kind_names_are_stable() -> None:
    assert set(FEED_KINDS) == {"adsbx_v2", "aircraft_json", "opensky", "sbs", "beast"}
    assert set(SINK_KINDS) == {"stdout", "jsonl", "webhook", "ntfy", "telegram", "email"}


def test_config_is_frozen() -> None:
    config = parse_config(GOOD, "t.yaml")
    with pytest.raises(AttributeError):
        config.bases = ()  # type: ignore[misc]
    assert isinstance(config, Config)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_fails_with_config_error(text: str) -> None:
    try:
        parse_config(text, "fuzz.yaml")
    except ConfigError as exc:
        message = str(exc)
    else:
        message = "fuzz.yaml"
    assert message.startswith("fuzz.yaml")


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["icao", "lat", "lon", "radius_km", "watch", "label", "x"]),
        st.one_of(st.none(), st.integers(-200, 200), st.floats(), st.text(max_size=6),
                  st.lists(st.text(max_size=5), max_size=3)),
    )
)  # fmt: skip
def test_random_bases_parse_or_fail_with_config_error(fields: dict[str, object]) -> None:
    import yaml

    text = yaml.safe_dump({"bases": {"b": fields}})
    try:
        config = parse_config(text, "fuzz.yaml")
    except ConfigError as exc:
        message = str(exc)
    else:
        message = "fuzz.yaml"
        base = config.base("b")
        assert base is not None
        assert base.icao is not None or (base.lat is not None and base.lon is not None)
        assert base.radius_km > 0
    assert message.startswith("fuzz.yaml")


def test_aliases_merge_but_bombs_and_loops_fail() -> None:
    merged = parse_config("bases:\n  x: &x {icao: OSLK}\n  y: {<<: *x, radius_km: 3}\n", "a.yaml")
    assert [(b.icao, b.radius_km) for b in merged.bases] == [("OSLK", 10.0), ("OSLK", 3.0)]
    levels = ["a: &l0 [x, x, x, x, x, x, x, x, x, x]"] + [
        f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 7)
    ]
    with pytest.raises(ConfigError, match="aliases"):
        parse_config("\n".join(levels), "bomb.yaml")
    with pytest.raises(ConfigError, match="aliases"):
        parse_config("a: &a [*a]\n", "loop.yaml")
