"""The dashboard's guards, as plain ASGI middleware: standard security headers on every
response, and the access token (``Authorization: Bearer T``, or the cookie that ``?token=T``
sets once) when the server is given one. Binding beyond loopback needs a token or an explicit
``--insecure`` (``check_bind``)."""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from html import escape
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from basewatch.errors import UsageError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "basewatch_token"
TOKEN = re.compile(r"[A-Za-z0-9._~-]{8,200}")

#: No inline script or style, nothing from elsewhere, never framed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), geolocation=(), microphone=()",
}


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None, insecure: bool) -> None:
    """Refuse to serve beyond loopback without a token, unless told ``--insecure``; refuse a
    token that cannot travel in a cookie and a URL as it is."""
    if token is not None and not TOKEN.fullmatch(token):
        raise UsageError(
            "--token: use 8 to 200 letters, digits or '-._~' (e.g. from "
            "python -c 'import secrets; print(secrets.token_urlsafe())')"
        )
    if not is_loopback(host) and not token and not insecure:
        raise UsageError(
            f"--host {host} makes the dashboard reachable from other machines: give "
            "--token T (clients send 'Authorization: Bearer T', or open /?token=T once), "
            "or --insecure to serve without one"
        )


class SecurityHeaders:
    """Adds ``HEADERS`` to every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.encode(), v.encode())
                    for k, v in HEADERS.items()
                    if k.encode() not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class TokenGate:
    """Lets a request through with the token as a bearer header or cookie; ``?token=T``
    (right) sets the cookie and redirects to the same address without it."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [v for k, v in query if k == "token"]
        if given and self._right(given[-1]):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            await _redirect(send, scope["path"] + (f"?{rest}" if rest else ""), self.token)
        elif not given and self._right(_presented(scope)):
            await self.app(scope, receive, send)
        else:
            await _refuse(send, scope["path"].startswith("/api"))

    def _right(self, value: str | None) -> bool:
        return value is not None and hmac.compare_digest(value.encode(), self.token)


def _presented(scope: Scope) -> str | None:
    """The bearer token, else the cookie's value, else None."""
    headers: dict[str, str] = {
        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
    }
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:
        return None
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel is not None else None


async def _redirect(send: Send, location: str, token: bytes) -> None:
    cookie = f"{COOKIE}={token.decode()}; HttpOnly; SameSite=Strict; Path=/"
    headers = [(b"location", location.encode()), (b"set-cookie", cookie.encode())]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _refuse(send: Send, api: bool) -> None:
    """401: JSON for the API, a short page for people."""
    message = (
        "This basewatch dashboard needs its access token: send 'Authorization: Bearer T', "
        "or open /?token=T once in the browser."
    )
    if api:
        body, kind = json.dumps({"error": message}).encode(), b"application/json"
    else:
        page = (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Token needed</title></head><body><h1>Token needed</h1><p>{escape(message)}"
            "</p></body></html>"
        )
        body, kind = page.encode(), b"text/html; charset=utf-8"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", b'Bearer realm="basewatch"'),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})
