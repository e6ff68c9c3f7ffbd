"""Alert sink by email: SMTP with STARTTLS (or implicit TLS, or none on a trusted loopback)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from basewatch.alerts.model import Alert
from basewatch.errors import SinkError

TIMEOUT_S = 20.0


@dataclass
class EmailSink:
    """Sends each alert as a plain-text email; ``tls`` is ``starttls``, ``ssl`` or ``none``."""

    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    username: str | None = None
    password: str | None = None
    tls: str = "starttls"
    context: ssl.SSLContext = field(default_factory=ssl.create_default_context)
    name: str = "email"

    def send(self, alert: Alert) -> None:
        msg = EmailMessage()
        msg["Subject"] = f"[basewatch] {alert.title}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Message-ID"] = f"<{alert.alert_id}@basewatch>"
        msg.set_content(f"{alert.message}\n\nalert id: {alert.alert_id}\n")
        try:
            with self._connect() as smtp:
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(msg)
        except smtplib.SMTPResponseException as exc:
            raise SinkError(
                f"email via {self.host}:{self.port}: SMTP {exc.smtp_code}",
                retryable=exc.smtp_code >= 400 and exc.smtp_code < 500,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SinkError(f"email via {self.host}:{self.port}: {type(exc).__name__}") from exc

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_S, context=self.context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S)
        if self.tls == "starttls":
            try:
                smtp.starttls(context=self.context)
            except BaseException:
                smtp.close()
                raise
        return smtp
