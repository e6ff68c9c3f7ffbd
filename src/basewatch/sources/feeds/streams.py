"""TCP streams from a local receiver: SBS (readsb/dump1090 port 30003) and Beast (port 30005).

A background thread per stream connects (``host``/``port`` or ``url: tcp://host:port``),
reads, cuts the bytes into whole messages and buffers them; it reconnects after a drop, an
error or ``idle_timeout_s`` (60 s) of silence, with full-jitter backoff (1 s doubling to 60 s).
A message cut by a drop is discarded and counted in ``status.malformed``; past ``max_buffer``
(200,000) messages the oldest are dropped (``status.dropped``). ``poll`` hands over what was
buffered since the last poll, every ``every_s`` (5 s): one Blob for SBS (lines carry their own
times), one per connection for Beast, timed from when its first frame arrived (see
``BeastStream``). ``lat``/``lon`` (or ``point``) give the receiver's position, which lets
lone Beast position frames be decoded locally.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from basewatch.retry import Backoff
from basewatch.sources.base import Blob, Source
from basewatch.sources.feeds.framing import BeastFramer, LineFramer
from basewatch.sources.feeds.polling import label
from basewatch.sources.feeds.status import FeedStatus, Work
from basewatch.sources.feeds.stream_sources import BeastStream, SbsStream
from basewatch.sources.modes import parse_beast
from basewatch.sources.modes_decode import COUNTER_WRAP, TICKS_PER_S

log = logging.getLogger(__name__)

DEFAULT_EVERY_S = 5.0
DEFAULT_PORTS = {"sbs": 30003, "beast": 30005}
#: A Beast counter further than this from the arrival time is no 12 MHz clock (or restarted).
MAX_CLOCK_DRIFT_S = 30.0


class StreamSocket(Protocol):
    """What the reader needs of a connected socket (a test may hand in its own)."""

    def recv(self, size: int, /) -> bytes: ...

    def settimeout(self, value: float | None, /) -> None: ...

    def close(self) -> None: ...


#: ``connect(host, port, timeout_s)`` → a connected socket; raises OSError when it cannot.
Connect = Callable[[str, int, float], StreamSocket]


def tcp_connect(host: str, port: int, timeout_s: float) -> StreamSocket:
    """A TCP connection to the receiver."""
    return socket.create_connection((host, port), timeout=timeout_s)


def utc_now() -> datetime:
    """Wall-clock time: when stream bytes arrive is only known by reading the clock."""
    return datetime.now(UTC)


@dataclass
class StreamSettings:
    """Timeouts, reconnect backoff and buffer bound of a stream reader."""

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 0.5
    idle_timeout_s: float = 60.0
    backoff: Backoff = field(default_factory=lambda: Backoff(base_s=1.0, cap_s=60.0))
    max_buffer: int = 200_000


@dataclass(frozen=True)
class Message:
    """One whole message, the connection it came on, and when it arrived."""

    session: int
    at: datetime
    data: bytes


class StreamReader:
    """The background thread of one stream: connect, read, frame, buffer, reconnect."""

    def __init__(
        self,
        name: str,
        kind: str,
        address: tuple[str, int],
        status: FeedStatus,
        settings: StreamSettings,
        connect: Connect = tcp_connect,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.name, self.kind, self.address = name, kind, address
        self.status, self.settings = status, settings
        self.connect, self.clock = connect, clock
        self.lock = threading.Condition()
        self.buffer: deque[Message] = deque()
        self.session = 0
        self.connections = 0
        self._stop = threading.Event()
        self._sock: StreamSocket | None = None
        self._thread = threading.Thread(target=self._run, name=f"feed-{name}", daemon=True)

    def start(self) -> None:
        """Start the thread (once)."""
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()

    @property
    def alive(self) -> bool:
        """True while the reader thread runs."""
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop reading and wait for the thread to end."""
        self._stop.set()
        with self.lock:
            shutdown = getattr(self._sock, "shutdown", None)
        if shutdown is not None:
            try:
                shutdown(socket.SHUT_RDWR)  # wakes a blocked recv at once
            except OSError:
                pass
        if self._thread.ident is not None:
            self._thread.join(timeout_s)

    def take(self) -> list[Message]:
        """Every buffered message, oldest first; the buffer is emptied."""
        with self.lock:
            out = list(self.buffer)
            self.buffer.clear()
        return out

    def wait_for(self, predicate: Callable[[StreamReader], bool], timeout_s: float) -> bool:
        """Block until ``predicate(self)`` holds (checked whenever something arrives or the
        connection changes), or the timeout; the watcher may use it to wake on data."""
        with self.lock:
            return self.lock.wait_for(lambda: predicate(self), timeout_s)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            host, port = self.address
            try:
                sock = self.connect(host, port, self.settings.connect_timeout_s)
            except OSError as exc:
                failures += 1
                self._down(f"cannot connect to {host}:{port}: {exc.strerror or exc}", failures)
                continue
            failures = 0
            self._up(sock)
            try:
                reason, bad = self._pump(sock)
            finally:
                with self.lock:
                    self._sock = None
                sock.close()
            with self.lock:
                self.status.malformed += bad
            if not self._stop.is_set():
                failures += 1
                self._down(f"{host}:{port}: {reason}", failures)
        with self.lock:
            self.status.up = False
            self.lock.notify_all()

    def _pump(self, sock: StreamSocket) -> tuple[str, int]:
        """Read until the connection ends; why it ended, and the partial message it cut."""
        framer = LineFramer() if self.kind == "sbs" else BeastFramer()
        sock.settimeout(self.settings.read_timeout_s)
        last = time.monotonic()
        while not self._stop.is_set():
            try:
                data = sock.recv(1 << 16)
            except TimeoutError:
                if time.monotonic() - last > self.settings.idle_timeout_s:
                    return f"nothing received for {self.settings.idle_timeout_s:.0f} s", 0
                continue
            except OSError as exc:
                return f"read failed: {exc.strerror or type(exc).__name__}", framer.cut()
            if not data:
                return "connection closed by the receiver", framer.cut()
            last = time.monotonic()
            messages, bad = framer.feed(data)
            if messages or bad:
                self._add(messages, bad)
        return "stopped", framer.cut()

    def _add(self, messages: list[bytes], bad: int) -> None:
        at = self.clock()
        with self.lock:
            self.buffer.extend(Message(self.session, at, m) for m in messages)
            self.status.malformed += bad
            extra = len(self.buffer) - self.settings.max_buffer
            for _ in range(max(0, extra)):
                self.buffer.popleft()
            if extra > 0:
                self.status.dropped += extra
            self.lock.notify_all()

    def _up(self, sock: StreamSocket) -> None:
        with self.lock:
            self._sock = sock
            self.session += 1
            self.connections += 1
            self.status.up, self.status.down_since, self.status.failures = True, None, 0
            self.lock.notify_all()
        log.info("feed %s: connected to %s:%d", self.name, *self.address)

    def _down(self, reason: str, failures: int) -> None:
        with self.lock:
            s = self.status
            s.up, s.last_error, s.failures = False, reason, failures
            s.errors += 1
            s.down_since = s.down_since or self.clock()
            self.lock.notify_all()
        delay = self.settings.backoff.delay(failures)
        level = logging.WARNING if failures == 1 else logging.DEBUG
        log.log(level, "feed %s: %s (reconnecting in %.1f s)", self.name, reason, delay)
        self._stop.wait(delay)


