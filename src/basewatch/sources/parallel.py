"""Read many files on all cores: adapters run in worker processes, results come back in order.

Small batches stay in-process (starting workers costs more than it saves); at most
``2 × workers`` files are in flight, so memory stays bounded on trees of any size.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from basewatch.sources.base import Blob, Chunk, ReadOptions, Source, no_gc

#: Below this many bytes in all, reading stays in this process.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
#: Files larger than this are streamed in this process (their chunks must not pile up).
STREAM_MIN_BYTES = 256 * 1024 * 1024

Reading = tuple[Blob, Source, Iterator[Chunk]]


def _read_file(path: str, source: Source, options: ReadOptions) -> list[Chunk]:
    with no_gc():  # a worker's whole task builds acyclic data only
        return list(source.read(Blob(path), options))


def _serial(blob: Blob, source: Source, options: ReadOptions) -> Reading:
    return blob, source, source.read(blob, options)


def read_files(
    work: list[tuple[Blob, Source]],
    options: ReadOptions,
    workers: int | None = None,
    skip: Callable[[Blob], bool] = lambda blob: False,
) -> Iterator[Reading]:
    """Yield (blob, adapter, chunks) in input order; ``skip``ped blobs yield no chunks."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    total = sum(b.size for b, _ in work if b.path != "-")
    if workers <= 1 or len(work) < 2 or total < PARALLEL_MIN_BYTES:
        for blob, source in work:
            yield (blob, source, iter(())) if skip(blob) else _serial(blob, source, options)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        window: deque[tuple[Blob, Source, Future[list[Chunk]] | None]] = deque()
        for blob, source in work:
            local = skip(blob) or blob.in_memory or blob.size >= STREAM_MIN_BYTES
            future = None if local else pool.submit(_read_file, blob.path, source, options)
            window.append((blob, source, future))
            while len(window) > 2 * workers or (window and window[0][2] is None):
                yield _settle(window.popleft(), options, skip)
        while window:
            yield _settle(window.popleft(), options, skip)


def _settle(
    item: tuple[Blob, Source, Future[list[Chunk]] | None],
    options: ReadOptions,
    skip: Callable[[Blob], bool],
) -> Reading:
    blob, source, future = item
    if future is not None:
        return blob, source, iter(future.result())
    if skip(blob):
        return blob, source, iter(())
    return _serial(blob, source, options)
