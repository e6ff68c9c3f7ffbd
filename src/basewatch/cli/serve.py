"""``serve``: the local web dashboard over the store (read-only), or with ``--watch`` the
watcher running in the same process (DuckDB lets one process hold a store read-write)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from basewatch.cli.common import (
    DbOption,
    analysis_store,
    app,
    current_config,
    engine_of,
    err,
    open_store,
    state,
)
from basewatch.errors import UsageError

if TYPE_CHECKING:
    from basewatch.alerts import Dispatcher
    from basewatch.config import Config
    from basewatch.store import Store
    from basewatch.watch.watcher import Watcher

#: Host headers a loopback server answers (a page elsewhere cannot reach it by DNS rebinding).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.", min=0, max=65535)] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="BASEWATCH_TOKEN",
            help="Access token (env BASEWATCH_TOKEN): send 'Authorization: Bearer T' or open "
            "/?token=T once. Needed to bind anything but loopback.",
        ),
    ] = None,
    insecure: Annotated[
        bool, typer.Option(help="Bind beyond loopback without a token (anyone reaching it reads).")
    ] = False,
    watch: Annotated[
        bool, typer.Option(help="Run the watcher in the server: live view of cycles and alerts.")
    ] = False,
    tick: Annotated[float, typer.Option(help="Seconds between watcher cycles.")] = 1.0,
) -> None:
    """Serve the web dashboard: bases, visits with their evidence, aircraft, flights and the
    live view, each page with its JSON under /api (docs at /api/docs)."""
    import uvicorn

    from basewatch.web import create_app
    from basewatch.web.security import check_bind, is_loopback

    check_bind(host, token, insecure)
    config = current_config()
    path = db or state.db
    # IPv6 Host headers ([::1]:8000) are not matched by Starlette's check: skip it there
    allowed = [host, *LOOPBACK_HOSTS] if is_loopback(host) and ":" not in host else None
    if watch:
        if not config.feeds:
            raise UsageError(f"{config.origin}: no feeds configured; add a 'feeds:' entry")
        with open_store(db) as store:
            watcher = _watcher(store, config)
            web = create_app(path, config, token, watcher, allowed_hosts=allowed, tick_s=tick)
            _run(uvicorn, web, host, port, token)
        return
    if path != ":memory:" and not Path(path).exists():
        raise UsageError(
            f"no store at {path}: ingest data first (basewatch ingest PATH) or give --db"
        )
    if engine_of(config) == "spark":  # flights made on Spark when stale, before serving
        with analysis_store(db, config):
            pass
    web = create_app(path, config, token, allowed_hosts=allowed)
    _run(uvicorn, web, host, port, token)


def _run(uvicorn: Any, web: Any, host: str, port: int, token: str | None) -> None:
    shown = f"[{host}]" if ":" in host else host
    if not state.quiet:
        hint = " (open /?token=YOUR_TOKEN once in the browser)" if token else ""
        err.print(
            f"basewatch dashboard on http://{shown}:{port}/{hint}", highlight=False, soft_wrap=True
        )
    uvicorn.run(
        web, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3,
        server_header=False,
    )  # fmt: skip


class _Reporting:
    """The watcher, with failed alert deliveries printed after each cycle (as ``watch`` does)."""

    def __init__(self, watcher: Watcher, dispatcher: Dispatcher) -> None:
        self.watcher = watcher
        self.dispatcher = dispatcher
        self.store = watcher.store

    def run(
        self,
        stop: threading.Event,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_cycle: Callable[[Any], None] | None = None,
        tick_s: float = 1.0,
    ) -> None:
        def hook(report: Any) -> None:
            for message in self.dispatcher.errors:
                err.print(f"[yellow]alert delivery failed[/] {message}", highlight=False)
            self.dispatcher.errors.clear()
            if on_cycle is not None:
                on_cycle(report)

        self.watcher.run(stop, clock=clock, on_cycle=hook, tick_s=tick_s)

    def status(self) -> str:
        return self.watcher.status()


def _watcher(store: Store, config: Config) -> _Reporting:
    """The watcher of ``basewatch watch`` (its feeds, sinks and cooldowns) on ``store``."""
    from basewatch.watch.watcher import Watcher

    watcher = Watcher.from_config(store, config, os.environ)
    dispatcher = watcher.dispatcher
    return _Reporting(watcher, dispatcher)
