"""What every feed shares: its status, the ``Feed`` protocol the watcher polls, and ``FeedSet``,
which polls the due feeds and keeps one bad feed from stopping the others."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol

from basewatch.errors import FeedError
from basewatch.sources.base import Blob, Source

log = logging.getLogger(__name__)

#: A feed nobody polled yet is due at once.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: What a poll hands over: each response (or stream buffer) with the adapter that reads it.
Work = list[tuple[Blob, Source]]


@dataclass
class FeedStatus:
    """Health of one feed, for the status line and the ``feed_down`` alert.

    ``failures`` counts consecutive failed polls (reset by a success), ``errors`` all of them;
    ``malformed`` counts responses or stream messages that were cut or not of the format and
    were skipped; ``down_since`` is when the current outage began (None while up).
    """

    up: bool = False
    last_ok: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    polls: int = 0
    malformed: int = 0
    next_due: datetime = EPOCH
    down_since: datetime | None = None
    errors: int = 0
    handed: int = 0
    dropped: int = 0

    def as_json(self) -> dict[str, Any]:
        """Plain values, times as ISO 8601 with ``Z``."""
        return {k: _iso(v) if isinstance(v, datetime) else v for k, v in asdict(self).items()}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Feed(Protocol):
    """A live feed: polled when due, it hands over (Blob, Source) pairs for ``Store.ingest``.

    ``poll`` never sleeps: on failure it records the error in ``status``, moves ``next_due``
    (backoff with jitter, or the server's Retry-After) and raises ``FeedError``.
    """

    name: str
    kind: str
    status: FeedStatus

    def due(self, now: datetime) -> bool:
        """True when the feed should be polled at ``now``."""
        ...

    def poll(self, now: datetime) -> Work:
        """What arrived since the last poll; raises FeedError (status already updated)."""
        ...

    def close(self) -> None:
        """Release connections and stop background readers."""
        ...


class FeedSet:
    """The feeds of a watcher: polls the due ones, never raises for one bad feed."""

    def __init__(self, feeds: Iterable[Feed]) -> None:
        self.feeds = list(feeds)

    def __iter__(self) -> Iterator[Feed]:
        return iter(self.feeds)

    def __len__(self) -> int:
        return len(self.feeds)

    def poll_due(self, now: datetime) -> list[tuple[Feed, Blob, Source]]:
        """Poll every feed due at ``now``; a failing feed is logged in its status and skipped."""
        out: list[tuple[Feed, Blob, Source]] = []
        for feed in self.feeds:
            if not feed.due(now):
                continue
            try:
                work = feed.poll(now)
            except FeedError:
                continue  # the feed recorded it in its status and moved next_due
            except Exception as exc:  # a foreign Feed with a bug must not stop the watcher
                log.exception("feed %s: unexpected %s while polling", feed.name, type(exc).__name__)
                feed.status.last_error = f"unexpected {type(exc).__name__}"
                continue
            out.extend((feed, blob, source) for blob, source in work)
        return out

    def down_for(self, now: datetime) -> dict[str, float]:
        """Seconds each feed that is down has been down (for the ``feed_down`` alert)."""
        return {
            f.name: max(0.0, (now - f.status.down_since).total_seconds())
            for f in self.feeds
            if not f.status.up and f.status.down_since is not None
        }

    def next_due(self) -> datetime | None:
        """The earliest time a feed is due (the watcher may wait until then)."""
        return min((f.status.next_due for f in self.feeds), default=None)

    def statuses(self) -> dict[str, FeedStatus]:
        """Each feed's status by name."""
        return {f.name: f.status for f in self.feeds}

    def close(self) -> None:
        """Close every feed (stream threads stop, owned HTTP clients close)."""
        for feed in self.feeds:
            try:
                feed.close()
            except Exception:  # closing one must not keep the others open
                log.exception("feed %s: error while closing", feed.name)

    def __enter__(self) -> FeedSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
