"""The ``basewatch`` command line: thin verbs over the library (DESIGN.md is the contract).

Errors print ``Error: …`` and exit 1; usage errors exit 2; ``--json`` writes one document.
"""

from __future__ import annotations

import sys

import typer

from basewatch.cli import activity as _activity  # noqa: F401  (registers the verbs)
from basewatch.cli import aircraft as _aircraft  # noqa: F401
from basewatch.cli import demo as _demo  # noqa: F401
from basewatch.cli import flights as _flights  # noqa: F401
from basewatch.cli import ingest as _ingest  # noqa: F401
from basewatch.cli import report as _report  # noqa: F401
from basewatch.cli import serve as _serve  # noqa: F401
from basewatch.cli import spark as _spark  # noqa: F401
from basewatch.cli import watch as _watch  # noqa: F401
from basewatch.cli.common import app, err
from basewatch.errors import BasewatchError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: run the app, turning basewatch errors into ``Error: …`` and an exit code."""
    try:
        app(standalone_mode=False)
    except BasewatchError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(1)
    except Exception as exc:
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):  # click's usage errors, as typer vendors them
            show()
            sys.exit(code)
        raise
