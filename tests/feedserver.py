"""A replay feed server for tests: real HTTP on 127.0.0.1 (uvicorn in a thread, a bare ASGI app)
answering each path with scripted replies, and real TCP servers replaying SBS lines or Beast
bytes with scripted drops. Nothing leaves the machine; the OS picks the ports.

Use the fixtures by naming them in a test module (``replay_server =
feedserver.replay_server``, ``tcp_replay = feedserver.tcp_replay``), or the classes directly:
``ReplayServer`` (``script(path, Reply(...), ...)``, ``requests``) and
``TcpReplay([Session(parts, drop=...)])`` (``release()``, ``wait_for(...)``).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
import uvicorn

WAIT_S = 10.0


@dataclass
class Reply:
    """One scripted HTTP answer. ``cut_at``: send only that many body bytes (the
    Content-Length still announces all of them), then drop the connection; ``delay_s``: wait
    that long before answering (to outlast a client's timeout)."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    cut_at: int | None = None

    @classmethod
    def json(cls, doc: Any, **kwargs: Any) -> Reply:
        return cls(orjson.dumps(doc), headers={"content-type": "application/json"}, **kwargs)


@dataclass(frozen=True)
class Request:
    """A request the server received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]


class ReplayServer:
    """Answers each path with its scripted replies in turn; the last reply repeats; 404 for a
    path with no script. ``requests`` records what came in, in order."""

    def __init__(self) -> None:
        self._scripts: dict[str, list[Reply]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(
            self.app, interface="asgi3", log_level="critical", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, path: str, *replies: Reply) -> None:
        """Answer ``path`` with ``replies`` in turn (appended to what is scripted already)."""
        with self._lock:
            self._scripts.setdefault(path, []).extend(replies)

    def hits(self, path: str) -> list[Request]:
        """The requests received for ``path``."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> ReplayServer:
        """Serve (connections made before uvicorn runs wait in the listening socket)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = self._server.force_exit = True
        if self._thread.ident is not None:
            self._thread.join(WAIT_S)
        self._sock.close()

    def _next(self, path: str) -> Reply:
        with self._lock:
            replies = self._scripts.get(path)
            if not replies:
                return Reply(b"no script for this path", status=404)
            return replies.pop(0) if len(replies) > 1 else replies[0]

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request = Request(scope["method"], scope["path"], scope["query_string"].decode(), headers)
        with self._lock:
            self.requests.append(request)
        reply = self._next(scope["path"])
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        head = [(b"content-length", str(len(reply.body)).encode())]
        head += [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": head})
        if reply.cut_at is None:
            await send({"type": "http.response.body", "body": reply.body})
            return
        await send(
            {"type": "http.response.body", "body": reply.body[: reply.cut_at], "more_body": True}
        )
        raise ConnectionAbortedError("scripted cut")  # uvicorn drops the connection


@dataclass
class Session:
    """What one accepted connection gets: ``parts`` in turn (each part after the first only
    once the test calls ``release``), then a drop (``drop=True``) or silence until stop."""

    parts: list[bytes]
    drop: bool = True


class TcpReplay:
    """A TCP server on 127.0.0.1 giving its n-th connection the n-th scripted session; later
    connections are held open, silent. ``accepted`` and ``sent`` count what happened."""

    def __init__(self, sessions: list[Session]) -> None:
        self.sessions = list(sessions)
        self.accepted = 0
        self.sent = 0
        self.changed = threading.Condition()
        self._release = threading.Semaphore(0)
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.05)  # accept wakes up to notice stop
        self.port = int(self._sock.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self) -> TcpReplay:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._release.release()
        self._thread.join(WAIT_S)
        self._sock.close()

    def release(self) -> None:
        """Let the current session send its next part."""
        self._release.release()

    def wait_for(self, predicate: Callable[[TcpReplay], bool], timeout_s: float = WAIT_S) -> bool:
        """Block until ``predicate(self)`` holds after a connection or a sent part."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout_s)

    def _serve(self) -> None:
        held: list[socket.socket] = []
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with self.changed:
                n = self.accepted
                self.accepted += 1
                self.changed.notify_all()
            if n < len(self.sessions) and self._play(conn, self.sessions[n]):
                conn.close()
            else:
                held.append(conn)
        for conn in held:
            conn.close()

    def _play(self, conn: socket.socket, session: Session) -> bool:
        """Send a session; True when the connection is to be dropped now."""
        for i, part in enumerate(session.parts):
            if i and not self._wait_release():
                return True
            try:
                conn.sendall(part)
            except OSError:
                return True
            with self.changed:
                self.sent += 1
                self.changed.notify_all()
        if session.drop:
            conn.shutdown(socket.SHUT_RDWR)
        return session.drop

    def _wait_release(self) -> bool:
        self._release.acquire(timeout=WAIT_S)
        return not self._stop.is_set()


def beast_frames(frames: list[tuple[int, int, int, bytes]]) -> bytes:
    """Beast bytes as dump1090's writeBeastMessage: 0x1a, type, 6-byte counter, signal, message,
    every 0x1a after the type doubled. ``frames``: (type byte, counter, signal, message)."""
    out = bytearray()
    for kind, counter, signal, message in frames:
        body = counter.to_bytes(6, "big") + bytes([signal]) + message
        out += bytes([0x1A, kind]) + body.replace(b"\x1a", b"\x1a\x1a")
    return bytes(out)


@pytest.fixture
def replay_server() -> Iterator[ReplayServer]:
    """A started ReplayServer, stopped after the test."""
    server = ReplayServer().start()
    yield server
    server.stop()


#: What the ``tcp_replay`` fixture gives: make a started server for these sessions.
MakeTcpReplay = Callable[[list[Session]], TcpReplay]


@pytest.fixture
def tcp_replay() -> Iterator[MakeTcpReplay]:
    """Make started TcpReplay servers (``tcp_replay([Session(...)])``), stopped after the test."""
    made: list[TcpReplay] = []

    def make(sessions: list[Session]) -> TcpReplay:
        made.append(TcpReplay(sessions).start())
        return made[-1]

    yield make
    for server in made:
        server.stop()
