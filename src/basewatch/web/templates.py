"""Jinja2 pages (autoescaped) and JSON responses (orjson: track columns are long lists)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import orjson
from fastapi.responses import HTMLResponse, Response

from basewatch import __version__

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"


class Json(Response):
    """A JSON response written by orjson (no per-item encoder pass over long lists)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        data: bytes = orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        return data


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["version"] = __version__
    env.filters["when"] = _when
    return env


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``templates/name`` with ``context``."""
    html = environment().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status)


def _when(value: str | None) -> str:
    """``2025-10-24T09:05:00Z`` → ``2025-10-24 09:05Z``."""
    if not value:
        return ""
    return f"{value[:10]} {value[11:16]}Z"
