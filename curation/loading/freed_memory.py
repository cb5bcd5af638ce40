"""Giving the memory a load freed back to the system, so a server's size is what it holds, not what it once held.

A load decodes the parse cache in Arrow's allocator and builds the scan's lists in Python's; both keep
what was freed for reuse. At 1,000,000 documents that is about 700 MB a dashboard process would keep for
nothing (docs/performance.md). Arrow's pool is asked to release its unused pages, and glibc's heap is
trimmed (where there is glibc: elsewhere this does nothing).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

import pyarrow as pa


def give_back_freed_memory() -> None:
    """Return the pages freed allocators keep to the system (a few milliseconds)."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None  # not glibc
