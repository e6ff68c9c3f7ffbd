"""ADS-B Exchange–compatible v2 APIs: adsb.lol, adsb.fi, airplanes.live, ADSBx with an API key.

``url`` is the API root (``https://api.adsb.lol``, ``https://opendata.adsb.fi/api``,
``https://api.airplanes.live``, ``https://gateway.adsbexchange.com/api/aircraft``). A feed asks,
in turn: the circle around each ``point`` (``points:`` adds more), ``/v2/mil`` when ``mil:
true``, and ``/v2/hex/{hex}`` for the addresses of the config's watchlists (``watchlists: true``
or a list of watchlist names; ``hexes:`` adds addresses), ``hex_batch`` (20) addresses per
request, comma-separated as all four APIs accept. One request per poll, at least ``host_gap_s``
(1 s) apart per host; a round of requests starts every ``every_s`` (10 s) at most.

Published limits relied on (as read in 2025): adsb.fi public endpoints 1 request/s, circles up
to 250 NM, ``/v2/lat/{lat}/lon/{lon}/dist/{dist}`` (adsbfi/opendata README); airplanes.live 1
request/s, circles up to 250 NM (its API guide); adsb.lol publishes no rate, takes an integer
radius ≤ 250 (adsblol/api ``api_v2.py``), so 1 request/s is kept there too; ADSBx counts
requests against the plan of the key sent in ``api-auth`` and answers ``/v2/hex/{hex}`` with a
bare aircraft unless a comma follows. The radius is sent as an integer clamped to 1–250 NM.
The key comes from the environment variable named by ``api_key_env``, sent in
``api_key_header`` (default ``api-auth``); it is never part of a label, message or log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import httpx

from basewatch.sources.feeds.polling import HostPacer, HttpFeed, Timing
from basewatch.sources.feeds.status import Work
from basewatch.sources.readsb_aircraft import snapshot_entries
from basewatch.sources.registry import get_source

log = logging.getLogger(__name__)

DEFAULT_EVERY_S = 10.0
DEFAULT_RADIUS_NM = 250.0
MAX_RADIUS_NM = 250
HEX_BATCH = 20
API_KEY_HEADER = "api-auth"


@dataclass(frozen=True)
class Dialect:
    """Path templates of one API: ``{lat}``, ``{lon}``, ``{radius}``, ``{hex}`` are filled in."""

    point: str = "/v2/point/{lat}/{lon}/{radius}"
    hex: str = "/v2/hex/{hex}"
    mil: str = "/v2/mil"


#: APIs whose paths differ from adsb.lol's and airplanes.live's ``/v2/point``.
DIALECTS = {
    "opendata.adsb.fi": Dialect(
        point="/v2/lat/{lat}/lon/{lon}/dist/{radius}", hex="/v2/icao/{hex}"
    ),
    "gateway.adsbexchange.com": Dialect(
        point="/v2/lat/{lat}/lon/{lon}/dist/{radius}", hex="/v2/hex/{hex},"
    ),
}


@dataclass(frozen=True)
class Query:
    """One request of a round: what it is (for messages) and its path below the root."""

    what: str
    path: str


def coordinate(value: float) -> str:
    """Degrees with at most 4 decimals (11 m), no trailing zeros: ``35.4011``."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def point_query(dialect: Dialect, name: str, lat: float, lon: float, radius_nm: float) -> Query:
    """The circle of ``radius_nm`` around (lat, lon), radius an integer in 1–250 NM."""
    radius = max(1, min(MAX_RADIUS_NM, round(radius_nm)))
    if radius != radius_nm:
        log.info(
            "point %s: radius %g NM sent as %d NM (an integer, at most 250)",
            name,
            radius_nm,
            radius,
        )
    path = dialect.point.format(lat=coordinate(lat), lon=coordinate(lon), radius=radius)
    return Query(f"point {name}", path)


def hex_queries(dialect: Dialect, addresses: list[str], batch: int = HEX_BATCH) -> list[Query]:
    """Requests for the addresses, ``batch`` at a time (sorted, deduplicated)."""
    unique = sorted({a.lower() for a in addresses})
    out = []
    for i in range(0, len(unique), max(1, batch)):
        chunk = unique[i : i + max(1, batch)]
        out.append(Query(f"hex ×{len(chunk)}", dialect.hex.format(hex=",".join(chunk))))
    return out


class AdsbxFeed(HttpFeed):
    """Polls the queries of an ADSBx v2–compatible API in turn, one per poll."""

    kind: str = "adsbx_v2"

    def __init__(
        self,
        name: str,
        client: httpx.Client,
        timing: Timing,
        root: str,
        queries: list[Query],
        headers: dict[str, str] | None = None,
        pacer: HostPacer | None = None,
        owns_client: bool = False,
    ) -> None:
        super().__init__(name, client, timing, pacer, owns_client)
        self.root = root.rstrip("/")
        self.urls = [(q, httpx.URL(self.root + q.path)) for q in queries]
        self.headers = headers or {}
        self.cursor = 0
        self.round_start: datetime | None = None
        self.source = get_source("adsbx_v2")

    def hosts(self) -> list[str]:
        return [self.urls[self.cursor][1].host]

    def _poll(self, now: datetime) -> tuple[Work, float]:
        query, url = self.urls[self.cursor]
        if self.cursor == 0:
            self.round_start = now
        what = f"{self.name} {query.what}"
        try:
            response = self.get(url, now, what, headers=self.headers)
        except Exception as exc:
            if not getattr(exc, "retryable", True):
                self._advance()  # a refused query must not block the others of the round
            raise
        got = snapshot_entries(self.json_doc(response.content, what))
        if isinstance(got, str):
            raise self.malformed(f"{what}: malformed response ({got})")
        work = self.handover(response.content, self.source, url, now)
        return work, self._advance(now)

    def _advance(self, now: datetime | None = None) -> float:
        """Move to the next query; seconds until it is due (the next round's start at the end
        of a round)."""
        self.cursor = (self.cursor + 1) % len(self.urls)
        gap = self.timing.host_gap_s
        if self.cursor or now is None or self.round_start is None:
            return gap
        spent = (now - self.round_start).total_seconds()
        return max(gap, self.timing.every_s - spent)
