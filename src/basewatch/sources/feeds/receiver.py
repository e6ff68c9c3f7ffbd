"""A local receiver's readsb/tar1090 ``aircraft.json``: by ``url`` (http) or ``path`` (a file
re-read at each poll), every ``every_s`` (5 s; readsb rewrites it every second).

Each snapshot dates its positions ``now - seen_pos``; an unchanged file gives the same bytes, which
the store counts once. A file caught half-written, or a body that is no snapshot, is malformed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx

from basewatch.errors import FeedError
from basewatch.sources.base import Blob
from basewatch.sources.feeds.polling import HostPacer, HttpFeed, Timing
from basewatch.sources.feeds.status import Work
from basewatch.sources.readsb_aircraft import snapshot_entries
from basewatch.sources.registry import get_source

DEFAULT_EVERY_S = 5.0


class AircraftJsonFeed(HttpFeed):
    """Polls one aircraft.json, over HTTP or from the file system."""

    kind: str = "aircraft_json"

    def __init__(
        self,
        name: str,
        client: httpx.Client,
        timing: Timing,
        url: str | None = None,
        path: Path | None = None,
        pacer: HostPacer | None = None,
        owns_client: bool = False,
    ) -> None:
        super().__init__(name, client, timing, pacer, owns_client)
        if (url is None) == (path is None):
            raise ValueError("give exactly one of url and path")
        self.url = httpx.URL(url) if url is not None else None
        self.path = path
        self.source = get_source("aircraft_json")

    def hosts(self) -> list[str]:
        return [self.url.host] if self.url is not None else []

    def _poll(self, now: datetime) -> tuple[Work, float]:
        what = f"{self.name}"
        if self.url is not None:
            body = self.get(self.url, now, what).content
            where: httpx.URL | str = self.url
        else:
            assert self.path is not None
            body, where = self._read_file(what), str(self.path)
        content, broken = Blob(what, body).read_all()  # a gzip file is read through
        if broken is not None:
            raise self.malformed(f"{what}: malformed file ({broken.reason})")
        got = snapshot_entries(self.json_doc(content, what))
        if isinstance(got, str):
            raise self.malformed(f"{what}: malformed response ({got})")
        return self.handover(body, self.source, where, now), self.timing.every_s

    def _read_file(self, what: str) -> bytes:
        assert self.path is not None
        try:
            return self.path.read_bytes()
        except OSError as exc:  # readsb restarting, a mount gone: try again later
            raise FeedError(f"{what}: cannot read {self.path}: {exc.strerror or exc}") from exc
