"""Pausing Python's cyclic garbage collector while a load builds its many small objects.

A load makes a small object or more per document at once (the scan's ids and
its stat results; a cold load's parsed values). Each full collection walks every tracked object the process holds
(an open dashboard holds another 100,000-row frame), and Python 3.11 starts
several of them during such a burst. These objects form no cycles, so
reference counting frees them either way; the pause only skips the walks. The
few cycles a load does make (a YAML loader refers to itself) wait for the
first collection after it.

The collector's switch is the whole process's, and the dashboard loads from
the threads of its server: overlapping pauses are counted, so the first one
in saves the setting and the last one out restores it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0  # pauses in progress, in any thread
_enabled_before = False  # the setting the first of them found


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; the last overlapping pause puts back what the first found."""
    global _pauses, _enabled_before
    with _lock:
        if _pauses == 0:
            _enabled_before = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _enabled_before:
                gc.enable()
