"""The HTML pages: each renders the document of its JSON twin (``api.py``) into a template and
embeds it (``<script type="application/json">``, not executed) for the page's script, which
draws the maps and charts; the report downloads of a base."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from basewatch.web import params
from basewatch.web.aircraft import aircraft_doc, search_doc
from basewatch.web.api import BaseName, Ctx, Reader, Since, Until
from basewatch.web.bases import base_doc, timeline_html
from basewatch.web.downloads import report_bytes, report_response
from basewatch.web.flights import flight_doc
from basewatch.web.live import live_doc
from basewatch.web.overview import overview_doc
from basewatch.web.templates import page

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def overview(ctx: Ctx, store: Reader) -> Response:
    return page("overview.html", data=overview_doc(ctx, store), nav="bases")


@router.get("/bases/{name}")
def base(
    ctx: Ctx, store: Reader, name: BaseName, since: Since = None, until: Until = None
) -> Response:
    start, end = params.period(since, until)
    doc, report = base_doc(ctx, store, name, start, end)
    return page(
        "base.html",
        data=doc,
        timeline=timeline_html(report),
        since=since or "",
        until=until or "",
        nav="bases",
    )


@router.get("/bases/{name}/report.{fmt}")
def report(
    ctx: Ctx, store: Reader, name: BaseName, fmt: str, since: Since = None, until: Until = None
) -> Response:
    if fmt not in ("html", "json", "md"):
        raise HTTPException(404, f"no report format {fmt[:20]!r}: html, json or md")
    start, end = params.period(since, until)
    content, filename = report_bytes(ctx, store, name, fmt, start, end)
    return report_response(content, filename, fmt)


@router.get("/aircraft/{icao24}")
def aircraft(ctx: Ctx, store: Reader, icao24: str) -> Response:
    doc = aircraft_doc(ctx, store, params.icao24(icao24))
    return page("aircraft.html", data=doc, nav="")


@router.get("/flights/{flight_id}")
def flight(ctx: Ctx, store: Reader, flight_id: str) -> Response:
    _, missing = ctx.status(store)
    doc = flight_doc(
        store, params.flight_id(flight_id), ctx.config, "aircraft_class" not in missing
    )
    return page("flight.html", data=doc, nav="")


@router.get("/search")
def search(ctx: Ctx, store: Reader, q: Annotated[str | None, Query()] = None) -> Response:
    if q is None or not q.strip():
        return page("search.html", data=None, q="", nav="search")
    doc = search_doc(ctx, store, params.search_text(q))
    return page("search.html", data=doc, q=doc["q"], nav="search")


@router.get("/live")
def live(request: Request, store: Reader) -> Response:
    return page("live.html", data=live_doc(request.app.state.hub, store), nav="live")


@router.get("/api/docs")
def docs() -> Response:
    """The OpenAPI documentation (Swagger UI shipped with the package, started by a file)."""
    return page("docs.html", nav="docs")
