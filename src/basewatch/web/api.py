"""The JSON twins of the pages, under ``/api`` (OpenAPI at ``/api/openapi.json``, browsable at
``/api/docs``). Every handler reads through its own cursor and writes nothing."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from basewatch.store import Store
from basewatch.web import params
from basewatch.web.aircraft import aircraft_doc, search_doc
from basewatch.web.basemap import basemap_geojson
from basewatch.web.bases import base_doc
from basewatch.web.context import Context
from basewatch.web.evidence import visit_evidence
from basewatch.web.flights import flight_doc, track_doc
from basewatch.web.live import LiveHub, live_doc, sse
from basewatch.web.overview import overview_doc
from basewatch.web.templates import Json

router = APIRouter(prefix="/api", default_response_class=Json)

Since = Annotated[str | None, Query(description="Arrivals at or after (ISO 8601, UTC).")]
Until = Annotated[str | None, Query(description="Arrivals at or before (a date: its end).")]
BaseName = Annotated[str, Path(description="A base of the config, or an ICAO airport code.")]
Address = Annotated[str, Path(description="ICAO 24-bit address, 6 hex digits.")]
FlightId = Annotated[str, Path(description="address-start time, e.g. 15a3c2-20251027T050000Z")]


def context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def reader(request: Request) -> Iterator[Store]:
    """The request's own cursor on the store."""
    with context(request).reader() as store:
        yield store


Ctx = Annotated[Context, Depends(context)]
Reader = Annotated[Store, Depends(reader)]


@router.get(
    "/bases",
    tags=["bases"],
    summary="Every configured base: visits per period, badges, last arrival",
)
def bases(ctx: Ctx, store: Reader) -> Response:
    return Json(overview_doc(ctx, store))


@router.get(
    "/bases/{name}", tags=["bases"], summary="A base: its visits, sentences, events and aircraft"
)
def base(
    ctx: Ctx, store: Reader, name: BaseName, since: Since = None, until: Until = None
) -> Response:
    start, end = params.period(since, until)
    doc, _ = base_doc(ctx, store, name, start, end)
    return Json(doc)


@router.get(
    "/bases/{name}/visits/{flight_id}",
    tags=["bases"],
    summary="The evidence of one visit (by its arrival flight): positions, sources, reasoning",
)
def evidence(ctx: Ctx, store: Reader, name: BaseName, flight_id: FlightId) -> Response:
    return Json(visit_evidence(ctx, store, name, params.flight_id(flight_id)))


@router.get(
    "/aircraft/{icao24}",
    tags=["aircraft"],
    summary="An aircraft: identity with reasons, flights, routes",
)
def aircraft(ctx: Ctx, store: Reader, icao24: Address) -> Response:
    return Json(aircraft_doc(ctx, store, params.icao24(icao24)))


@router.get(
    "/flights/{flight_id}",
    tags=["flights"],
    summary="A flight: airports with their evidence, neighbours",
)
def flight(ctx: Ctx, store: Reader, flight_id: FlightId) -> Response:
    _, missing = ctx.status(store)
    return Json(
        flight_doc(store, params.flight_id(flight_id), ctx.config, "aircraft_class" not in missing)
    )


@router.get(
    "/flights/{flight_id}/track", tags=["flights"], summary="A flight's positions as columns"
)
def track(
    store: Reader,
    flight_id: FlightId,
    max_points: Annotated[
        int | None, Query(ge=2, le=100_000, description="Thin evenly to at most this many.")
    ] = None,
) -> Response:
    return Json(track_doc(store, params.flight_id(flight_id), max_points))


@router.get("/search", tags=["aircraft"], summary="Aircraft and callsigns matching q")
def search(
    ctx: Ctx,
    store: Reader,
    q: Annotated[str | None, Query(description="Address, registration, callsign or type.")] = None,
) -> Response:
    return Json(search_doc(ctx, store, params.search_text(q)))


@router.get("/live", tags=["live"], summary="The watcher's state and the newest stored alerts")
def live(request: Request, store: Reader) -> Response:
    return Json(live_doc(request.app.state.hub, store))


@router.get(
    "/live/events",
    tags=["live"],
    summary="Server-sent events: status, then each cycle and alert while the watcher runs",
    response_class=StreamingResponse,
)
async def live_events(
    request: Request,
    limit: Annotated[
        int | None, Query(ge=1, le=100_000, description="Close after this many events.")
    ] = None,
) -> StreamingResponse:
    hub: LiveHub = request.app.state.hub
    return StreamingResponse(
        _stream(hub, limit),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


async def _stream(hub: LiveHub, limit: int | None) -> AsyncIterator[str]:
    """``retry``, the status, then events until ``limit`` (or forever while the watcher runs)."""
    yield "retry: 5000\n\n"
    yield sse("status", hub.status_doc())
    sent = 1
    if not hub.running or (limit is not None and sent >= limit):
        return
    async for kind, data in hub.events():
        yield sse(kind, data)
        if kind != "keepalive":
            sent += 1
        if (limit is not None and sent >= limit) or (kind == "status" and not data["running"]):
            return


@router.get(
    "/basemap.geojson", tags=["maps"], summary="The bundled Natural Earth basemap (land, borders)"
)
def basemap(request: Request) -> Response:
    body, etag = basemap_geojson()
    headers = {"etag": f'"{etag}"', "cache-control": "public, max-age=86400"}
    if request.headers.get("if-none-match") == f'"{etag}"':
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(body, media_type="application/geo+json", headers=headers)
    return Response(gzip.decompress(body), media_type="application/geo+json", headers=headers)
