"""Settings as data, and the ``basewatch.yaml`` config: bases, watchlists, feeds, alerts, rules.

Precedence for every setting: command-line flag > environment variable > config file > default.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from basewatch.errors import ConfigError
from basewatch.yamldoc import Doc, Node, parse_yaml

CONFIG_NAME = "basewatch.yaml"
PACKAGED_ORIGIN = "<packaged>/basewatch.yaml"
FEED_KINDS = ("adsbx_v2", "aircraft_json", "beast", "opensky", "sbs")
SINK_KINDS = ("email", "jsonl", "ntfy", "stdout", "telegram", "webhook")
SINK_REQUIRES = {
    "email": ("host", "from"),
    "jsonl": ("path",),
    "telegram": ("chat_id",),
    "webhook": ("url",),
}
ALERT_EVENTS = (
    "arrival",
    "departure",
    "feed_down",
    "pause",
    "resumption",
    "squawk",
    "surge",
    "watchlist",
)
WATCH_CLASSES = ("all", "military", "state")
ICAO_AIRPORT = r"[A-Z][A-Z0-9]{3}"
HEX_ADDRESS = r"~?[0-9a-fA-F]{6}"
ISO2 = r"[A-Z]{2}"


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, help text and the environment variable that sets it."""

    name: str
    default: Any
    help: str
    env: str | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting("config", None, "the config file (basewatch.yaml)", "BASEWATCH_CONFIG"),
    Setting("db", "basewatch.duckdb", "the DuckDB store", "BASEWATCH_DB"),
    Setting("engine", "duckdb", "the analysis engine: duckdb or spark", "BASEWATCH_ENGINE"),
    Setting(
        "spark_master",
        "local[*]",
        "the Spark master of --engine spark (local[*], spark://host:7077, yarn)",
        "BASEWATCH_SPARK_MASTER",
    ),
)
_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Base:
    """A watched base: an airport (ICAO code) or a point (lat/lon, e.g. a naval base)."""

    name: str
    icao: str | None
    lat: float | None
    lon: float | None
    radius_km: float
    watch: tuple[str, ...] = ("state",)
    label: str | None = None


@dataclass(frozen=True)
class Watchlist:
    """Aircraft to single out. Each given criterion must hold (AND); any value of one will do (OR).

    ``operators`` and ``callsigns`` are regular expressions (operators case-insensitive).
    """

    name: str
    label: str
    addresses: tuple[str, ...] = ()
    registrations: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()
    callsigns: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    military: bool | None = None
    state: bool | None = None


@dataclass(frozen=True)
class Feed:
    """A live feed: its ``kind`` (stable names, see FEED_KINDS) and its options verbatim."""

    kind: str
    url: str | None = None
    point: str | None = None
    radius_nm: float | None = None
    every_s: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class AlertRule:
    on: str
    base: str | None = None
    watch: str | None = None
    after_days: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Sink:
    kind: str
    options: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Alerts:
    rules: tuple[AlertRule, ...] = ()
    sinks: tuple[Sink, ...] = ()


@dataclass(frozen=True)
class Config:
    """A loaded config file; ``identify`` holds user rule extensions (validated, plain data)."""

    origin: str
    bases: tuple[Base, ...] = ()
    watchlists: tuple[Watchlist, ...] = ()
    feeds: tuple[Feed, ...] = ()
    alerts: Alerts = Alerts()
    settings: Mapping[str, Any] = field(default_factory=dict, compare=False)
    identify: Mapping[str, Any] = field(default_factory=dict, compare=False)
    doc: Doc | None = field(default=None, compare=False, repr=False)

    def base(self, name: str) -> Base | None:
        return next((b for b in self.bases if b.name == name), None)

    def watchlist(self, name: str) -> Watchlist | None:
        return next((w for w in self.watchlists if w.name == name), None)

    def setting(self, name: str, flag: Any = None, environ: Mapping[str, str] | None = None) -> Any:
        """The value of a setting: ``flag`` if given, else env, else this file, else default."""
        return resolve_setting(name, flag, self, environ)


