"""``watch``: live feeds → store → flights and visits → alerts, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta
from types import FrameType
from typing import Annotated

import typer

from basewatch.cli.common import DbOption, app, current_config, err, open_store, state
from basewatch.errors import UsageError


@app.command()
def watch(
    db: DbOption = None,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle and stop.")] = False,
    duration: Annotated[
        float | None, typer.Option("--for", help="Stop after this many seconds.")
    ] = None,
    tick: Annotated[float, typer.Option(help="Seconds between cycles.")] = 1.0,
    lookback_h: Annotated[
        float, typer.Option(help="Alert on events up to this many hours before the start.")
    ] = 6.0,
) -> None:
    """Poll the config's feeds, store what they send, keep visits current and raise the
    config's alerts through its sinks. Ctrl-C (or SIGTERM) stops cleanly."""
    from basewatch.watch.watcher import CycleReport, Watcher

    config = current_config()
    if not config.feeds:
        raise UsageError(f"{config.origin}: no feeds configured; add a 'feeds:' entry")
    stop = threading.Event()
    with open_store(db) as store:
        watcher = Watcher.from_config(store, config, os.environ, timedelta(hours=lookback_h))
        dispatcher = watcher.dispatcher
        deadline = time.monotonic() + duration if duration is not None else None
        last_line = [0.0]

        def on_cycle(report: CycleReport) -> None:
            for message in dispatcher.errors:
                err.print(f"[yellow]alert delivery failed[/] {message}", highlight=False)
            dispatcher.errors.clear()
            if once or (deadline is not None and time.monotonic() >= deadline):
                stop.set()
            _status(watcher.status(), last_line)

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            watcher.run(stop, on_cycle=on_cycle, tick_s=tick)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        if not state.quiet:
            err.print(f"\nstopped: {watcher.status()}", highlight=False)


def _status(line: str, last: list[float]) -> None:
    """The status line on stderr: rewritten in place on a terminal, once a minute otherwise."""
    if state.quiet:
        return
    if err.is_terminal:
        err.print(line.ljust(100)[:100], end="\r", highlight=False)
    elif time.monotonic() - last[0] >= 60:
        err.print(line, highlight=False)
        last[0] = time.monotonic()
