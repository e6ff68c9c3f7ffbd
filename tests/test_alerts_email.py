"""The email sink against a real SMTP server on loopback (aiosmtpd) with STARTTLS and login."""

from __future__ import annotations

import dataclasses
import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest

from basewatch.alerts.email_sink import EmailSink
from basewatch.errors import SinkError
from tests.test_alerts_sinks import ALERT

aiosmtpd = pytest.importorskip("aiosmtpd")
trustme = pytest.importorskip("trustme")

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"bw", b"pw")
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox, ssl.SSLContext]]:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_ctx,
        require_starttls=True,
        authenticator=_authenticator,
        auth_require_tls=True,
    )
    controller.start()
    yield port, inbox, client_ctx
    controller.stop()


def _sink(port: int, password: str, context: ssl.SSLContext | None = None) -> EmailSink:
    sink = EmailSink("127.0.0.1", port, "bw@example.org", ("desk@example.org",), "bw", password)
    return sink if context is None else dataclasses.replace(sink, context=context)


def test_email_is_sent_over_starttls_with_login(
    smtp_server: tuple[int, _Inbox, ssl.SSLContext],
) -> None:
    port, inbox, ctx = smtp_server
    sink = _sink(port, "pw", ctx)
    sink.send(ALERT)
    [(sender, rcpts, content)] = inbox.messages
    assert sender == "bw@example.org"
    assert rcpts == ["desk@example.org"]
    msg = message_from_bytes(content)
    assert msg["Subject"] == f"[basewatch] {ALERT.title}"
    assert ALERT.alert_id in msg.get_payload()


def test_wrong_password_is_a_sink_error_without_the_password(
    smtp_server: tuple[int, _Inbox, ssl.SSLContext],
) -> None:
    port, inbox, ctx = smtp_server
    sink = _sink(port, "hunter2", ctx)
    with pytest.raises(SinkError) as info:
        sink.send(ALERT)
    assert "hunter2" not in str(info.value)
    assert not inbox.messages


def test_untrusted_certificate_is_refused(smtp_server: tuple[int, _Inbox, ssl.SSLContext]) -> None:
    port, inbox, _ = smtp_server
    sink = _sink(port, "pw")  # default context: the test CA is unknown
    with pytest.raises(SinkError, match="SSL"):
        sink.send(ALERT)
    assert not inbox.messages
