"""Live view: the watcher runs in a background thread of the server (DuckDB lets one process
hold the store), and each of its cycles and alerts is pushed to the open ``/live`` pages as
server-sent events. Without a watcher, ``/live`` shows the alerts the store keeps."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from basewatch.store import Store
from basewatch.web.params import iso

log = logging.getLogger("basewatch.web")

#: Events kept for pages that open later, and per page before it is dropped as too slow.
KEEP = 50
QUEUE = 1000


class LiveWatcher(Protocol):
    """What the server needs of ``basewatch.watch.watcher.Watcher``."""

    def run(
        self,
        stop: threading.Event,
        clock: Callable[[], datetime] = ...,
        on_cycle: Callable[[Any], None] | None = None,
        tick_s: float = 1.0,
    ) -> None: ...

    def status(self) -> str: ...


@dataclass
class LiveHub:
    """Fan-out of events from the watcher's thread to every subscribed page's event loop."""

    running: bool = False
    cycles: int = 0
    last_status: str = "no watcher runs in this server"
    recent: deque[tuple[str, dict[str, Any]]] = field(default_factory=lambda: deque(maxlen=KEEP))
    _subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Any]]] = field(
        default_factory=set
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Send an event to every page (callable from any thread)."""
        with self._lock:
            self.recent.append((kind, data))
            for loop, queue in list(self._subscribers):
                if queue.qsize() < QUEUE:
                    loop.call_soon_threadsafe(queue.put_nowait, (kind, data))

    def status_doc(self) -> dict[str, Any]:
        return {"running": self.running, "cycles": self.cycles, "status": self.last_status}

    async def events(self, keepalive_s: float = 15.0) -> AsyncIterator[tuple[str, Any]]:
        """The session's recent events, then events as they come; ``("keepalive", None)``
        after ``keepalive_s`` of silence."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:  # the backlog and the subscription at once: nothing lost or repeated
            backlog = list(self.recent)
            self._subscribers.add(entry)
        try:
            for event in backlog:
                yield event
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), keepalive_s)
                except TimeoutError:
                    yield ("keepalive", None)
        finally:
            with self._lock:
                self._subscribers.discard(entry)


class WatcherThread:
    """Runs the watcher until the server stops, publishing its cycles and alerts."""

    def __init__(self, watcher: LiveWatcher, hub: LiveHub, tick_s: float = 1.0) -> None:
        self.watcher = watcher
        self.hub = hub
        self.tick_s = tick_s
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="basewatch-watcher", daemon=True)

    def start(self) -> None:
        self.hub.running = True
        self.hub.last_status = "watcher starting"
        self.thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the watcher to stop; it flushes (one last cycle, pending deliveries) first."""
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout_s)

    def _run(self) -> None:
        try:
            self.watcher.run(self.stop_event, on_cycle=self.on_cycle, tick_s=self.tick_s)
        except Exception:
            log.exception("the watcher stopped on an error")
            self.hub.last_status = "the watcher stopped on an error (see the server's log)"
        else:
            self.hub.last_status = "the watcher has stopped"
        finally:
            self.hub.running = False
            self.hub.publish("status", self.hub.status_doc())

    def on_cycle(self, report: Any) -> None:
        """Publish one cycle's summary, then each alert it raised."""
        hub = self.hub
        hub.cycles += 1
        hub.last_status = self.watcher.status()
        hub.publish("cycle", cycle_doc(report, hub.last_status))
        for alert in report.alerts:
            hub.publish("alert", alert.as_json())


def cycle_doc(report: Any, status: str) -> dict[str, Any]:
    """A ``CycleReport`` as JSON, with the watcher's status line."""
    return {
        "time": iso(report.now),
        "responses": report.responses,
        "positions": report.positions,
        "duplicates": report.duplicates,
        "rejected": report.rejected,
        "aircraft": report.aircraft,
        "alerts": len(report.alerts),
        "seconds": round(report.seconds, 3),
        "stages": {k: round(v, 3) for k, v in getattr(report, "stages", {}).items()},
        "status": status,
    }


def stored_alerts(store: Store, limit: int = KEEP) -> list[dict[str, Any]]:
    """The newest alerts of table ``alerts`` (as sinks received them), newest first."""
    exists = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'alerts'"
    ).fetchall()[0][0]
    if not exists:
        return []
    rows = store.con.execute(
        "SELECT doc, raised_at FROM alerts ORDER BY seq DESC LIMIT ?", [limit]
    ).fetchall()
    return [{**json.loads(doc), "raised_at": iso(raised)} for doc, raised in rows]


def live_doc(hub: LiveHub, store: Store) -> dict[str, Any]:
    """What ``/live`` shows first: the watcher's state and the stored alerts."""
    return {
        **hub.status_doc(),
        "as_of": iso(datetime.now(UTC)),
        "alerts": stored_alerts(store),
        "events_url": "/api/live/events",
    }


def sse(kind: str, data: Any) -> str:
    """One server-sent event (a comment for a keepalive)."""
    if kind == "keepalive":
        return ": keepalive\n\n"
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"
