"""Errors as people and scripts should see them: 400 with what was wrong, 404 with what was not
found, and for anything unexpected a generic 500 — the details go to the server's log, never
to the client."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from basewatch.errors import BasewatchError, UsageError
from basewatch.web.security import HEADERS
from basewatch.web.templates import Json, page

log = logging.getLogger("basewatch.web")

TITLES = {400: "Bad request", 401: "Token needed", 404: "Not found", 409: "Not ready yet"}
GENERIC = "Something went wrong on the server; the details are in its log."


def error_response(request: Request, status: int, message: str) -> Response:
    """JSON ``{"error", "status"}`` under /api, an HTML page elsewhere."""
    if request.url.path.startswith("/api"):
        return Json({"error": message, "status": status}, status_code=status)
    title = TITLES.get(status, "Error")
    return page("error.html", status=status, title=title, message=message, status_code=status)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        return error_response(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for error in exc.errors():
            where = ".".join(str(x) for x in error.get("loc", ())[1:]) or "request"
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
        return error_response(request, 400, "; ".join(parts))

    @app.exception_handler(UsageError)
    async def usage_error(request: Request, exc: UsageError) -> Response:
        return error_response(request, 400, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        if isinstance(exc, BasewatchError):
            log.error("%s %s: %s", request.method, request.url.path, exc)
        else:
            log.exception("%s %s failed", request.method, request.url.path)
        response = error_response(request, 500, GENERIC)
        for key, value in HEADERS.items():  # this handler runs outside the headers middleware
            response.headers.setdefault(key, value)
        return response
