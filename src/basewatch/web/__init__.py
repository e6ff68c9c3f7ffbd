"""The local web dashboard: bases, visits, aircraft and flights with their evidence, on maps and
timelines, and the watcher's alerts live; every page has its JSON twin under ``/api``.

A thin FastAPI app over the same library calls as the command line (``basewatch serve``); it
only reads the store. Imported on demand: ``import basewatch`` does not load it.
"""

from basewatch.web.app import create_app

__all__ = ["create_app"]
