"""JSON from files and objects anyone may have written (state files, logs, records): read as untrusted input.

`json.loads` raises RecursionError, not ValueError, for arrays or objects
nested a few thousand deep; every reader here already turns a ValueError
into a warning naming the file and line, so this makes such nesting one more
ValueError instead of a crash of the page or command reading it.
"""

from __future__ import annotations

import json
from typing import Any


def loads_untrusted(raw: bytes | str) -> Any:
    """The decoded JSON; ValueError for anything that is not JSON, too deep a nesting included."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
