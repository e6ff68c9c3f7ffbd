"""Polling over HTTP: one GET per poll, its failures turned into ``FeedError`` and its timing into
``next_due``: the interval on success, full-jitter backoff or the server's Retry-After on failure.

Timeouts: connect 5 s, read 20 s by default (``timeout_s``, ``connect_timeout_s``). 429, 408 and
5xx answers, timeouts and network errors are retryable; other 4xx answers are not (wrong URL,
refused key): the feed then retries only after the backoff cap (5 min by default), so a fixed
key or server recovers without a restart. A cut or undecodable body, or one that is not the
expected JSON, counts in ``status.malformed`` and is never handed over.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from basewatch.errors import FeedError
from basewatch.retry import Backoff, retry_after_s
from basewatch.sources.base import Blob, Source
from basewatch.sources.feeds.status import FeedStatus, Work

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0
BACKOFF_CAP_S = 300.0
#: Polite default gap between two requests to one host (the public v2 APIs allow 1 per second).
HOST_GAP_S = 1.0
#: Status codes worth retrying besides 5xx.
RETRYABLE = (408, 425, 429)
#: OpenSky's own header for the wait after a 429 (docs/free/rest.rst).
OPENSKY_RETRY_HEADER = "x-rate-limit-retry-after-seconds"


class HostPacer:
    """Keeps requests to one host at least ``gap_s`` apart, across all feeds that share it."""

    def __init__(self) -> None:
        self._free: dict[str, datetime] = {}

    def free_at(self, host: str) -> datetime | None:
        """When the host may be asked again (None: at once)."""
        return self._free.get(host)

    def used(self, host: str, now: datetime, gap_s: float) -> None:
        """Record a request to ``host`` at ``now``."""
        self._free[host] = max(self._free.get(host, now), now + timedelta(seconds=gap_s))


@dataclass
class Timing:
    """How often a feed polls and how it waits after failures."""

    every_s: float
    host_gap_s: float = HOST_GAP_S
    timeout: httpx.Timeout = field(
        default_factory=lambda: httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    )
    backoff: Backoff = field(default_factory=lambda: Backoff(cap_s=BACKOFF_CAP_S))


def label(kind: str, url: httpx.URL | str, now: datetime) -> str:
    """``feed:KIND:host/path@TIME``: the ingest's name; no user info, query or fragment (they may
    hold secrets), except where a caller adds a query it built itself."""
    if isinstance(url, httpx.URL):
        url = host_path(url)
    return f"feed:{kind}:{url}@{now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def host_path(url: httpx.URL) -> str:
    """``host[:port]/path`` of a URL: what a label shows of it."""
    return url.host + (f":{url.port}" if url.port else "") + url.path


class HttpFeed:
    """Base of the HTTP feeds: scheduling, status and one checked GET.

    Subclasses implement ``_poll(now) -> (work, seconds until next due)`` with ``get`` and
    ``json_doc``; ``poll`` records success or failure and moves ``next_due``.
    """

    kind: str = ""

    def __init__(
        self,
        name: str,
        client: httpx.Client,
        timing: Timing,
        pacer: HostPacer | None = None,
        owns_client: bool = False,
    ) -> None:
        self.name = name
        self.client = client
        self.timing = timing
        self.pacer = pacer or HostPacer()
        self.owns_client = owns_client
        self.status = FeedStatus()

    def hosts(self) -> list[str]:
        """The hosts the next poll will ask (for the per-host pacing)."""
        return []

    def due(self, now: datetime) -> bool:
        """Due at ``next_due``, and once every host it asks next may be asked again."""
        if now < self.status.next_due:
            return False
        waits = [t for h in self.hosts() if (t := self.pacer.free_at(h)) is not None and t > now]
        if waits:
            self.status.next_due = max(waits)  # the watcher can sleep until then
            return False
        return True

    def poll(self, now: datetime) -> Work:
        """One poll; on failure the status records it, ``next_due`` moves, FeedError is raised."""
        self.status.polls += 1
        try:
            work, wait_s = self._poll(now)
        except FeedError as exc:
            self._failed(now, exc)
            raise
        except Exception as exc:  # an unmapped library error or a bug: keep the watcher alive
            error = FeedError(f"{self.name}: unexpected {type(exc).__name__}")
            log.exception("feed %s: unexpected error", self.name)
            self._failed(now, error)
            raise error from exc
        self._succeeded(now, wait_s, len(work))
        return work

    def close(self) -> None:
        """Close the HTTP client when this feed made it."""
        if self.owns_client:
            self.client.close()

    def _poll(self, now: datetime) -> tuple[Work, float]:
        raise NotImplementedError

    def _succeeded(self, now: datetime, wait_s: float, handed: int) -> None:
        s = self.status
        if not s.up and s.failures:
            log.info("feed %s: up again after %d failed polls", self.name, s.failures)
        s.up, s.failures, s.last_ok, s.down_since = True, 0, now, None
        s.handed += handed
        s.next_due = now + timedelta(seconds=wait_s)

    def _failed(self, now: datetime, exc: FeedError) -> None:
        s = self.status
        s.up, s.last_error = False, str(exc)
        s.failures += 1
        s.errors += 1
        s.down_since = s.down_since or now
        backoff = self.timing.backoff
        if exc.retry_after is not None:
            delay = backoff.delay(s.failures, exc.retry_after)
        elif exc.retryable:
            delay = max(self.timing.host_gap_s, backoff.delay(s.failures))
        else:
            delay = max(backoff.cap_s, self.timing.every_s)
        s.next_due = now + timedelta(seconds=delay)
        level = logging.WARNING if s.failures == 1 else logging.DEBUG
        log.log(level, "%s (retry in %.1f s)", exc, delay)

    def get(
        self,
        url: httpx.URL,
        now: datetime,
        what: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """GET ``url``; network trouble and non-2xx answers raise FeedError."""
        response = self.send(url, now, what, headers, params)
        check_status(response, what, now)
        return response

    def send(
        self,
        url: httpx.URL,
        now: datetime,
        what: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """GET ``url``, any status; network trouble raises FeedError. ``what`` names the request
        in messages (never a URL, which may carry a secret)."""
        self.pacer.used(url.host, now, self.timing.host_gap_s)
        try:
            return self.client.get(url, headers=headers, params=params, timeout=self.timing.timeout)
        except httpx.TimeoutException as exc:
            raise FeedError(f"{what}: timed out ({type(exc).__name__})") from exc
        except (httpx.RemoteProtocolError, httpx.DecodingError) as exc:
            self.status.malformed += 1
            raise FeedError(f"{what}: cut or corrupt response ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:  # connection refused, reset, DNS, TLS...
            raise FeedError(f"{what}: {type(exc).__name__}") from exc

    def json_doc(self, body: bytes, what: str) -> Any:
        """The parsed JSON body; a body that is not JSON (or cut short) is malformed."""
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise self.malformed(f"{what}: malformed response (not JSON: {exc.msg})") from exc

    def malformed(self, message: str) -> FeedError:
        """Count a malformed response; the error to raise for it (retryable)."""
        self.status.malformed += 1
        return FeedError(message)

    def handover(self, body: bytes, source: Source, where: httpx.URL | str, now: datetime) -> Work:
        """One response as a (Blob, Source) pair, labelled without secrets."""
        return [(Blob(label(self.kind, where, now), body), source)]


def check_status(response: httpx.Response, what: str, now: datetime) -> None:
    """Raise FeedError for a non-2xx answer: 429/408/5xx retryable, with the server's wait."""
    code = response.status_code
    if code < 300:
        return
    wait = retry_after_s(response.headers.get("retry-after"), now)
    if wait is None:
        wait = retry_after_s(response.headers.get(OPENSKY_RETRY_HEADER), now)
    retryable = code in RETRYABLE or code >= 500
    raise FeedError(f"{what}: HTTP {code}", retryable=retryable, retry_after=wait)
