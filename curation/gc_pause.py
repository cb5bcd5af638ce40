"""Pausing Python's cyclic garbage collector while a load builds its many small objects.

A warm load makes about 100,000 lists (the topics) and the scan's stat results
at once. Each full collection walks every tracked object the process holds
(an open dashboard holds another 100,000-row frame), and Python 3.11 starts
several of them during such a burst. These objects form no cycles, so
reference counting frees them either way; the pause only skips the walks. The
few cycles a load does make (a YAML loader refers to itself) wait for the
first collection after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; re-enable it only if this block disabled it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
