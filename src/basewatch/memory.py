"""Process memory tuning for batch work: glibc's malloc keeps large freed blocks for reuse
instead of mapping fresh zeroed pages for every column array."""

from __future__ import annotations

import ctypes
import ctypes.util

#: mallopt parameters (glibc's malloc.h) and the values batch work uses: arrays up to 256 MB
#: come from the heap, up to 1 GB freed at its top stays there, and it grows 64 MB at a time.
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
BATCH_SETTINGS = ((M_MMAP_THRESHOLD, 256 << 20), (M_TRIM_THRESHOLD, 1 << 30), (M_TOP_PAD, 64 << 20))


def keep_freed_memory() -> bool:
    """Have glibc's malloc reuse freed large blocks (the flights build allocates and frees its
    column arrays table after table: 10 % of its time went to page faults and unmapping).
    For batch processes: a long-running one would keep its high-water mark. Returns False
    where the C library has no ``mallopt`` (musl, macOS), changing nothing."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    applied = [mallopt(param, value) == 1 for param, value in BATCH_SETTINGS]  # each, always
    return all(applied)