def resolve_setting(
    name: str,
    flag: Any = None,
    config: Config | None = None,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """flag > environment variable > config file (``settings:``) > default."""
    setting = _BY_NAME.get(name)
    if setting is None:
        raise ConfigError(f"unknown setting {name!r}; known: {', '.join(sorted(_BY_NAME))}")
    if flag is not None:
        return flag
    env = os.environ if environ is None else environ
    if setting.env and env.get(setting.env):
        return env[setting.env]
    if config is not None and name in config.settings:
        return config.settings[name]
    return setting.default


def config_path(
    flag: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """Which file to read: ``--config``, else ``BASEWATCH_CONFIG``, else ./basewatch.yaml if it
    exists; None means the packaged default."""
    chosen = resolve_setting("config", flag, None, environ)
    if chosen:
        return Path(chosen)
    local = Path(CONFIG_NAME)
    return local if local.is_file() else None


def packaged_config() -> Config:
    """The default config shipped in the package (the bases of the demo scenario)."""
    text = (importlib.resources.files("basewatch") / "data" / CONFIG_NAME).read_text("utf-8")
    return parse_config(text, PACKAGED_ORIGIN)


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config (see ``config_path`` for which file); ConfigError on error."""
    chosen = config_path(path, environ)
    if chosen is None:
        return packaged_config()
    try:
        text = chosen.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{chosen}: cannot read the config file: {exc.strerror or exc}") from exc
    return parse_config(text, str(chosen))


def parse_config(text: str, origin: str) -> Config:
    """Parse config text; ``origin`` names the file in error messages."""
    doc = parse_yaml(text, origin)
    top = doc.root().mapping(
        allowed=("alerts", "bases", "feeds", "identify", "settings", "watchlists")
    )
    empty = Node(doc, (), None)
    watchlists = _watchlists(top.get("watchlists", empty))
    bases = _bases(top.get("bases", empty), {w.name for w in watchlists})
    identify = top.get("identify", empty)
    from basewatch.identify.rules import parse_rule_data  # late: identify depends on config

    parse_rule_data(identify, source=origin)  # validate now, so errors name this file's lines
    return Config(
        origin=origin,
        bases=bases,
        watchlists=watchlists,
        feeds=tuple(_feed(n) for n in top.get("feeds", empty).sequence()),
        alerts=_alerts(top.get("alerts", empty)),
        settings=_settings(top.get("settings", empty)),
        identify=MappingProxyType(identify.plain() if identify.value is not None else {}),
        doc=doc,
    )


def _settings(node: Node) -> Mapping[str, Any]:
    allowed = [s.name for s in SETTINGS if s.name != "config"]
    return MappingProxyType({k: v.plain() for k, v in node.mapping(allowed=allowed).items()})


def _bases(node: Node, watchlists: set[str]) -> tuple[Base, ...]:
    out = []
    keys = ("icao", "label", "lat", "lon", "radius_km", "watch")
    for name, entry in node.mapping().items():
        fields = entry.mapping(allowed=keys)
        icao = fields["icao"].string(ICAO_AIRPORT) if "icao" in fields else None
        lat = fields["lat"].number(-90, 90) if "lat" in fields else None
        lon = fields["lon"].number(-180, 180) if "lon" in fields else None
        if (lat is None) != (lon is None):
            raise entry.error("give both lat and lon (or an icao code)")
        if icao is None and lat is None:
            raise entry.error("give an icao airport code, or lat and lon with radius_km")
        if lat is None and "radius_km" not in fields:
            radius = 10.0
        elif "radius_km" not in fields:
            raise entry.error("a base given by lat/lon needs radius_km")
        else:
            radius = fields["radius_km"].number(0, 500)
        watch = fields["watch"].strings() if "watch" in fields else ("state",)
        for i, w in enumerate(watch):
            if w not in WATCH_CLASSES and w not in watchlists:
                raise (
                    fields["watch"]
                    .child(i, w)
                    .error(
                        f"{w!r} is neither one of {', '.join(WATCH_CLASSES)} nor a watchlist name"
                    )
                )
        label = fields["label"].string() if "label" in fields else None
        out.append(Base(name, icao, lat, lon, radius, tuple(watch), label))
    return tuple(out)


def _watchlists(node: Node) -> tuple[Watchlist, ...]:
    out = []
    lists = ("addresses", "callsigns", "countries", "operators", "registrations", "types")
    for name, entry in node.mapping().items():
        fields = entry.mapping(allowed=(*lists, "label", "military", "state"))
        if not set(fields) - {"label"}:
            raise entry.error(f"a watchlist needs at least one of: {', '.join(lists)}, ...")
        get = fields.get
        out.append(
            Watchlist(
                name=name,
                label=fields["label"].string() if "label" in fields else name,
                addresses=tuple(a.lower() for a in _opt(get("addresses"), HEX_ADDRESS)),
                registrations=tuple(r.upper() for r in _opt(get("registrations"))),
                types=tuple(t.upper() for t in _opt(get("types"), r"[A-Za-z0-9]{2,4}")),
                operators=fields["operators"].regexes() if "operators" in fields else (),
                callsigns=fields["callsigns"].regexes() if "callsigns" in fields else (),
                countries=_opt(get("countries"), ISO2),
                military=fields["military"].boolean() if "military" in fields else None,
                state=fields["state"].boolean() if "state" in fields else None,
            )
        )
    return tuple(out)


def _opt(node: Node | None, pattern: str | None = None) -> tuple[str, ...]:
    return node.strings(pattern) if node is not None else ()


def _feed(node: Node) -> Feed:
    fields = node.mapping(required=("kind",))
    kind = fields["kind"].string(choices=FEED_KINDS)
    url = fields["url"].string() if "url" in fields else None
    point = fields["point"].string() if "point" in fields else None
    radius = fields["radius_nm"].number(0) if "radius_nm" in fields else None
    every = fields["every_s"].number(0) if "every_s" in fields else None
    known = {"kind", "url", "point", "radius_nm", "every_s"}
    rest = {k: v.plain() for k, v in fields.items() if k not in known}
    return Feed(kind, url, point, radius, every, MappingProxyType(rest))


_RULE_KEYS = ("after_days", "base", "on", "watch")


def _alerts(node: Node) -> Alerts:
    fields = node.mapping(allowed=("rules", "sinks"))
    rules = []
    for item in fields["rules"].sequence() if "rules" in fields else []:
        f = item.mapping(required=("on",))
        rules.append(
            AlertRule(
                on=f["on"].string(choices=ALERT_EVENTS),
                base=f["base"].string() if "base" in f else None,
                watch=f["watch"].string() if "watch" in f else None,
                after_days=f["after_days"].number(0) if "after_days" in f else None,
                options=MappingProxyType(
                    {k: v.plain() for k, v in f.items() if k not in _RULE_KEYS}
                ),
            )
        )
    sinks = []
    for item in fields["sinks"].sequence() if "sinks" in fields else []:
        f = item.mapping(required=("kind",))
        kind = f["kind"].string(choices=SINK_KINDS)
        for key in SINK_REQUIRES.get(kind, ()):
            if key not in f:
                raise item.error(f"a {kind} sink needs {key!r}")
            f[key].string()
        rest = {k: v.plain() for k, v in f.items() if k != "kind"}
        sinks.append(Sink(kind, MappingProxyType(rest)))
    return Alerts(tuple(rules), tuple(sinks))
