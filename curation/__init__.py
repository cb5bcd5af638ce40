"""curation: load, filter, export and publish a folder of article documents.

The library never imports streamlit; the dashboard (app.py, curation/views/)
is a thin layer over these functions. Names are imported on first use, so a
worker process that only parses documents does not pay for pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Collection": "curation.collection",
    "load_collection": "curation.collection",
    "Problem": "curation.problems",
    "ConflictError": "curation.errors",
    "CurationError": "curation.errors",
    "DocsFolderError": "curation.errors",
    "DocumentError": "curation.errors",
    "PublishRefusedError": "curation.errors",
    "ReadOnlyError": "curation.errors",
    "UnsafePathError": "curation.errors",
    "EXPORT_COLUMNS": "curation.export",
    "frame_to_csv": "curation.export",
    "frame_to_json": "curation.export",
    "Filters": "curation.filters",
    "set_published": "curation.publish",
    "set_published_many": "curation.publish",
    "undo_change": "curation.publish",
    "undo_last": "curation.publish",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'curation' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
