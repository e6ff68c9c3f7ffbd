"""Feeds from the config's ``feeds:`` entries: options checked (a typo is a ConfigError naming
the entry), points resolved, secrets read from the environment variables the entries name."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

from basewatch.config import Config
from basewatch.config import Feed as FeedSpec
from basewatch.errors import ConfigError
from basewatch.retry import Backoff
from basewatch.sources.feeds import adsbx, opensky, receiver, streams
from basewatch.sources.feeds.oauth import ClientCredentials
from basewatch.sources.feeds.places import bbox_around, point_position
from basewatch.sources.feeds.polling import (
    BACKOFF_CAP_S,
    CONNECT_TIMEOUT_S,
    HOST_GAP_S,
    READ_TIMEOUT_S,
    HostPacer,
    Timing,
)
from basewatch.sources.feeds.status import Feed
from basewatch.sources.feeds.streams import Connect, StreamSettings, tcp_connect

HEX_ADDRESS = r"[0-9a-fA-F]{6}"
_COMMON = ("name", "timeout_s", "connect_timeout_s", "host_gap_s", "backoff_cap_s")
OPTIONS = {
    "adsbx_v2": (*_COMMON, "api_key_env", "api_key_header", "mil", "watchlists", "hexes",
                 "points", "hex_batch", "point_path", "hex_path", "mil_path"),
    "aircraft_json": (*_COMMON, "path"),
    "opensky": (*_COMMON, "bbox", "client_id", "client_secret_env", "token_url",
                "daily_credits"),
    "sbs": ("name", "host", "port", "lat", "lon", "connect_timeout_s", "idle_timeout_s",
            "reconnect_s", "backoff_cap_s", "max_buffer"),
}  # fmt: skip
OPTIONS["beast"] = OPTIONS["sbs"]


class _Entry:
    """One ``feeds:`` entry with typed option access and errors that name it."""

    def __init__(self, spec: FeedSpec, index: int, config: Config) -> None:
        self.spec, self.config = spec, config
        self.where = f"{config.origin}: feeds[{index}] ({spec.kind})"
        allowed = OPTIONS[spec.kind]
        for key in spec.options:
            if key not in allowed:
                raise self.error(f"unknown option {key!r}; known: {', '.join(sorted(allowed))}")

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: {message}")

    def get(self, key: str, default: Any = None) -> Any:
        return self.spec.options.get(key, default)

    def number(self, key: str, default: float) -> float:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.error(f"{key} must be a number ≥ 0, not {value!r}")
        return float(value)

    def degrees(self, key: str, limit: float) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > limit:
            raise self.error(f"{key} must be a number of degrees within ±{limit:g}")
        return float(value)

    def position(self, name: str) -> tuple[float, float]:
        """(lat, lon) of a base or ICAO code, an error naming this entry otherwise."""
        try:
            return point_position(name, self.config)
        except ConfigError as exc:
            raise self.error(str(exc)) from None

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self.error(f"{key} must be a string, not {value!r}")
        return value

    def strings(self, key: str) -> list[str]:
        value = self.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"{key} must be a list of strings")
        return list(value)

    def secret(self, key: str, environ: Mapping[str, str], default: str | None = None) -> str:
        """The value of the environment variable named by option ``key`` (never shown)."""
        name = self.text(key, default)
        value = environ.get(name) if name else None
        if not value:
            raise self.error(f"set the environment variable ${name} (named by {key})")
        return value

    def timing(self, every_s: float) -> Timing:
        every = self.spec.every_s if self.spec.every_s else every_s
        cap = self.number("backoff_cap_s", max(BACKOFF_CAP_S, every))
        return Timing(
            every_s=every,
            host_gap_s=self.number("host_gap_s", HOST_GAP_S),
            timeout=httpx.Timeout(
                self.number("timeout_s", READ_TIMEOUT_S),
                connect=self.number("connect_timeout_s", CONNECT_TIMEOUT_S),
            ),
            backoff=Backoff(base_s=1.0, cap_s=cap),
        )


def build_feeds(
    config: Config,
    environ: Mapping[str, str],
    client: httpx.Client | None = None,
    connect: Connect | None = None,
) -> list[Feed]:
    """One feed per config entry. ``client`` serves every HTTP feed (a test's MockTransport);
    ``connect`` opens the stream sockets (default TCP). Streams start on first poll."""
    pacer = HostPacer()
    owned: list[httpx.Client] = []

    def http() -> httpx.Client:
        if client is not None:
            return client
        if not owned:
            owned.append(default_client())
        return owned[0]

    feeds: list[Feed] = []
    names: set[str] = set()
    try:
        for i, spec in enumerate(config.feeds):
            entry = _Entry(spec, i, config)
            if spec.kind in ("sbs", "beast"):
                feed: Feed = _stream(entry, connect or tcp_connect)
            else:
                feed = _http(entry, environ, http(), pacer, owns=client is None)
            feed.name = _unique(feed.name, names)
            feeds.append(feed)
    except BaseException:
        for made in owned:
            made.close()
        raise
    return feeds


def default_client() -> httpx.Client:
    """The HTTP client feeds share when none is given: redirects followed, a User-Agent."""
    try:
        version = metadata.version("basewatch")
    except metadata.PackageNotFoundError:
        version = "dev"
    return httpx.Client(headers={"User-Agent": f"basewatch/{version}"}, follow_redirects=True)


def _unique(name: str, names: set[str]) -> str:
    out, n = name, 1
    while out in names:
        n += 1
        out = f"{name}#{n}"
    names.add(out)
    return out


def _http(
    entry: _Entry, environ: Mapping[str, str], client: httpx.Client, pacer: HostPacer, owns: bool
) -> Feed:
    kind = entry.spec.kind
    if kind == "adsbx_v2":
        return _adsbx(entry, environ, client, pacer, owns)
    if kind == "opensky":
        return _opensky(entry, environ, client, pacer, owns)
    url, path = entry.spec.url, entry.text("path")
    if (url is None) == (path is None):
        raise entry.error("give url (http) or path (a local aircraft.json), not both")
    target = httpx.URL(url).host if url else Path(str(path)).name
    name = entry.text("name") or f"aircraft_json:{target}"
    timing = entry.timing(receiver.DEFAULT_EVERY_S)
    return receiver.AircraftJsonFeed(
        name, client, timing, url, Path(path) if path else None, pacer, owns
    )


def _adsbx(
    entry: _Entry, environ: Mapping[str, str], client: httpx.Client, pacer: HostPacer, owns: bool
) -> Feed:
    spec = entry.spec
    if not spec.url:
        raise entry.error("give url: the API root, e.g. https://api.adsb.lol")
    host = httpx.URL(spec.url).host
    known = adsbx.DIALECTS.get(host, adsbx.Dialect())
    dialect = adsbx.Dialect(
        point=entry.text("point_path", known.point) or known.point,
        hex=entry.text("hex_path", known.hex) or known.hex,
        mil=entry.text("mil_path", known.mil) or known.mil,
    )
    queries = [
        adsbx.point_query(dialect, p, *entry.position(p), spec.radius_nm or adsbx.DEFAULT_RADIUS_NM)
        for p in ([spec.point] if spec.point else []) + entry.strings("points")
    ]
    if entry.get("mil", False) is True:
        queries.append(adsbx.Query("mil", dialect.mil))
    batch = int(entry.number("hex_batch", adsbx.HEX_BATCH)) or 1
    queries += adsbx.hex_queries(dialect, _addresses(entry), batch)
    if not queries:
        raise entry.error("nothing to ask: give point, points, mil: true or watchlists: true")
    headers = {}
    if entry.get("api_key_env"):
        header = entry.text("api_key_header", adsbx.API_KEY_HEADER) or adsbx.API_KEY_HEADER
        headers[header] = entry.secret("api_key_env", environ)
    name = entry.text("name") or f"adsbx_v2:{host}" + (f":{spec.point}" if spec.point else "")
    timing = entry.timing(adsbx.DEFAULT_EVERY_S)
    return adsbx.AdsbxFeed(name, client, timing, spec.url, queries, headers, pacer, owns)


def _addresses(entry: _Entry) -> list[str]:
    """Addresses of the watchlists asked for (``true``: all) plus ``hexes``."""
    chosen = entry.get("watchlists", False)
    lists = entry.config.watchlists
    if isinstance(chosen, list):
        unknown = [w for w in chosen if entry.config.watchlist(str(w)) is None]
        if unknown:
            raise entry.error(f"unknown watchlist(s): {', '.join(map(str, unknown))}")
        lists = tuple(w for w in lists if w.name in chosen)
    elif chosen is not True:
        lists = ()
    extra = entry.strings("hexes")
    bad = [h for h in extra if not re.fullmatch(HEX_ADDRESS, h)]
    if bad:
        raise entry.error(f"hexes must be 6 hex digits: {', '.join(bad)}")
    # a non-ICAO (~) address is the receiver's own label: no API can be asked for it
    return [a for w in lists for a in w.addresses if not a.startswith("~")] + extra


def _opensky(
    entry: _Entry, environ: Mapping[str, str], client: httpx.Client, pacer: HostPacer, owns: bool
) -> Feed:
    spec = entry.spec
    bbox = _bbox(entry)
    client_id = entry.text("client_id")
    timing = entry.timing(
        opensky.default_every_s(bbox, client_id is not None, entry.get("daily_credits"))
    )
    login = None
    if client_id:
        env = entry.text("client_secret_env", opensky.SECRET_ENV) or opensky.SECRET_ENV
        secret = entry.secret("client_secret_env", environ, opensky.SECRET_ENV)
        token_url = entry.text("token_url", opensky.TOKEN_URL) or opensky.TOKEN_URL
        login = ClientCredentials(client, token_url, client_id, secret, env, timing.timeout)
    name = entry.text("name") or f"opensky:{spec.point or 'bbox'}"
    url = opensky.states_url(spec.url)
    return opensky.OpenSkyFeed(name, client, timing, url, bbox, login, pacer, owns)


def _bbox(entry: _Entry) -> opensky.BBox | None:
    box = entry.get("bbox")
    if box is not None:
        if not (isinstance(box, list) and len(box) == 4):
            raise entry.error("bbox is [lamin, lomin, lamax, lomax]")
        lamin, lomin, lamax, lomax = (float(v) for v in box)
        if not (-90 <= lamin < lamax <= 90 and -180 <= lomin < lomax <= 180):
            raise entry.error(f"bbox {box} is not [lamin, lomin, lamax, lomax] in degrees")
        return lamin, lomin, lamax, lomax
    if entry.spec.point:
        lat, lon = entry.position(entry.spec.point)
        return bbox_around(lat, lon, entry.spec.radius_nm or adsbx.DEFAULT_RADIUS_NM)
    return None


def _stream(entry: _Entry, connect: Connect) -> Feed:
    spec = entry.spec
    kind = spec.kind
    host = entry.text("host", "127.0.0.1") or "127.0.0.1"
    port = int(entry.number("port", streams.DEFAULT_PORTS[kind]))
    if spec.url:
        url = httpx.URL(spec.url)
        if url.scheme != "tcp" or not url.host:
            raise entry.error(f"url must be tcp://host:port, not {spec.url!r}")
        host, port = url.host, url.port or port
    reference = None
    if entry.get("lat") is not None or entry.get("lon") is not None:
        reference = (entry.degrees("lat", 90.0), entry.degrees("lon", 180.0))
    elif spec.point:
        reference = entry.position(spec.point)
    settings = StreamSettings(
        connect_timeout_s=entry.number("connect_timeout_s", CONNECT_TIMEOUT_S),
        idle_timeout_s=entry.number("idle_timeout_s", 60.0),
        backoff=Backoff(
            base_s=entry.number("reconnect_s", 1.0), cap_s=entry.number("backoff_cap_s", 60.0)
        ),
        max_buffer=int(entry.number("max_buffer", 200_000)),
    )
    name = entry.text("name") or f"{kind}:{host}:{port}"
    every = spec.every_s or streams.DEFAULT_EVERY_S
    return streams.StreamFeed(name, kind, (host, port), every, settings, connect, reference)
