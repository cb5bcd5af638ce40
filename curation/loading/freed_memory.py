"""Giving the memory a load freed back to the system, so a server's size is what it holds, not what it once held.

A load decodes the parse cache in Arrow's allocator and builds the scan's lists in Python's; both keep
what was freed for reuse. At 1,000,000 documents that is about 700 MB a dashboard process would keep for
nothing (docs/performance.md). Arrow's pool is asked to release its unused pages, and glibc's heap is
trimmed (where there is glibc: elsewhere this does nothing).

A server runs each session's script in a thread of its own, and glibc gives threads that allocate at
once arenas of their own (up to eight per core), each keeping what was freed in it: five sessions at once
grew a 100,000-document server by 385 MB, with two arenas by 185 MB (docs/performance.md).
`limit_heap_arenas` caps them, as MALLOC_ARENA_MAX=2 would, for a process that did not set that itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import cache

import pyarrow as pa


def give_back_freed_memory() -> None:
    """Return the pages freed allocators keep to the system (a few milliseconds)."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


HEAP_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


@cache
def limit_heap_arenas() -> None:
    """Cap glibc's heap arenas at HEAP_ARENAS, unless MALLOC_ARENA_MAX says otherwise (once per process; the
    earlier, the more threads it covers)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(_M_ARENA_MAX, HEAP_ARENAS)


@cache
def _libc():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


@cache
def _malloc_trim():
    return getattr(_libc(), "malloc_trim", None)  # None: not glibc
