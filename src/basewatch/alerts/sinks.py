"""Where alerts go: local sinks (stdout, a JSON-lines file, memory) and the sink protocol.

Network sinks live in ``http_sinks`` and ``email_sink``; ``build_sinks`` makes them from config.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from basewatch.alerts.model import Alert
from basewatch.errors import SinkError


class Sink(Protocol):
    """Delivers one alert or raises ``SinkError`` (``retryable`` says whether to try again)."""

    name: str

    def send(self, alert: Alert) -> None: ...


@dataclass
class StdoutSink:
    """One line per alert on a text stream (stdout by default)."""

    stream: TextIO | None = None
    name: str = "stdout"

    def send(self, alert: Alert) -> None:
        stream = self.stream or sys.stdout
        stream.write(f"[{alert.kind}] {alert.title} — {alert.message}\n")
        stream.flush()


@dataclass
class JsonlSink:
    """Appends one JSON document per alert to a file, flushed to disk before returning."""

    path: Path
    name: str = "jsonl"

    def send(self, alert: Alert) -> None:
        line = json.dumps(alert.as_json(), sort_keys=True, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise SinkError(f"jsonl sink {self.path}: {exc.strerror or exc}") from exc


@dataclass
class MemorySink:
    """Keeps alerts in a list: the stand-in for tests and for the web's live view."""

    alerts: list[Alert] = field(default_factory=list)
    name: str = "memory"

    def send(self, alert: Alert) -> None:
        self.alerts.append(alert)
