"""Which aircraft-database format an input is, by content; inputs expanded into import units.

A folder holding root chunks (``0.js``..``F.js``) is one tar1090-db import; any other folder is
walked and each file detected by its content. The only use of a file name is the hex prefix of
a single tar1090-db chunk, which its content cannot tell.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from basewatch.errors import FormatError, InputError, UsageError
from basewatch.identify.registry.base import Importer, Unit
from basewatch.identify.registry.basic_ac_db import BasicAcDb
from basewatch.identify.registry.opensky_aircraft import OpenSkyAircraft
from basewatch.identify.registry.plane_alert import PlaneAlert
from basewatch.identify.registry.tar1090_db import (
    Tar1090Db,
    chunk_files,
    chunk_prefix,
    is_chunk,
    is_chunk_folder,
)
from basewatch.sources.base import Blob

#: Every importer, most specific sniffer first.
IMPORTERS: tuple[Importer, ...] = (Tar1090Db(), BasicAcDb(), PlaneAlert(), OpenSkyAircraft())


@dataclass
class Planned:
    """An import unit and its importer, or (importer None) a file of no known format."""

    unit: Unit
    importer: Importer | None


def format_names() -> list[str]:
    """The names accepted by ``fmt``."""
    return [i.name for i in IMPORTERS]


def get_importer(name: str) -> Importer:
    """The importer called ``name``; UsageError naming the choices otherwise."""
    for importer in IMPORTERS:
        if importer.name == name:
            return importer
    raise UsageError(
        f"unknown aircraft database format {name!r}; choose one of: {', '.join(format_names())}"
    )


def detect(blob: Blob) -> Importer:
    """The importer whose sniffer accepts the blob's content; FormatError when none does."""
    head = blob.head()
    for importer in IMPORTERS:
        if importer.sniff(head):
            return importer
    raise FormatError(
        f"{blob.path}: not a known aircraft database (tried {', '.join(format_names())}); "
        "pass --format to force one"
    )


def _file_unit(path: Path, forced: Importer | None, named: bool) -> Planned:
    blob = Blob(path)
    try:
        importer = forced or detect(blob)
    except FormatError:
        if named:
            raise
        return Planned(Unit(str(path), [blob]), None)
    if (
        importer.name == Tar1090Db.name
        and chunk_prefix(str(path)) is None
        and is_chunk(blob.head())
    ):
        if not named:
            return Planned(Unit(str(path), [blob]), None)
        raise FormatError(
            f"{path}: a tar1090-db chunk must be named by its hex prefix (e.g. 3C6.js): "
            "the file name supplies the first digits of every address in it"
        )
    return Planned(Unit(str(path), [blob]), importer)


def _walk(folder: Path, forced: Importer | None) -> Iterator[Planned]:
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        if is_chunk_folder(here) and (forced is None or forced.name == Tar1090Db.name):
            dirs[:] = []
            yield _folder_unit(here)
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield _file_unit(here / name, forced, named=False)


def _folder_unit(folder: Path) -> Planned:
    blobs = [Blob(p) for p in chunk_files(folder).values()]
    return Planned(Unit(str(folder), blobs, folder=True), Tar1090Db())


def plan(inputs: list[str], fmt: str | None = None) -> list[Planned]:
    """Every import unit the inputs name, in order (InputError for a missing path)."""
    forced = get_importer(fmt) if fmt else None
    planned: list[Planned] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            if is_chunk_folder(path) and (forced is None or forced.name == Tar1090Db.name):
                planned.append(_folder_unit(path))
            else:
                planned.extend(_walk(path, forced))
        elif path.is_file():
            planned.append(_file_unit(path, forced, named=True))
        else:
            raise InputError(f"{item}: no such file or folder")
    return planned
