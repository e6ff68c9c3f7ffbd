"""One exception tree for basewatch; every message says what went wrong and how to fix it.

    BasewatchError            anything basewatch raises on purpose (CLI: "Error: ...", exit 1)
    ├── UsageError            a wrong option or argument (CLI exit 2)
    ├── FormatError           a file of no known format, or not of the format asked for
    ├── InputError            an input that cannot be opened or read at all
    ├── StoreError            the store cannot be opened, migrated or written
    ├── ConfigError           basewatch.yaml (or a rules file) is malformed: file, key path, line
    ├── FeedError             a live feed failed (down, refused, malformed); retried with backoff
    └── SinkError             an alert could not be delivered; ``retryable`` and ``retry_after``

Bad *records* are not exceptions: adapters turn them into ``Reject`` rows kept in the store.
"""

from __future__ import annotations


class BasewatchError(Exception):
    """Base of every error basewatch raises on purpose."""

    exit_code = 1


class UsageError(BasewatchError):
    """The command line or the call was wrong: fix the arguments."""

    exit_code = 2


class FormatError(BasewatchError):
    """A file matched no known format (or not the one asked for)."""


class InputError(BasewatchError):
    """An input path cannot be opened or read."""


class StoreError(BasewatchError):
    """The DuckDB store cannot be opened, migrated or written."""


class ConfigError(BasewatchError):
    """A config or rules file is malformed; the message names the file, key path and line."""


class FeedError(BasewatchError):
    """A live feed could not be read; ``retry_after`` (s) is the server's wish when it said so."""

    def __init__(self, message: str, retryable: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class SinkError(BasewatchError):
    """An alert sink refused or failed; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, retryable: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
