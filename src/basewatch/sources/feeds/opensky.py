"""OpenSky Network REST ``/api/states/all`` over a bounding box, anonymous or logged in with OAuth2
client credentials (``client_id`` in the config, the secret in ``$client_secret_env``).

Limits (openskynetwork/opensky-api ``docs/free/rest.rst``): anonymous users get 400 API credits
a day and 10 s time resolution; logged-in users 4,000 credits (8,000 when feeding a receiver
≥ 30 % of the month) and 5 s resolution. A request costs 1 credit for a box up to 25 square
degrees, 2 up to 100, 3 up to 400, 4 beyond (or no box). The default interval spends the day's
credits evenly: ``max(resolution, 86400 × cost / daily_credits)`` — 216 s anonymous and 22 s
logged in for a small box; ``daily_credits`` tells a feeder's 8,000. A 429 carries
``X-Rate-Limit-Retry-After-Seconds``, which moves ``next_due``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import httpx

from basewatch.sources.feeds.oauth import ClientCredentials
from basewatch.sources.feeds.polling import HostPacer, HttpFeed, Timing, check_status, host_path
from basewatch.sources.feeds.status import Work
from basewatch.sources.registry import get_source

log = logging.getLogger(__name__)

API_ROOT = "https://opensky-network.org/api"
TOKEN_URL = (
    "https://auth.opensky-network.org/auth/realms/opensky-network/protocol/openid-connect/token"
)
SECRET_ENV = "BASEWATCH_OPENSKY_SECRET"
ANONYMOUS_CREDITS = 400
USER_CREDITS = 4000
#: (largest box in square degrees, credits per request), from rest.rst "API credit usage".
CREDIT_STEPS = ((25.0, 1), (100.0, 2), (400.0, 3))
WHOLE_WORLD_CREDITS = 4

BBox = tuple[float, float, float, float]


def credits_per_request(bbox: BBox | None) -> int:
    """Credits one ``/states/all`` request over ``bbox`` costs."""
    if bbox is None:
        return WHOLE_WORLD_CREDITS
    lamin, lomin, lamax, lomax = bbox
    area = abs(lamax - lamin) * abs(lomax - lomin)
    return next((cost for limit, cost in CREDIT_STEPS if area <= limit), WHOLE_WORLD_CREDITS)


def default_every_s(bbox: BBox | None, logged_in: bool, daily_credits: float | None) -> float:
    """Seconds between requests that spend the daily credits evenly, never below the data's
    time resolution."""
    credits = daily_credits or (USER_CREDITS if logged_in else ANONYMOUS_CREDITS)
    resolution = 5.0 if logged_in else 10.0
    return max(resolution, 86_400.0 * credits_per_request(bbox) / credits)


def states_url(root: str | None) -> str:
    """``…/states/all`` below an API root (given with or without the endpoint)."""
    base = (root or API_ROOT).rstrip("/")
    return base if base.endswith("/states/all") else base + "/states/all"


class OpenSkyFeed(HttpFeed):
    """Polls ``/states/all`` over a box; on a 401 the token is fetched again once."""

    kind: str = "opensky"

    def __init__(
        self,
        name: str,
        client: httpx.Client,
        timing: Timing,
        url: str,
        bbox: BBox | None,
        login: ClientCredentials | None = None,
        pacer: HostPacer | None = None,
        owns_client: bool = False,
    ) -> None:
        super().__init__(name, client, timing, pacer, owns_client)
        self.url = httpx.URL(url)
        self.bbox = bbox
        self.login = login
        self.source = get_source("opensky_rest")

    def hosts(self) -> list[str]:
        return [self.url.host]

    def params(self) -> dict[str, str]:
        """The box as query parameters (4 decimals)."""
        if self.bbox is None:
            return {}
        keys = ("lamin", "lomin", "lamax", "lomax")
        return {k: f"{v:.4f}" for k, v in zip(keys, self.bbox, strict=True)}

    def _poll(self, now: datetime) -> tuple[Work, float]:
        what = f"{self.name} states"
        params = self.params()
        headers = self.login.header(now) if self.login else {}
        response = self.send(self.url, now, what, headers, params)
        if response.status_code == 401 and self.login is not None:
            log.info("feed %s: token refused, logging in again", self.name)
            self.login.invalidate()
            response = self.send(self.url, now, what, self.login.header(now), params)
        check_status(response, what, now)
        doc = self.json_doc(response.content, what)
        if not _is_states(doc):
            raise self.malformed(f"{what}: malformed response (no 'time' and 'states')")
        query = "&".join(f"{k}={v}" for k, v in params.items())
        where = host_path(self.url) + (f"?{query}" if query else "")
        return self.handover(response.content, self.source, where, now), self.timing.every_s


def _is_states(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("time"), int | float):
        return False
    return doc.get("states", "missing") is None or isinstance(doc.get("states"), list)
