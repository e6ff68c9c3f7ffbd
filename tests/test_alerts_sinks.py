"""Alert sinks against local receivers: a real HTTP server on loopback, an SMTP server with
STARTTLS (aiosmtpd + a trustme certificate), and httpx.MockTransport for other companies' APIs."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from basewatch.alerts import Alert, JsonlSink, StdoutSink, alert_id, build_sinks
from basewatch.alerts.email_sink import EmailSink
from basewatch.alerts.http_sinks import SIGNATURE_HEADER, NtfySink, TelegramSink, WebhookSink
from basewatch.config import Sink as SinkSpec
from basewatch.errors import ConfigError, SinkError
from basewatch.retry import Backoff, retry_after_s

ALERT = Alert(
    alert_id=alert_id("arrival", "hmeimim", "15a3c2", "2025-10-24T09:40:00Z"),
    kind="arrival",
    time=datetime(2025, 10, 24, 9, 40, tzinfo=UTC),
    title="Il-76 RF-76999 arrived at Hmeimim",
    message="Russian state Il-76 RF-76999 (15a3c2) landed at Hmeimim (OSLK) at 09:40Z.",
    base="hmeimim",
    icao24="15a3c2",
    evidence={"lat": 35.40, "lon": 35.95, "source": "readsb_trace"},
)


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Handler", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_webhook_posts_the_signed_alert_to_a_real_server(
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = receiver
    with httpx.Client() as client:
        WebhookSink(url, client, secret="s3cret").send(ALERT)
    [(headers, body)] = received
    assert json.loads(body) == ALERT.as_json()
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER.lower()] == f"sha256={expected}"
    assert headers["idempotency-key"] == ALERT.alert_id


def test_webhook_without_secret_sends_no_signature(
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = receiver
    with httpx.Client() as client:
        WebhookSink(url, client).send(ALERT)
    assert SIGNATURE_HEADER.lower() not in received[0][0]


def _mock(responses: list[httpx.Response | Exception]) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = responses[min(len(seen), len(responses)) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    return httpx.Client(transport=httpx.MockTransport(handle)), seen


def test_429_retry_after_is_respected_then_delivered() -> None:
    client, seen = _mock([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)])
    sleeps: list[float] = []
    sink = WebhookSink("https://hooks.example/x", client)
    Backoff(attempts=4).call(lambda: sink.send(ALERT), (SinkError,), sleep=sleeps.append)
    assert len(seen) == 2
    assert sleeps == [7.0]


def test_server_errors_and_timeouts_are_retried_with_growing_jittered_backoff() -> None:
    client, seen = _mock(
        [httpx.Response(500), httpx.ReadTimeout("slow"), httpx.Response(503), httpx.Response(502)]
    )
    sleeps: list[float] = []
    sink = WebhookSink("https://hooks.example/x", client)
    with pytest.raises(SinkError, match="HTTP 502"):
        Backoff(base_s=2, attempts=4).call(lambda: sink.send(ALERT), (SinkError,), sleeps.append)
    assert len(seen) == 4
    assert len(sleeps) == 3
    assert all(0 <= s <= 2 * 2**i for i, s in enumerate(sleeps))


def test_client_errors_are_not_retried() -> None:
    client, seen = _mock([httpx.Response(400)])
    sink = WebhookSink("https://hooks.example/x", client)
    with pytest.raises(SinkError, match="HTTP 400") as info:
        Backoff().call(lambda: sink.send(ALERT), (SinkError,), sleep=lambda s: None)
    assert not info.value.retryable
    assert len(seen) == 1


def test_ntfy_publishes_title_priority_and_token() -> None:
    client, seen = _mock([httpx.Response(200)])
    NtfySink("https://ntfy.example/basewatch", client, token="tk_abc").send(ALERT)
    [req] = seen
    assert req.url == "https://ntfy.example/basewatch"
    assert req.headers["Title"] == ALERT.title
    assert req.headers["Authorization"] == "Bearer tk_abc"
    assert req.headers["Tags"] == "airplane,arrival"
    assert req.content.decode() == ALERT.message


def test_telegram_sends_to_the_chat_and_never_shows_the_token() -> None:
    token = "123456:AAH-secret-token"
    client, seen = _mock([httpx.Response(200), httpx.Response(401)])
    sink = TelegramSink(token, "-100200300", client)
    sink.send(ALERT)
    assert seen[0].url.path == f"/bot{token}/sendMessage"
    assert json.loads(seen[0].content) == {"chat_id": "-100200300", "text": ALERT.text()}
    with pytest.raises(SinkError) as info:
        sink.send(ALERT)
    assert token not in str(info.value)
    assert "401" in str(info.value)


def test_jsonl_appends_one_document_per_alert(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "alerts.jsonl"
    sink = JsonlSink(path)
    sink.send(ALERT)
    sink.send(ALERT)
    lines = path.read_text().splitlines()
    assert [json.loads(x) for x in lines] == [ALERT.as_json()] * 2


def test_jsonl_unwritable_path_is_a_sink_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SinkError, match="jsonl sink"):
        JsonlSink(blocker / "alerts.jsonl").send(ALERT)


def test_stdout_sink_writes_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    StdoutSink().send(ALERT)
    line = capsys.readouterr().out
    assert line.count("\n") == 1
    assert "[arrival]" in line
    assert ALERT.title in line


def test_retry_after_http_date() -> None:
    now = datetime(2025, 10, 24, 9, 0, tzinfo=UTC)
    assert retry_after_s("Fri, 24 Oct 2025 09:00:30 GMT", now) == 30.0
    assert retry_after_s("120") == 120.0
    assert retry_after_s("soon") is None
    assert retry_after_s(None) is None


def test_build_sinks_reads_secrets_from_the_environment(tmp_path: Path) -> None:
    specs = (
        SinkSpec("jsonl", {"path": str(tmp_path / "a.jsonl")}),
        SinkSpec("webhook", {"url": "https://hooks.example/x", "secret_env": "MY_HOOK_KEY"}),
        SinkSpec("telegram", {"chat_id": "42"}),
        SinkSpec("ntfy", {"topic": "bw-alerts"}),
        SinkSpec("email", {"host": "smtp.example", "from": "a@example", "to": ["b@example"]}),
    )
    env = {"MY_HOOK_KEY": "k", "BASEWATCH_TELEGRAM_TOKEN": "t", "BASEWATCH_SMTP_PASSWORD": "p"}
    sinks = build_sinks(specs, env, httpx.Client())
    assert [s.name for s in sinks] == ["jsonl", "webhook", "telegram", "ntfy", "email"]
    assert isinstance(sinks[1], WebhookSink)
    assert sinks[1].secret == "k"
    assert isinstance(sinks[3], NtfySink)
    assert sinks[3].url == "https://ntfy.sh/bw-alerts"
    assert isinstance(sinks[4], EmailSink)
    assert sinks[4].password == "p"
    with pytest.raises(ConfigError, match="BASEWATCH_TELEGRAM_TOKEN"):
        build_sinks((SinkSpec("telegram", {"chat_id": "42"}),), {}, httpx.Client())
