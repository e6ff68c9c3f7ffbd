"""Sinks from the config's ``alerts: sinks:`` entries; secrets are read from the environment
variables the entries name (``*_env`` keys), so the config file holds no secret."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from basewatch.alerts.email_sink import EmailSink
from basewatch.alerts.http_sinks import NtfySink, TelegramSink, WebhookSink
from basewatch.alerts.sinks import JsonlSink, Sink, StdoutSink
from basewatch.config import Sink as SinkSpec
from basewatch.errors import ConfigError

#: Default environment variables for each sink's secret.
SECRET_ENV = {
    "webhook": "BASEWATCH_WEBHOOK_SECRET",
    "ntfy": "BASEWATCH_NTFY_TOKEN",
    "telegram": "BASEWATCH_TELEGRAM_TOKEN",
    "email": "BASEWATCH_SMTP_PASSWORD",
}


def build_sinks(
    specs: tuple[SinkSpec, ...], environ: Mapping[str, str], client: httpx.Client | None = None
) -> list[Sink]:
    """One sink per config entry; ``client`` is shared by the HTTP sinks (a MockTransport in
    tests)."""
    http = client or httpx.Client(follow_redirects=False)
    return [_sink(spec, environ, http) for spec in specs]


def _sink(spec: SinkSpec, environ: Mapping[str, str], http: httpx.Client) -> Sink:
    o = spec.options
    secret = _secret(spec, environ)
    if spec.kind == "stdout":
        return StdoutSink()
    if spec.kind == "jsonl":
        return JsonlSink(Path(str(o["path"])))
    if spec.kind == "webhook":
        return WebhookSink(str(o["url"]), http, secret=secret)
    if spec.kind == "ntfy":
        url = str(o.get("url") or f"https://ntfy.sh/{_need(spec, 'topic')}")
        return NtfySink(url, http, token=secret, priority=str(o.get("priority", "high")))
    if spec.kind == "telegram":
        if not secret:
            raise ConfigError(f"telegram sink: set the bot token in ${_env_name(spec)}")
        return TelegramSink(secret, _need(spec, "chat_id"), http)
    if spec.kind == "email":
        to = o.get("to")
        recipients = tuple(str(t) for t in to) if isinstance(to, list) else (_need(spec, "to"),)
        return EmailSink(
            host=_need(spec, "host"),
            port=int(o.get("port", 587)),
            sender=_need(spec, "from"),
            to=recipients,
            username=str(o["username"]) if "username" in o else None,
            password=secret,
            tls=str(o.get("tls", "starttls")),
        )
    raise ConfigError(f"unknown sink kind {spec.kind!r}")  # config validation prevents this


def _env_name(spec: SinkSpec) -> str:
    return str(spec.options.get("secret_env") or SECRET_ENV.get(spec.kind, ""))


def _secret(spec: SinkSpec, environ: Mapping[str, str]) -> str | None:
    name = _env_name(spec)
    return environ.get(name) or None if name else None


def _need(spec: SinkSpec, key: str) -> str:
    value: Any = spec.options.get(key)
    if value is None or value == "":
        raise ConfigError(f"a {spec.kind} sink needs {key!r}")
    return str(value)
