"""curation: load, filter, export and publish a folder of article documents.

The library never imports streamlit; the dashboard (app.py, curation/views/)
is a thin layer over these functions. Names are imported on first use, so a
worker process that only parses documents does not pay for pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Collection": "curation.loading.collection",
    "load_collection": "curation.loading.collection",
    "Problem": "curation.problems",
    "ConflictError": "curation.errors",
    "CurationError": "curation.errors",
    "DocsFolderError": "curation.errors",
    "DocumentError": "curation.errors",
    "PublishRefusedError": "curation.errors",
    "ReadOnlyError": "curation.errors",
    "UnsafePathError": "curation.errors",
    "EXPORT_COLUMNS": "curation.query.export",
    "frame_to_csv": "curation.query.export",
    "frame_to_json": "curation.query.export",
    "Filters": "curation.query.filters",
    "set_published": "curation.editing.publish",
    "set_published_many": "curation.editing.publish",
    "undo_change": "curation.editing.publish",
    "undo_last": "curation.editing.publish",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'curation' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
