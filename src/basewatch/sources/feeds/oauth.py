"""OAuth2 client-credentials login (RFC 6749 §4.4), as the OpenSky API requires since 2025: a
bearer token fetched once, reused until shortly before ``expires_in``, fetched again on a 401."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson

from basewatch.errors import FeedError
from basewatch.sources.feeds.polling import check_status

log = logging.getLogger(__name__)

#: Tokens are renewed this long before they expire (at most a tenth of their life).
REFRESH_MARGIN_S = 60.0
#: Assumed lifetime when the server does not say (OpenSky's tokens last 30 minutes).
DEFAULT_EXPIRES_S = 1800.0


class ClientCredentials:
    """Bearer tokens for ``client_id``/secret from ``token_url``; the secret never leaves the
    token request (messages name only the environment variable that holds it)."""

    def __init__(
        self,
        client: httpx.Client,
        token_url: str,
        client_id: str,
        secret: str,
        secret_env: str,
        timeout: httpx.Timeout,
    ) -> None:
        self.client = client
        self.token_url = token_url
        self.client_id = client_id
        self._secret = secret
        self.secret_env = secret_env
        self.timeout = timeout
        self._token: str | None = None
        self._renew_at: datetime | None = None
        self.fetches = 0

    def header(self, now: datetime) -> dict[str, str]:
        """``Authorization: Bearer …`` with a valid token, logging in when needed."""
        if self._token is None or self._renew_at is None or now >= self._renew_at:
            self._login(now)
        assert self._token is not None
        return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        """Forget the token (the API refused it): the next ``header`` logs in again."""
        self._token = None

    def _login(self, now: datetime) -> None:
        what = f"login at {httpx.URL(self.token_url).host}"
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret,
        }
        try:
            response = self.client.post(self.token_url, data=form, timeout=self.timeout)
        except httpx.TimeoutException as exc:
            raise FeedError(f"{what}: timed out") from exc
        except httpx.HTTPError as exc:
            raise FeedError(f"{what}: {type(exc).__name__}") from exc
        if response.status_code in (400, 401, 403):
            raise FeedError(
                f"{what}: refused (HTTP {response.status_code}); check client_id "
                f"{self.client_id!r} and the secret in ${self.secret_env}",
                retryable=False,
            )
        check_status(response, what, now)
        token, expires_s = _token(response.content, what)
        self.fetches += 1
        margin = min(REFRESH_MARGIN_S, expires_s / 10)
        self._token, self._renew_at = token, now + timedelta(seconds=expires_s - margin)
        log.debug("%s: token valid for %.0f s", what, expires_s)


def _token(body: bytes, what: str) -> tuple[str, float]:
    """access_token and expires_in of a token response."""
    try:
        doc: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FeedError(f"{what}: malformed token response (not JSON)") from exc
    token = doc.get("access_token") if isinstance(doc, dict) else None
    if not isinstance(token, str) or not token:
        raise FeedError(f"{what}: malformed token response (no access_token)")
    expires = doc.get("expires_in")
    valid = isinstance(expires, int | float) and not isinstance(expires, bool) and expires > 0
    return token, float(expires) if valid else DEFAULT_EXPIRES_S
