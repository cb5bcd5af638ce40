"""curation: load, filter, export and publish a folder of article documents.

The library never imports streamlit; the dashboard (app.py, curation/views/)
is a thin layer over these functions.
"""

from curation.collection import Collection, Problem, load_collection
from curation.errors import (
    ConflictError,
    CurationError,
    DocsFolderError,
    DocumentError,
    PublishRefusedError,
    ReadOnlyError,
    UnsafePathError,
)
from curation.export import EXPORT_COLUMNS, frame_to_csv, frame_to_json
from curation.filters import Filters
from curation.publish import set_published, set_published_many, undo_change, undo_last

__all__ = [
    "EXPORT_COLUMNS",
    "Collection",
    "ConflictError",
    "CurationError",
    "DocsFolderError",
    "DocumentError",
    "Filters",
    "Problem",
    "PublishRefusedError",
    "ReadOnlyError",
    "UnsafePathError",
    "frame_to_csv",
    "frame_to_json",
    "load_collection",
    "set_published",
    "set_published_many",
    "undo_change",
    "undo_last",
]
