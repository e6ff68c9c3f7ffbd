"""``create_app``: the dashboard over one store. Without a watcher the store is opened
read-only (other readers may share it; nothing here writes); with one, the watcher owns the
store read-write and runs in a background thread while requests read through their own
cursors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from basewatch import __version__
from basewatch.config import Config
from basewatch.store import Store
from basewatch.web import api, errors, pages
from basewatch.web.context import Context
from basewatch.web.live import LiveHub, LiveWatcher, WatcherThread
from basewatch.web.security import SecurityHeaders, TokenGate
from basewatch.web.templates import STATIC


class StoreWatcher(LiveWatcher, Protocol):
    """A watcher with the store it writes (``basewatch.watch.watcher.Watcher``)."""

    store: Store


def create_app(
    store_path: str | Path,
    config: Config,
    token: str | None = None,
    watcher: StoreWatcher | None = None,
    *,
    allowed_hosts: Sequence[str] | None = None,
    tick_s: float = 1.0,
) -> FastAPI:
    """The dashboard app. ``token``: every request must present it (bearer header or the
    cookie ``/?token=T`` sets); ``watcher``: run it in the background and stream its cycles
    and alerts (its store is used, ``store_path`` is not opened again); ``allowed_hosts``:
    refuse other Host headers (DNS rebinding against a loopback server)."""
    store = watcher.store if watcher is not None else Store.open(store_path, read_only=True)
    ctx = Context(store, config, read_only=watcher is None)
    hub = LiveHub()
    runner = WatcherThread(watcher, hub, tick_s) if watcher is not None else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runner is not None:
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                await run_in_threadpool(runner.stop)
            ctx.close()
            if watcher is None:
                store.close()

    app = FastAPI(
        title="basewatch",
        version=__version__,
        summary="Visits of watched air bases, the flights and positions behind them.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.context = ctx
    app.state.hub = hub
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
    if token:
        app.add_middleware(TokenGate, token=token)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(SecurityHeaders)  # added last: outermost, so every answer has them
    return app
