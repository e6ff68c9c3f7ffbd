"""Expand command-line inputs (files, folders, globs, ``-``) into blobs, with a date filter.

Folders are walked recursively; in a readsb ``globe_history`` tree (``YYYY/MM/DD/traces/xx/``)
days outside ``since``/``until`` are skipped without opening their files.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from basewatch.errors import InputError
from basewatch.sources.base import Blob

_DAY_IN_PATH = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)")


@dataclass(frozen=True)
class Found:
    """A blob and whether the user named it (named files must be of a known format)."""

    blob: Blob
    named: bool


def day_of_path(path: str) -> date | None:
    """The day a ``…/YYYY/MM/DD/…`` path belongs to, if it has one."""
    matches = list(_DAY_IN_PATH.finditer(path.replace(os.sep, "/")))
    if not matches:
        return None
    match = matches[-1]
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _in_range(path: str, since: datetime | None, until: datetime | None) -> bool:
    day = day_of_path(path)
    if day is None:
        return True
    if since is not None and day < since.astimezone(UTC).date():
        return False
    return not (until is not None and day > until.astimezone(UTC).date())


def _walk(folder: Path, since: datetime | None, until: datetime | None) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if not _in_range(root + "/", since, until):
            continue
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def discover(
    inputs: list[str], since: datetime | None = None, until: datetime | None = None
) -> Iterator[Found]:
    """Every input file, in order; raises InputError for a path that does not exist."""
    for item in inputs:
        if item == "-":
            yield Found(Blob.stdin(), named=True)
            continue
        path = Path(item)
        if path.is_dir():
            for file in _walk(path, since, until):
                yield Found(Blob(file), named=False)
        elif path.is_file():
            yield Found(Blob(path), named=True)
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise InputError(f"{item}: the pattern matches no file")
            for match in matches:
                yield from discover([match], since, until)
        else:
            raise InputError(f"{item}: no such file or folder")
