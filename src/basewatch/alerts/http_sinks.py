"""Alert sinks over HTTP: a generic JSON webhook (optionally HMAC-signed), ntfy and Telegram.

Secrets come from environment variables named in the config and never appear in messages.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import httpx

from basewatch.alerts.model import Alert
from basewatch.errors import SinkError
from basewatch.retry import retry_after_s

TIMEOUT_S = 10.0
SIGNATURE_HEADER = "X-Basewatch-Signature"


def post(
    client: httpx.Client, what: str, url: str, *, content: bytes, headers: dict[str, str]
) -> None:
    """POST, turning failures into ``SinkError``: 429 and 5xx and network errors are retryable,
    other 4xx are not. ``what`` names the sink in messages (never the secret-bearing URL)."""
    try:
        response = client.post(url, content=content, headers=headers, timeout=TIMEOUT_S)
    except httpx.TimeoutException as exc:
        raise SinkError(f"{what}: timed out") from exc
    except httpx.TransportError as exc:
        raise SinkError(f"{what}: {type(exc).__name__}") from exc
    code = response.status_code
    if code < 300:
        return
    wait = retry_after_s(response.headers.get("retry-after"))
    retryable = code == 429 or code >= 500
    raise SinkError(f"{what}: HTTP {code}", retryable=retryable, retry_after=wait)


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact request body under the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class WebhookSink:
    """POSTs the alert's JSON document; signs it when a secret is set."""

    url: str
    client: httpx.Client
    secret: str | None = None
    name: str = "webhook"

    def send(self, alert: Alert) -> None:
        body = json.dumps(alert.as_json(), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": alert.alert_id}
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        post(
            self.client,
            f"webhook {httpx.URL(self.url).host}",
            self.url,
            content=body,
            headers=headers,
        )


@dataclass
class NtfySink:
    """Publishes to an ntfy topic URL (``https://ntfy.sh/TOPIC`` or a self-hosted server)."""

    url: str
    client: httpx.Client
    token: str | None = None
    priority: str = "high"
    name: str = "ntfy"

    def send(self, alert: Alert) -> None:
        headers = {
            "Title": _latin1(alert.title),
            "Priority": self.priority,
            "Tags": f"airplane,{alert.kind}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        post(
            self.client,
            f"ntfy {httpx.URL(self.url).host}",
            self.url,
            content=alert.message.encode(),
            headers=headers,
        )


@dataclass
class TelegramSink:
    """Sends a message through a Telegram bot (``sendMessage``) to a chat."""

    token: str
    chat_id: str
    client: httpx.Client
    api: str = "https://api.telegram.org"
    name: str = "telegram"

    def send(self, alert: Alert) -> None:
        body = json.dumps({"chat_id": self.chat_id, "text": alert.text()}).encode()
        url = f"{self.api}/bot{self.token}/sendMessage"
        post(
            self.client,
            f"telegram chat {self.chat_id}",
            url,
            content=body,
            headers={"Content-Type": "application/json"},
        )


def _latin1(text: str) -> str:
    """HTTP header values are Latin-1: replace what does not fit."""
    return text.encode("latin-1", "replace").decode("latin-1")