class StreamFeed:
    """An SBS or Beast stream as a Feed: ``poll`` hands over what the reader buffered."""

    def __init__(
        self,
        name: str,
        kind: str,
        address: tuple[str, int],
        every_s: float = DEFAULT_EVERY_S,
        settings: StreamSettings | None = None,
        connect: Connect = tcp_connect,
        reference: tuple[float, float] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if kind not in DEFAULT_PORTS:
            raise ValueError(f"stream kind is sbs or beast, not {kind!r}")
        self.name, self.kind, self.address = name, kind, address
        self.every_s, self.reference = every_s, reference
        self.status = FeedStatus()
        self.reader = StreamReader(
            name, kind, address, self.status, settings or StreamSettings(), connect, clock
        )
        self.sbs = SbsStream()
        self.beast: tuple[int, BeastStream] | None = None

    def due(self, now: datetime) -> bool:
        """Starts the reader on first use; due every ``every_s``."""
        self.reader.start()
        return now >= self.status.next_due

    def poll(self, now: datetime) -> Work:
        """The messages buffered since the last poll (none while the receiver is away)."""
        self.reader.start()
        messages = self.reader.take()
        with self.reader.lock:
            s = self.status
            s.polls += 1
            s.next_due = now + timedelta(seconds=self.every_s)
            if s.up:
                s.last_ok = now
        if not messages:
            return []
        work = (
            self._sbs_work(messages, now) if self.kind == "sbs" else self._beast_work(messages, now)
        )
        with self.reader.lock:
            self.status.handed += len(work)
        return work

    def close(self) -> None:
        """Stop the reader thread."""
        self.reader.stop()

    def _where(self) -> str:
        return "{}:{}".format(*self.address)

    def _sbs_work(self, messages: list[Message], now: datetime) -> Work:
        body = b"".join(m.data for m in messages)
        return [(Blob(label("sbs", self._where(), now), body), self.sbs)]

    def _beast_work(self, messages: list[Message], now: datetime) -> Work:
        """One Blob per connection; each connection's frames timed by its own clock."""
        work: list[tuple[Blob, Source]] = []
        start = 0
        for i in range(1, len(messages) + 1):
            if i < len(messages) and messages[i].session == messages[start].session:
                continue
            group = messages[start:i]
            body = b"".join(m.data for m in group)
            source = self._beast_source(group[0])
            work.append((Blob(label("beast", self._where(), now), body), source))
            start = i
        return work

    def _beast_source(self, first: Message) -> BeastStream:
        """The connection's adapter; a new one (anchored at this frame's arrival) for a new
        connection, or when the counter strays from the wall clock (no 12 MHz clock)."""
        if self.beast is not None and self.beast[0] == first.session:
            stream = self.beast[1]
            drift = _drift_s(stream, first)
            if drift is None or abs(drift) <= MAX_CLOCK_DRIFT_S:
                return stream
            log.warning(
                "feed %s: the receiver clock is %.0f s off the arrival times; re-anchored",
                self.name,
                drift,
            )
        stream = BeastStream(first.at, self.reference)
        self.beast = (first.session, stream)
        return stream


def _drift_s(stream: BeastStream, first: Message) -> float | None:
    """Seconds between the time the stream's clock gives a frame and when it arrived."""
    frames, _ = parse_beast(first.data)
    if not frames or stream.clock.last is None:
        return None
    step = (frames[0].counter - stream.clock.last) % COUNTER_WRAP
    predicted = stream.clock.base + (stream.clock.ticks + step) / TICKS_PER_S
    return predicted - first.at.timestamp()
